# Reference numbers for evaltool.effects: Abadie-Imbens (2006) SEs from R Matching::Match.
#
# Run from the repository root:
#   Rscript tests/reference/effects_matching.R
# Uses data(lalonde, package = "Matching") (the NSW experimental sample, 445 rows).
# Writes tests/fixtures/effects/matching.json: the data, the propensity score,
# and per case Match()'s est, se (Abadie-Imbens, Var.calc = 0), se.standard and
# the matched sets (index.treated, index.control, weights; 1-based row numbers).
suppressPackageStartupMessages({
  library(Matching)
  library(jsonlite)
})

data(lalonde, package = "Matching")
d <- lalonde
ps_fit <- glm(treat ~ age + educ + black + hisp + married + nodegr + re74 + re75,
              family = binomial(link = "logit"), data = d)
ps <- unname(fitted(ps_fit))
Xcov <- as.matrix(d[, c("age", "educ", "re74", "re75")])

run <- function(name, X, M, estimand, call) {
  m <- Match(Y = d$re78, Tr = d$treat, X = X, estimand = estimand, M = M)
  list(
    case = name, r_call = call, estimand = estimand, M = M,
    est = unname(m$est[1, 1]), se = unname(m$se), se_standard = unname(m$se.standard),
    nobs = m$nobs, wnobs = m$wnobs,
    index_treated = as.integer(m$index.treated), index_control = as.integer(m$index.control),
    weights = as.numeric(m$weights)
  )
}

cases <- list(
  run("ps_m1_att", ps, 1, "ATT", "Match(Y = re78, Tr = treat, X = ps, estimand = 'ATT', M = 1)"),
  run("ps_m2_att", ps, 2, "ATT", "Match(Y = re78, Tr = treat, X = ps, estimand = 'ATT', M = 2)"),
  run("ps_m1_atc", ps, 1, "ATC", "Match(Y = re78, Tr = treat, X = ps, estimand = 'ATC', M = 1)"),
  run("ps_m1_ate", ps, 1, "ATE", "Match(Y = re78, Tr = treat, X = ps, estimand = 'ATE', M = 1)"),
  run("cov_m1_att", Xcov, 1, "ATT",
      "Match(Y = re78, Tr = treat, X = as.matrix(lalonde[, c('age', 'educ', 're74', 're75')]), estimand = 'ATT', M = 1)")
)
names(cases) <- vapply(cases, function(x) x$case, "")

out <- list(
  description = "Matching::Match nearest-neighbour matching with replacement and ties (defaults: replace = TRUE, ties = TRUE, distance.tolerance = 1e-5, Var.calc = 0, BiasAdjust = FALSE)",
  generated_by = "tests/reference/effects_matching.R",
  source = "data(lalonde, package = 'Matching')",
  ps_call = "glm(treat ~ age + educ + black + hisp + married + nodegr + re74 + re75, family = binomial, data = lalonde); ps = fitted(.)",
  versions = list(R = R.version.string, Matching = as.character(packageVersion("Matching")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(treat = d$treat, re78 = d$re78, age = d$age, educ = d$educ, re74 = d$re74, re75 = d$re75, ps = ps),
  cases = cases
)
dir.create("tests/fixtures/effects", showWarnings = FALSE, recursive = TRUE)
write_json(out, "tests/fixtures/effects/matching.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("wrote tests/fixtures/effects/matching.json\n")
