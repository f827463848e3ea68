# Reference values for evaltool.sensitivity.evalue.
# Writes tests/fixtures/sensitivity/evalue.json.
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/sensitivity_evalue.R
# EValue built from CRAN sources (github:cran/EValue, with github:cran/MetaUtility) into /root/R-peers.
suppressPackageStartupMessages({ library(jsonlite); library(EValue) })
row <- function(m) list(point = unname(m["E-values", "point"]),
                        lower = unname(m["E-values", "lower"]), upper = unname(m["E-values", "upper"]))
cases <- list(
  list(call = "evalues.RR(3.9, 1.8, 8.7)", scale = "RR", est = 3.9, lo = 1.8, hi = 8.7, rare = NA, se = NA, r = evalues.RR(3.9, 1.8, 8.7)),
  list(call = "evalues.RR(0.80, 0.71, 0.91)", scale = "RR", est = 0.80, lo = 0.71, hi = 0.91, rare = NA, se = NA, r = evalues.RR(0.80, 0.71, 0.91)),
  list(call = "evalues.RR(1.2, 0.9, 1.6)", scale = "RR", est = 1.2, lo = 0.9, hi = 1.6, rare = NA, se = NA, r = evalues.RR(1.2, 0.9, 1.6)),
  list(call = "evalues.OR(1.6, 1.2, 2.1, rare = FALSE)", scale = "OR", est = 1.6, lo = 1.2, hi = 2.1, rare = FALSE, se = NA, r = evalues.OR(1.6, 1.2, 2.1, rare = FALSE)),
  list(call = "evalues.OR(1.6, 1.2, 2.1, rare = TRUE)", scale = "OR", est = 1.6, lo = 1.2, hi = 2.1, rare = TRUE, se = NA, r = evalues.OR(1.6, 1.2, 2.1, rare = TRUE)),
  list(call = "evalues.HR(0.56, 0.46, 0.69, rare = FALSE)", scale = "HR", est = 0.56, lo = 0.46, hi = 0.69, rare = FALSE, se = NA, r = evalues.HR(0.56, 0.46, 0.69, rare = FALSE)),
  list(call = "evalues.HR(1.35, 1.1, 1.7, rare = TRUE)", scale = "HR", est = 1.35, lo = 1.1, hi = 1.7, rare = TRUE, se = NA, r = evalues.HR(1.35, 1.1, 1.7, rare = TRUE)),
  list(call = "evalues.MD(0.5, 0.1)", scale = "MD", est = 0.5, lo = NA, hi = NA, rare = NA, se = 0.1, r = evalues.MD(0.5, 0.1)),
  list(call = "evalues.MD(-0.25, 0.08)", scale = "MD", est = -0.25, lo = NA, hi = NA, rare = NA, se = 0.08, r = evalues.MD(-0.25, 0.08))
)
out <- list(cases = lapply(cases, function(cs) c(cs[c("call", "scale", "est", "lo", "hi", "rare", "se")],
                                                 list(rr = unname(cs$r["RR", "point"])), row(cs$r))),
            provenance = list(script = "tests/reference/sensitivity_evalue.R", R = R.version.string,
                              EValue = as.character(packageVersion("EValue"))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/fixtures/sensitivity/evalue.json")
