# CR1 one-way (area) and two-way (area + pair) cluster-robust SEs for evaltool.sensitivity.cluster.
# Writes tests/fixtures/sensitivity/cluster_sandwich.json.
# Run from the repository root (after tests/reference/sensitivity_cluster_data.py):
#   Rscript tests/reference/sensitivity_cluster.R
suppressPackageStartupMessages({ library(jsonlite); library(sandwich) })
d <- read.csv("tests/fixtures/sensitivity/cluster_data.csv")
fit <- lm(y ~ treat, data = d, weights = w)
v1 <- vcovCL(fit, cluster = ~area, type = "HC1")
v2 <- vcovCL(fit, cluster = ~area + pair, type = "HC1")
fit0 <- lm(y ~ treat, data = d)
v0 <- vcovCL(fit0, cluster = ~area, type = "HC1")
out <- list(
  call = c("fit <- lm(y ~ treat, data = d, weights = w)", "vcovCL(fit, cluster = ~area, type = 'HC1')",
           "vcovCL(fit, cluster = ~area + pair, type = 'HC1')",
           "vcovCL(lm(y ~ treat, data = d), cluster = ~area, type = 'HC1')"),
  estimate = unname(coef(fit)["treat"]), se_cr1 = sqrt(v1["treat", "treat"]),
  se_twoway = sqrt(v2["treat", "treat"]),
  estimate_unweighted = unname(coef(fit0)["treat"]), se_cr1_unweighted = sqrt(v0["treat", "treat"]),
  provenance = list(script = "tests/reference/sensitivity_cluster.R", R = R.version.string,
                    sandwich = as.character(packageVersion("sandwich")),
                    data = "tests/fixtures/sensitivity/cluster_data.csv"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/fixtures/sensitivity/cluster_sandwich.json")
