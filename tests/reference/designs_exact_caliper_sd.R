# Reference: which units MatchIt 4.7.2 uses for the caliper's standard deviation when exact
# strata leave some units without a partner (MatchIt's process.caliper: sd(distance[!discarded]),
# where `discarded` comes from `discard` only; a stratum without treated units is unmatched, not
# discarded).
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/designs_exact_caliper_sd.R
# Data: tests/fixtures/designs/exact_caliper_sd.csv (tests/test_matching_properties.make(31, 328,
# strata=True): stratum g = 1 has controls only). Writes tests/fixtures/designs/exact_caliper_sd.json.
suppressPackageStartupMessages({
  library(MatchIt)
  library(jsonlite)
})
d <- read.csv("tests/fixtures/designs/exact_caliper_sd.csv", row.names = "id")
run <- function(name, caliper) {
  m <- matchit(t ~ x, data = d, method = "nearest", distance = d$score, exact = ~g, caliper = caliper)
  mm <- m$match.matrix
  sets <- lapply(seq_len(nrow(mm)), function(i) { x <- mm[i, ]; unname(x[!is.na(x)]) })
  names(sets) <- rownames(mm)
  sets <- lapply(sets[lengths(sets) > 0], I)
  list(case = name, caliper = caliper, caliper_raw = unname(m$caliper), weight = unname(m$weights),
       id = rownames(d), matched_sets = sets)
}
out <- list(provenance = list(script = "tests/reference/designs_exact_caliper_sd.R",
                              R = R.version.string, MatchIt = as.character(packageVersion("MatchIt"))),
            cases = list(run("caliper_0.25", 0.25), run("caliper_0.1", 0.1)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/fixtures/designs/exact_caliper_sd.json")
