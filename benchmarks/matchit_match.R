# Peer side of benchmarks/bench_matchit.py: the same work as benchmarks/_evaltool_match.py.
# Read the CSV, fit the logit propensity score (glm, via MatchIt distance = "glm"),
# 1:1 nearest matching (largest first, without replacement), build the matched sample
# and write the matched pairs (treated row, control row; 1-based data rows).
#
# Usage: R_LIBS=/root/R-peers Rscript benchmarks/matchit_match.R DATA.csv CALIPER|none OUT.csv [lower]
# With "lower" it only reads the CSV and sorts one column (the lower bound).
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; caliper <- args[2]; out <- args[3]
lower <- length(args) >= 4 && args[4] == "lower"
d <- data.table::fread(path, data.table = FALSE, showProgress = FALSE)
if (lower) {
  o <- order(d$prior_support)
  writeLines(as.character(length(o)), out)
  quit(save = "no")
}
suppressPackageStartupMessages(library(MatchIt))
f <- treat ~ age + female + origin + educ + benefit + prior_support + prior_employment + prior_internship
m <- if (caliper == "none") {
  matchit(f, data = d, method = "nearest", distance = "glm")
} else {
  matchit(f, data = d, method = "nearest", distance = "glm", caliper = as.numeric(caliper))
}
md <- match.data(m)
mm <- m$match.matrix
keep <- !is.na(mm[, 1])
pairs <- data.frame(treated = as.integer(rownames(mm)[keep]), control = as.integer(mm[keep, 1]))
data.table::fwrite(pairs, out)
cat(nrow(md), "\n")
