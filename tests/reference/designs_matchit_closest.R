# Reference matched sets for evaltool's m_order = "closest" (MatchIt 4.7.2, built from source).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_matchit_closest.R
# Data: tests/fixtures/matchit/lalonde_matchit.csv (data(lalonde, package = "MatchIt"), rownames
# as `id`). Writes tests/fixtures/designs/matchit_closest.json: per case the exact call, the
# propensity score (distance), the matched sets (match.matrix), weights and subclasses.
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/matchit/lalonde_matchit.csv", row.names = "id")
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
f <- treat ~ age + educ + race + married + nodegree + re74 + re75

run <- function(name, call_txt, ...) {
  m <- matchit(f, data = d, method = "nearest", distance = "glm", m.order = "closest", ...)
  mm <- m$match.matrix
  sets <- lapply(seq_len(nrow(mm)), function(i) { x <- mm[i, ]; unname(x[!is.na(x)]) })
  names(sets) <- rownames(mm)
  sets <- lapply(sets[lengths(sets) > 0], I)
  list(case = name, r_call = call_txt,
       units = list(id = rownames(d), weight = unname(m$weights),
                    subclass = if (is.null(m$subclass)) NULL else as.integer(as.character(m$subclass)),
                    distance = unname(m$distance)),
       matched_sets = sets)
}
base <- 'matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d, method = "nearest", distance = "glm", m.order = "closest"'
cases <- list(
  run("closest_1to1", paste0(base, ")")),
  run("closest_ratio2", paste0(base, ", ratio = 2)"), ratio = 2),
  run("closest_caliper", paste0(base, ", caliper = 0.1)"), caliper = 0.1),
  run("closest_exact_married", paste0(base, ", exact = ~married)"), exact = ~married),
  run("closest_ratio3_caliper", paste0(base, ", ratio = 3, caliper = 0.2)"), ratio = 3, caliper = 0.2)
)
names(cases) <- vapply(cases, function(x) x$case, "")
out <- list(
  description = "MatchIt 4.7.2 nearest matching without replacement, m.order = 'closest'",
  generated_by = "tests/reference/designs_matchit_closest.R",
  data = "tests/fixtures/matchit/lalonde_matchit.csv; race = factor(levels = c('black','hispan','white'))",
  versions = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
write_json(out, "tests/fixtures/designs/matchit_closest.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/fixtures/designs/matchit_closest.json\n")
