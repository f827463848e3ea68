# Reference designs for evaltool's method = "cem" and "subclass" (MatchIt 4.7.2, built from source).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_cem_subclass.R
# Data: tests/fixtures/matchit/lalonde_matchit.csv. Writes tests/fixtures/designs/cem_subclass.json
# with per case the exact call, weights and subclasses per unit (CSV row order).
suppressPackageStartupMessages({
  library(MatchIt)
  library(sandwich)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
run <- function(name, call_txt, expr) {
  m <- eval(parse(text = expr))
  md <- match.data(m)
  fit <- lm(re78 ~ treat, data = md, weights = weights)
  list(case = name, r_call = call_txt, weights = unname(m$weights),
       effect = list(call = "lm(re78 ~ treat, data = match.data(m), weights = weights); sqrt(diag(sandwich::vcovCL(fit, cluster = ~subclass)))[2]",
                     estimate = unname(coef(fit)[2]),
                     se_cluster = unname(sqrt(diag(vcovCL(fit, cluster = ~subclass)))[2])),
       subclass = as.integer(as.character(m$subclass)),
       distance = if (is.null(m$distance)) NULL else unname(m$distance))
}
fs <- "treat ~ age + educ + race + married + nodegree + re74 + re75"
specs <- list(
  cem_default = sprintf('matchit(%s, data = d, method = "cem")', "treat ~ age + educ + race + married + nodegree"),
  cem_cut4 = 'matchit(treat ~ age + educ + race + married + nodegree + re74, data = d, method = "cem", cutpoints = 4)',
  cem_user = 'matchit(treat ~ age + educ + race + re74, data = d, method = "cem", cutpoints = list(age = c(20, 25, 30, 40), educ = c(9, 12), re74 = 3))',
  cem_ate = 'matchit(treat ~ age + educ + race + married + nodegree, data = d, method = "cem", estimand = "ATE")',
  cem_atc = 'matchit(treat ~ age + educ + race + married + nodegree, data = d, method = "cem", estimand = "ATC")',
  subclass6 = sprintf('matchit(%s, data = d, method = "subclass")', fs),
  subclass4_ate = sprintf('matchit(%s, data = d, method = "subclass", subclass = 4, estimand = "ATE")', fs),
  subclass5_atc = sprintf('matchit(%s, data = d, method = "subclass", subclass = 5, estimand = "ATC")', fs)
)
cases <- Map(function(n, s) run(n, s, s), names(specs), specs)
out <- list(
  description = "MatchIt 4.7.2 method = 'cem' and 'subclass' on LaLonde (weights normalized, MatchIt default)",
  generated_by = "tests/reference/designs_cem_subclass.R",
  data = "tests/fixtures/matchit/lalonde_matchit.csv; race = factor(levels = c('black','hispan','white'))",
  versions = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                  sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
write_json(out, "tests/fixtures/designs/cem_subclass.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/cem_subclass.json\n")
