# Source of the LaLonde SE pinned in tests/test_pipeline.py (row_order: id).
#
# evaltool with `data.row_order: id` sorts persons by id (byte order, like pandas'
# sort_values on strings) before matching. MatchIt pairs tied treated propensity scores
# in row order, so on the id-sorted file it forms different pairs than on the file order
# (same matched set, same ATT, different subclasses -> a different cluster SE).
# This script runs MatchIt 4.7.2 on examples/lalonde/lalonde.csv sorted by id in C-locale
# (radix) order and records the ATT and the subclass-clustered SE.
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/lalonde_id_order.R
# Writes tests/fixtures/pipeline/lalonde_id_order.json.
suppressPackageStartupMessages({
  library(MatchIt)
  library(sandwich)
  library(jsonlite)
})

d <- read.csv("examples/lalonde/lalonde.csv", stringsAsFactors = FALSE)
d <- d[order(d$id, method = "radix"), ]
rownames(d) <- NULL
call <- "matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d[order(d$id, method = 'radix'), ], method = 'nearest')"
m <- matchit(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d, method = "nearest")
md <- match.data(m)
fit <- lm(re78 ~ treat, data = md, weights = weights)
se <- sqrt(diag(vcovCL(fit, cluster = ~subclass)))[["treat"]]

out <- list(
  generated_by = "tests/reference/lalonde_id_order.R",
  r_call = c(call, "lm(re78 ~ treat, data = match.data(m), weights = weights)",
             "sqrt(diag(sandwich::vcovCL(fit, cluster = ~subclass)))['treat']"),
  versions = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                  sandwich = as.character(packageVersion("sandwich"))),
  estimate = unname(coef(fit)[["treat"]]),
  std_error = unname(se),
  n_matched = nrow(md)
)
write_json(out, "tests/fixtures/pipeline/lalonde_id_order.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
