# Reference numbers for evaltool.design.weighting / entropy and the M-estimation variance.
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_weighting.R
# Needs ebal 0.1-8 (github:cran/ebal, R CMD INSTALL into /root/R-peers) and numDeriv
# (Debian r-cran-numderiv). Data: tests/fixtures/matchit/lalonde_matchit.csv.
# Writes tests/fixtures/designs/weighting.json:
#  * ps and closed-form weights (ATT odds, ATC, ATE, ATO overlap, ATE stabilized by P(T=t),
#    ATE trimmed at 0.05) from glm(family = binomial);
#  * ebal::ebalance control weights (means; means + squares of the continuous covariates);
#  * M-estimation SEs of the weighted difference in means of re78: the logit score stacked
#    with the WLS score of lm(re78 ~ treat, weights = w(beta)); bread by numDeriv::jacobian
#    (numerical, independent of evaltool's analytic derivatives), meat = crossprod(psi)/n,
#    V = A^-1 B A^-T / n. The fixed-weight sandwich HC0 is stored for comparison.
suppressPackageStartupMessages({
  library(ebal)
  library(numDeriv)
  library(sandwich)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
fit <- glm(f, family = binomial(link = "logit"), data = d)
X <- model.matrix(fit)
ps <- unname(fitted(fit))
t <- d$treat
y <- d$re78
wfun <- function(p, est) switch(est,
  ATT = t + (1 - t) * p / (1 - p), ATC = t * (1 - p) / p + (1 - t),
  ATE = t / p + (1 - t) / (1 - p), ATO = t * (1 - p) + (1 - t) * p)

mest <- function(est) {
  k <- ncol(X)
  psi <- function(theta) {
    beta <- theta[1:k]; a <- theta[k + 1]; b <- theta[k + 2]
    p <- plogis(drop(X %*% beta))
    w <- wfun(p, est)
    e <- y - a - b * t
    cbind(X * (t - p), w * e, w * t * e)
  }
  w <- wfun(ps, est)
  l <- lm(y ~ t, weights = w)
  theta <- c(coef(fit), coef(l))
  A <- jacobian(function(th) colMeans(psi(th)), theta)
  P <- psi(theta)
  B <- crossprod(P) / nrow(P)
  Ainv <- solve(A)
  V <- Ainv %*% B %*% t(Ainv) / nrow(P)
  list(estimand = est, estimate = unname(coef(l)[2]), se_m = sqrt(V[k + 2, k + 2]),
       se_hc0_fixed = unname(sqrt(vcovHC(l, type = "HC0")[2, 2])),
       r_call = sprintf("stacked psi: glm score + lm(re78 ~ treat, weights = w_%s(beta)); A = numDeriv::jacobian, B = crossprod(psi)/n", est))
}

Xb <- model.matrix(~ age + educ + race + married + nodegree + re74 + re75, d)[, -1]
eb1 <- ebalance(Treatment = t, X = Xb, constraint.tolerance = 1e-10, print.level = -1)
Xb2 <- cbind(Xb, age2 = d$age^2, educ2 = d$educ^2, re742 = (d$re74 / 1000)^2, re752 = (d$re75 / 1000)^2)  # rescaled: same constraints, ebal does not standardize
eb2 <- ebalance(Treatment = t, X = Xb2, constraint.tolerance = 1e-10, max.iterations = 500, print.level = -1)

p <- ps
out <- list(
  description = "closed-form propensity weights, ebal::ebalance weights, M-estimation SEs (LaLonde, MatchIt's data)",
  generated_by = "tests/reference/designs_weighting.R",
  ps_call = "glm(treat ~ age + educ + race + married + nodegree + re74 + re75, family = binomial, data = d)",
  versions = list(R = R.version.string, ebal = as.character(packageVersion("ebal")),
                  numDeriv = as.character(packageVersion("numDeriv")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  id = rownames(d), ps = ps,
  weights = list(ATT = wfun(p, "ATT"), ATC = wfun(p, "ATC"), ATE = wfun(p, "ATE"), ATO = wfun(p, "ATO"),
                 ATE_stabilized = wfun(p, "ATE") * ifelse(t == 1, mean(t), 1 - mean(t)),
                 ATE_trim05 = ifelse(p < 0.05 | p > 0.95, 0, wfun(p, "ATE"))),
  ebal = list(
    means = list(r_call = "ebalance(Treatment = treat, X = model.matrix(~ age + educ + race + married + nodegree + re74 + re75)[, -1], constraint.tolerance = 1e-10)",
                 w = eb1$w, converged = eb1$converged),
    squares = list(r_call = "ebalance(Treatment = treat, X = cbind(<means X>, age^2, educ^2, (re74/1000)^2, (re75/1000)^2), constraint.tolerance = 1e-10, max.iterations = 500)",
                   w = eb2$w, converged = eb2$converged)),
  m_estimation = lapply(c(ATT = "ATT", ATC = "ATC", ATE = "ATE", ATO = "ATO"), mest)
)
write_json(out, "tests/fixtures/designs/weighting.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/weighting.json\n")
