# Reference numbers for evaltool's Matching-style nearest matching (ties=True), the
# Abadie-Imbens (2011) bias adjustment and Matching's se.standard.
#
# Run from the repository root:
#   Rscript tests/reference/designs_matching_ties.R
# Uses data(lalonde, package = "Matching") (445 rows; identical to
# /work/shared/data/lalonde_matching.csv). X = the logit propensity score below;
# Match() defaults otherwise (replace = TRUE, ties = TRUE, distance.tolerance = 1e-5,
# Weight = 1, Var.calc = 0). Writes tests/fixtures/designs/matching_ties.json.
suppressPackageStartupMessages({
  library(Matching)
  library(jsonlite)
})

data(lalonde, package = "Matching")
d <- lalonde
ps_fit <- glm(treat ~ age + educ + black + hisp + married + nodegr + re74 + re75,
              family = binomial(link = "logit"), data = d)
ps <- unname(fitted(ps_fit))
zvars <- c("age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75")
Z <- as.matrix(d[, zvars])

run <- function(name, M, estimand, bias) {
  call <- sprintf("Match(Y = re78, Tr = treat, X = ps, estimand = '%s', M = %d%s)", estimand, M,
                  if (bias) ", BiasAdjust = TRUE, Z = as.matrix(lalonde[, zvars])" else "")
  m <- if (bias) Match(Y = d$re78, Tr = d$treat, X = ps, estimand = estimand, M = M,
                       BiasAdjust = TRUE, Z = Z)
       else Match(Y = d$re78, Tr = d$treat, X = ps, estimand = estimand, M = M)
  list(case = name, r_call = call, estimand = estimand, M = M, bias_adjust = bias,
       est = unname(m$est[1, 1]), se = unname(m$se), est_noadj = unname(m$est.noadj),
       se_standard = unname(m$se.standard), nobs = m$nobs, wnobs = m$wnobs,
       index_treated = as.integer(m$index.treated), index_control = as.integer(m$index.control),
       weights = as.numeric(m$weights))
}

cases <- list(
  run("m1_att", 1, "ATT", FALSE), run("m2_att", 2, "ATT", FALSE),
  run("m1_atc", 1, "ATC", FALSE), run("m2_atc", 2, "ATC", FALSE),
  run("m1_att_bias", 1, "ATT", TRUE), run("m2_att_bias", 2, "ATT", TRUE),
  run("m1_atc_bias", 1, "ATC", TRUE), run("m2_atc_bias", 2, "ATC", TRUE)
)
names(cases) <- vapply(cases, function(x) x$case, "")

out <- list(
  description = "Matching::Match with replacement and ties (distance.tolerance = 1e-5 on Matching's squared standardized distance), Var.calc = 0; BiasAdjust cases regress on Z = zvars",
  generated_by = "tests/reference/designs_matching_ties.R",
  source = "data(lalonde, package = 'Matching')",
  ps_call = "glm(treat ~ age + educ + black + hisp + married + nodegr + re74 + re75, family = binomial, data = lalonde); ps = fitted(.)",
  zvars = zvars,
  versions = list(R = R.version.string, Matching = as.character(packageVersion("Matching")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = c(as.list(d[, c("treat", "re78", zvars)]), list(ps = ps)),
  cases = cases
)
write_json(out, "tests/fixtures/designs/matching_ties.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/matching_ties.json\n")
