# Reference for evaltool's method = "full", CEM with k2k and subclassification with scooting:
# MatchIt 4.7.2 (built from source), optmatch built from github:markmfredrickson/optmatch with
# rlemon from github:josherrickson/rlemon (see designs_optimal.R).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_full_k2k_scoot.R
# Data: tests/fixtures/matchit/lalonde_matchit.csv. Writes tests/fixtures/designs/full_k2k_scoot.json:
# per case the exact call, weights and subclasses per unit (CSV row order), the propensity score and,
# for full matching, the total within-set distance sum over sets of sum_{t, c in set} |ps_t - ps_c|.
# optmatch rounds distances to a grid of tol * n / (n - 2) (Hansen & Klopfer 2006); with MatchIt's
# default tol = 0.001 that grid is ~0.001 on the score and many solutions tie, so the matched sets
# are compared at tol = 1e-7 (the optimum of the unrounded problem) and the default-tol cases only by
# their total distance.
suppressPackageStartupMessages({
  library(MatchIt)
  library(optmatch)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
total_distance <- function(sub, ps, treat) {
  tot <- 0
  for (s in unique(na.omit(sub))) {
    i <- which(sub == s)
    pt <- ps[i][treat[i] == 1]; pc <- ps[i][treat[i] == 0]
    tot <- tot + sum(abs(outer(pt, pc, "-")))
  }
  tot
}
run <- function(name, call_txt) {
  m <- eval(parse(text = call_txt))
  sub <- as.integer(as.character(m$subclass))
  ps <- if (is.null(m$distance)) NULL else unname(m$distance)
  out <- list(case = name, r_call = call_txt, weights = unname(m$weights), subclass = sub,
              distance = ps)
  if (!is.null(ps)) out$total_distance <- total_distance(sub, ps, d$treat)
  out
}
f7 <- "treat ~ age + educ + race + married + nodegree + re74 + re75"
f5 <- "treat ~ age + educ + race + married + nodegree"
specs <- list(
  full_att = sprintf('matchit(%s, data = d, method = "full", tol = 1e-7)', f7),
  full_ate = sprintf('matchit(%s, data = d, method = "full", estimand = "ATE", tol = 1e-7)', f7),
  full_atc = sprintf('matchit(%s, data = d, method = "full", estimand = "ATC", tol = 1e-7)', f7),
  full_min1_max3 = sprintf('matchit(%s, data = d, method = "full", min.controls = 1, max.controls = 3, tol = 1e-7)', f7),
  full_min05_max4 = sprintf('matchit(%s, data = d, method = "full", min.controls = 0.5, max.controls = 4, tol = 1e-7)', f7),
  full_att_default_tol = sprintf('matchit(%s, data = d, method = "full")', f7),
  full_ate_default_tol = sprintf('matchit(%s, data = d, method = "full", estimand = "ATE")', f7),
  full_atc_default_tol = sprintf('matchit(%s, data = d, method = "full", estimand = "ATC")', f7),
  full_min05_max4_default_tol = sprintf('matchit(%s, data = d, method = "full", min.controls = 0.5, max.controls = 4)', f7),
  full_atc_max05 = sprintf('matchit(%s, data = d, method = "full", estimand = "ATC", max.controls = 0.5, tol = 1e-7)', f7),
  full_exact_married = sprintf('matchit(%s, data = d, method = "full", exact = ~married, tol = 1e-7)', f7),
  full_caliper02 = sprintf('matchit(%s, data = d, method = "full", caliper = 0.2, tol = 1e-7)', f7),
  cem_k2k = sprintf('matchit(%s, data = d, method = "cem", k2k = TRUE)', f5),
  cem_k2k_atc = sprintf('matchit(%s, data = d, method = "cem", k2k = TRUE, estimand = "ATC")', f5),
  cem_k2k_cut4 = 'matchit(treat ~ age + educ + race + married + nodegree + re74, data = d, method = "cem", cutpoints = 4, k2k = TRUE)',
  subclass20 = sprintf('matchit(%s, data = d, method = "subclass", subclass = 20)', f7),
  subclass30_ate = sprintf('matchit(%s, data = d, method = "subclass", subclass = 30, estimand = "ATE")', f7),
  subclass25_atc = sprintf('matchit(%s, data = d, method = "subclass", subclass = 25, estimand = "ATC")', f7),
  subclass20_min3 = sprintf('matchit(%s, data = d, method = "subclass", subclass = 20, min.n = 3)', f7)
)
cases <- Map(run, names(specs), specs)
out <- list(
  description = "MatchIt 4.7.2 method = 'full' (optmatch), 'cem' with k2k = TRUE, 'subclass' with scooting (min.n) on LaLonde",
  generated_by = "tests/reference/designs_full_k2k_scoot.R",
  data = "tests/fixtures/matchit/lalonde_matchit.csv; race = factor(levels = c('black','hispan','white'))",
  generated_on = format(Sys.Date()),
  versions = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                  optmatch = as.character(packageVersion("optmatch")),
                  rlemon = as.character(packageVersion("rlemon")),
                  optmatch_solver = optmatch:::handleSolver(""),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
write_json(out, "tests/fixtures/designs/full_k2k_scoot.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/full_k2k_scoot.json\n")
