# Reference values for evaltool.sensitivity.rosenbaum.
# Writes tests/fixtures/sensitivity/rosenbaum.json.
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/sensitivity_rosenbaum.R
# Packages built from CRAN sources (github:cran/rbounds, github:cran/sensitivitymv,
# github:cran/sensitivitymw) with R CMD INSTALL --library=/root/R-peers.
suppressPackageStartupMessages({
  library(jsonlite); library(rbounds); library(sensitivitymv); library(sensitivitymw)
})

# rbounds rounds its tables (psens: 4 digits, binarysens: 5). The same functions are
# evaluated with `round` replaced by the identity so that their unrounded values can be
# compared at 1e-6 (the package code itself is unchanged).
unrounded <- function(f) {
  environment(f) <- list2env(list(round = function(x, digits = 0) x), parent = asNamespace("rbounds"))
  f
}
psens_u <- unrounded(rbounds::psens)
binarysens_u <- unrounded(rbounds::binarysens)

gammas <- seq(1, 3, by = 0.1)
out <- list()

# 1. Continuous 1:1 pairs (Wilcoxon signed rank), seeded normal data with ties and zeros.
set.seed(2026)
trt <- round(rnorm(60, 0.4, 1), 1); ctl <- round(rnorm(60, 0, 1), 1)
ps <- psens_u(trt, ctl, Gamma = 3, GammaInc = 0.1)
wt <- wilcox.test(trt - ctl, alternative = "greater", exact = FALSE, correct = FALSE, conf.int = TRUE)
hl <- hlsens(trt, ctl, pr = 1e-4, Gamma = 2, GammaInc = 0.5)
out$wilcoxon <- list(
  call = "rbounds::psens(trt, ctl, Gamma = 3, GammaInc = 0.1) with round() as identity; wilcox.test(trt - ctl, alternative = 'greater', exact = FALSE, correct = FALSE, conf.int = TRUE); rbounds::hlsens(trt, ctl, pr = 1e-4, Gamma = 2, GammaInc = 0.5)",
  trt = trt, ctl = ctl, gamma = ps$bounds$Gamma, p_upper = ps$bounds[["Upper bound"]],
  p_upper_rounded = rbounds::psens(trt, ctl, Gamma = 3, GammaInc = 0.1)$bounds[["Upper bound"]],
  wilcox_p = wt$p.value, wilcox_hl = unname(wt$estimate),
  hlsens_gamma = hl$bounds$Gamma, hlsens_low = hl$bounds[["Lower bound"]], hlsens_high = hl$bounds[["Upper bound"]],
  hlsens_pr = 1e-4)

# 2. Binary 1:1 pairs: discordant pair counts. Exact binomial upper tail P(X >= T) and
#    rbounds::binarysens (which reports P(X > max(x, y)), i.e. the tail from T + 1).
bin <- list()
for (cs in list(c(30, 10), c(12, 5), c(65, 40))) {
  T <- cs[1]; D <- sum(cs)
  p_ge <- sapply(gammas, function(g) pbinom(T - 1, D, g / (1 + g), lower.tail = FALSE))
  bs <- binarysens_u(cs[1], cs[2], Gamma = 3, GammaInc = 0.1)
  bin[[length(bin) + 1]] <- list(t = T, d = D, gamma = gammas, p_upper = p_ge,
                                 binarysens_upper = bs$bounds[["Upper bound"]])
}
out$mcnemar <- list(call = "pbinom(T - 1, D, g / (1 + g), lower.tail = FALSE); rbounds::binarysens(T, D - T, Gamma = 3, GammaInc = 0.1) with round() as identity",
                    cases = bin)

# 3. m-statistics for matched sets: variable ratio (senmv) and fixed 1:2 (senmw).
set.seed(7)
n <- 40
y <- cbind(rnorm(n, 0.6), rnorm(n), rnorm(n), rnorm(n))
y[1:15, 4] <- NA; y[16:20, 3:4] <- NA
mv <- lapply(gammas, function(g) senmv(y, gamma = g, trim = 3, inner = 0, lambda = 1/2))
y2 <- cbind(rnorm(50, 0.5), rnorm(50), rnorm(50))
mw <- lapply(gammas, function(g) senmw(y2, gamma = g))
mwt <- lapply(gammas, function(g) senmv(y2, gamma = g, trim = 3))
out$m_statistic <- list(
  call_variable = "sensitivitymv::senmv(y, gamma = g, trim = 3, inner = 0, lambda = 1/2)",
  y_variable = lapply(seq_len(nrow(y)), function(i) y[i, ]), gamma = gammas,
  p_variable = sapply(mv, `[[`, "pval"), deviate_variable = sapply(mv, `[[`, "deviate"),
  statistic_variable = mv[[1]]$statistic,
  call_fixed = "sensitivitymw::senmw(y2, gamma = g) (defaults trim 3, inner 0, lambda 1/2); sensitivitymv::senmv(y2, gamma = g, trim = 3)",
  y_fixed = lapply(seq_len(nrow(y2)), function(i) y2[i, ]),
  p_fixed_senmw = sapply(mw, `[[`, "pval"), p_fixed_senmv = sapply(mwt, `[[`, "pval"))

# 4. Worked examples of the m-statistic papers, as in the sensitivitymv help page:
#    Rosenbaum (2007, Biometrics 63: Table 1 and sect. 4.3), welders' DNA-protein cross-links
#    (erpcp, 39 pairs) and metaphase aberrations (tbmetaphase, 1:2); Rosenbaum (2013, Table 1), lead150.
data(erpcp, package = "sensitivitymv"); data(tbmetaphase, package = "sensitivitymv")
data(lead150, package = "sensitivitymv")
ex <- list(
  list(data = "erpcp", gamma = 3, trim = 1, tau = 0), list(data = "erpcp", gamma = 2, trim = 1, tau = 0),
  list(data = "erpcp", gamma = 2, trim = 1, tau = 0.18), list(data = "erpcp", gamma = 2, trim = 1, tau = 0.185),
  list(data = "tbmetaphase", gamma = 2, trim = 1, tau = 0), list(data = "tbmetaphase", gamma = 2, trim = 1, tau = 0.94),
  list(data = "lead150", gamma = 2, trim = 2, tau = 0))
sets <- list(erpcp = erpcp, tbmetaphase = tbmetaphase, lead150 = lead150)
out$worked_examples <- list(
  call = "sensitivitymv::senmv(get(data), gamma = gamma, trim = trim, tau = tau) (inner 0, lambda 1/2)",
  data = lapply(sets, function(y) lapply(seq_len(nrow(y)), function(i) unname(as.numeric(y[i, ])))),
  cases = lapply(ex, function(e) {
    r <- senmv(sets[[e$data]], gamma = e$gamma, trim = e$trim, tau = e$tau)
    c(e, list(pval = r$pval, deviate = r$deviate, statistic = r$statistic))
  }))

out$provenance <- list(
  script = "tests/reference/sensitivity_rosenbaum.R", R = R.version.string,
  rbounds = as.character(packageVersion("rbounds")),
  sensitivitymv = as.character(packageVersion("sensitivitymv")),
  sensitivitymw = as.character(packageVersion("sensitivitymw")),
  jsonlite = as.character(packageVersion("jsonlite")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/fixtures/sensitivity/rosenbaum.json")
