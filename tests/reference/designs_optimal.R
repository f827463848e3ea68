# Reference for evaltool's method = "optimal": MatchIt 4.7.2 method = "optimal" (optmatch
# built from github:markmfredrickson/optmatch with rlemon from github:josherrickson/rlemon).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_optimal.R
# Writes tests/fixtures/designs/optimal.json: per case the call, the matched sets, the weights,
# the subclasses (CSV row order) and the total |ps_t - ps_c| over matched pairs. optmatch without
# rrelaxiv solves with rlemon's "CycleCancelling" (optmatch:::handleSolver("") is recorded below).
# Cases at MatchIt's default tol = 0.001 and at tol = 1e-7.
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
run <- function(name, call_txt, ...) {
  m <- matchit(f, data = d, method = "optimal", distance = "glm", ...)
  sub <- as.integer(as.character(m$subclass))
  mm <- m$match.matrix
  ps <- setNames(m$distance, rownames(d))
  total <- 0
  for (i in seq_len(nrow(mm))) for (c in mm[i, ][!is.na(mm[i, ])]) total <- total + abs(ps[rownames(mm)[i]] - ps[c])
  sets <- lapply(seq_len(nrow(mm)), function(i) I(unname(sort(mm[i, ][!is.na(mm[i, ])]))))
  names(sets) <- rownames(mm)
  list(case = name, r_call = call_txt, total_distance = unname(total), matched_sets = sets,
       weights = unname(m$weights), subclass = sub)
}
base <- 'matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d, method = "optimal", distance = "glm"'
cases <- list(run("optimal_1to1", paste0(base, ")")),
              run("optimal_ratio2", paste0(base, ", ratio = 2)"), ratio = 2),
              run("optimal_exact_married", paste0(base, ", exact = ~married)"), exact = ~married),
              run("optimal_atc", paste0(base, ", estimand = \"ATC\")"), estimand = "ATC"),
              run("optimal_1to1_tol7", paste0(base, ", tol = 1e-7)"), tol = 1e-7),
              run("optimal_ratio2_tol7", paste0(base, ", ratio = 2, tol = 1e-7)"), ratio = 2, tol = 1e-7),
              run("optimal_exact_married_tol7", paste0(base, ", exact = ~married, tol = 1e-7)"),
                  exact = ~married, tol = 1e-7))
names(cases) <- vapply(cases, function(x) x$case, "")
out <- list(description = "MatchIt 4.7.2 optimal pair matching (optmatch) on LaLonde",
            generated_by = "tests/reference/designs_optimal.R",
            versions = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                            optmatch = as.character(packageVersion("optmatch")),
                            rlemon = as.character(packageVersion("rlemon"))),
            optmatch_solver = optmatch:::handleSolver(""),
            generated_on = format(Sys.Date()),
            cases = cases)
write_json(out, "tests/fixtures/designs/optimal.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/optimal.json\n")
