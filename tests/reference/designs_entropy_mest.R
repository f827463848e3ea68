# Reference for evaltool's variance = "m_estimation" on an entropy-balancing design (ATT):
# ebal::ebalance control weights, and the sandwich of the stacked estimating equations
#   psi_mu     = t_i (c_i - mu)                          (treated moment means, the target)
#   psi_lambda = (1 - t_i) exp(a + lambda' c_i) (c_i - mu)  (the balance conditions; a fixed)
#   psi_beta   = w_i X_i (y_i - X_i' beta), X_i = (1, t_i), w_i = t_i + (1 - t_i) exp(a + lambda' c_i)
# with A = numDeriv::jacobian of colMeans(psi), B = crossprod(psi) / n, V = A^-1 B A^-T / n.
# Needs ebal 0.1-8 and numDeriv in R_LIBS (see designs_weighting.R).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_entropy_mest.R
# Writes tests/fixtures/designs/entropy_mest.json.
suppressPackageStartupMessages({
  library(ebal)
  library(numDeriv)
  library(sandwich)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
t <- d$treat
y <- d$re78
case <- function(name, C, call_txt) {
  eb <- ebalance(Treatment = t, X = C, constraint.tolerance = 1e-10, max.iterations = 500, print.level = -1)
  w <- rep(1, length(t))
  w[t == 0] <- eb$w
  C0 <- C[t == 0, , drop = FALSE]
  fitw <- lm(log(eb$w) ~ C0)                     # exact: log w = a + lambda' c
  a <- unname(coef(fitw)[1]); lambda <- unname(coef(fitw)[-1])
  k <- ncol(C)
  mu <- colMeans(C[t == 1, , drop = FALSE])
  l <- lm(y ~ t, weights = w)
  psi <- function(theta) {
    mu <- theta[1:k]; lam <- theta[k + 1:k]; b0 <- theta[2 * k + 1]; b1 <- theta[2 * k + 2]
    ew <- exp(a + drop(C %*% lam))
    ww <- ifelse(t == 1, 1, ew)
    e <- y - b0 - b1 * t
    D <- sweep(C, 2, mu)
    cbind(D * t, D * ((1 - t) * ew), ww * e, ww * t * e)
  }
  theta <- c(mu, lambda, coef(l))
  P <- psi(theta)
  A <- jacobian(function(th) colMeans(psi(th)), theta)
  B <- crossprod(P) / nrow(P)
  Ainv <- solve(A)
  V <- Ainv %*% B %*% t(Ainv) / nrow(P)
  list(case = name, r_call = call_txt, max_abs_mean_psi = max(abs(colMeans(P))),
       estimate = unname(coef(l)[2]), se_m = sqrt(V[2 * k + 2, 2 * k + 2]),
       se_hc0_fixed = unname(sqrt(vcovHC(l, type = "HC0")[2, 2])),
       se_hc1_fixed = unname(sqrt(vcovHC(l, type = "HC1")[2, 2])))
}
Cm <- model.matrix(~ age + educ + race + married + nodegree + re74 + re75, d)[, -1]
C2 <- cbind(Cm, age2 = d$age^2, educ2 = d$educ^2, re742 = (d$re74 / 1000)^2, re752 = (d$re75 / 1000)^2)
cases <- list(
  means = case("means", Cm, "ebalance(treat, X = model.matrix(~ age + educ + race + married + nodegree + re74 + re75)[, -1]); stacked psi as in the header"),
  squares = case("squares", C2, "ebalance(treat, X = cbind(<means X>, age^2, educ^2, (re74/1000)^2, (re75/1000)^2)); stacked psi as in the header"))
out <- list(
  description = "M-estimation SE of the ATT on ebal::ebalance weights (LaLonde, MatchIt's data): stacked target means, balance conditions and WLS",
  generated_by = "tests/reference/designs_entropy_mest.R",
  generated_on = format(Sys.Date()),
  versions = list(R = R.version.string, ebal = as.character(packageVersion("ebal")),
                  numDeriv = as.character(packageVersion("numDeriv")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
write_json(out, "tests/fixtures/designs/entropy_mest.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/entropy_mest.json\n")
