# Reference for evaltool.design.matching.cycle_canceling: rlemon::MinCostFlow(algorithm =
# "CycleCancelling") -- the solver optmatch 0.10.8.9002 uses without rrelaxiv -- on small random
# networks with many equal-cost optima, so that the flow returned shows the solver's choices.
#
# Run from the repository root:
#   R_LIBS=/root/R-peers Rscript tests/reference/lemon_cycle_canceling.R
# Writes tests/fixtures/designs/lemon_cycle_canceling.json: per network the nodes, arcs (1-based,
# in the order given to rlemon), capacities, costs, supplies, and rlemon's flows and total cost.
suppressPackageStartupMessages({
  library(rlemon)
  library(jsonlite)
})
set.seed(20261202)
nets <- list()
# optmatch-style full-matching networks (rows supply mxc, End and Sink) with tied integer costs
for (k in 1:12) {
  nt <- sample(2:7, 1); nc <- sample((nt + 1):16, 1)
  mxc <- nc; mnc <- 1; mxr <- sample(c(1, nt), 1)
  ij <- expand.grid(i = 1:nt, j = 1:nc)
  ij <- ij[runif(nrow(ij)) < 0.8, ]
  ij <- ij[order(ij$j), ]  # column by column, as optmatch's edge lists
  ok <- all(1:nt %in% ij$i) && all(1:nc %in% ij$j)
  if (!ok) next
  endID <- nt + nc + 1; sinkID <- nt + nc + 2
  src <- c(ij$i, 1:(nt + nc), nt + 1:nc)
  tgt <- c(nt + ij$j, rep(endID, nt + nc), rep(sinkID, nc))
  cap <- c(rep(1, nrow(ij)), rep(mxc - mnc, nt), rep(mxr - 1, nc), rep(1, nc))
  cost <- c(sample(1:4, nrow(ij), replace = TRUE), rep(0, nt + 2 * nc))
  sup <- c(rep(mxc, nt), rep(0, nc), -(mxc * nt - nc), -nc)
  nets[[length(nets) + 1]] <- list(kind = "fullmatch", n = nt + nc + 2, src = src, tgt = tgt,
                                   cap = cap, cost = cost, supply = sup)
}
# general networks: random arcs (parallel arcs allowed), capacities 1..4, costs -2..3, a
# spanning path in both directions so that every supply can be routed
for (k in 1:12) {
  n <- sample(4:12, 1); m <- sample(n:(4 * n), 1)
  src <- c(1:(n - 1), 2:n, sample(1:n, m, replace = TRUE))
  tgt <- c(2:n, 1:(n - 1), sample(1:n, m, replace = TRUE))
  keep <- src != tgt; src <- src[keep]; tgt <- tgt[keep]
  cap <- c(rep(20, 2 * (n - 1)), sample(1:4, length(src) - 2 * (n - 1), replace = TRUE))
  cost <- c(rep(3, 2 * (n - 1)), sample(-2:3, length(src) - 2 * (n - 1), replace = TRUE))
  sup <- sample(-3:3, n, replace = TRUE); sup[n] <- sup[n] - sum(sup)
  nets[[length(nets) + 1]] <- list(kind = "general", n = n, src = src, tgt = tgt, cap = cap,
                                   cost = cost, supply = sup)
}
for (k in seq_along(nets)) {
  x <- nets[[k]]
  out <- MinCostFlow(x$src, x$tgt, x$cap, x$cost, x$supply, x$n, algorithm = "CycleCancelling")
  nets[[k]]$flow <- out[[1]]; nets[[k]]$total <- out[[3]]; nets[[k]]$status <- out[[4]]
}
u <- jsonlite::unbox
res <- list(description = u("rlemon::MinCostFlow(algorithm = 'CycleCancelling') on small random networks"),
            generated_by = u("tests/reference/lemon_cycle_canceling.R"), generated_on = u(format(Sys.Date())),
            versions = list(R = u(R.version.string), rlemon = u(as.character(packageVersion("rlemon")))),
            networks = nets)
write_json(res, "tests/fixtures/designs/lemon_cycle_canceling.json", digits = NA, auto_unbox = FALSE)
cat("wrote", length(nets), "networks\n")
