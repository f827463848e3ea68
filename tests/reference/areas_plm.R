# TWFE reference for evaltool.areas.twfe on the simulated panel tests/fixtures/areas/sim_staggered_panel.csv
# (written by tests/reference/areas_make_panel.py). Run from the repository root:
#   Rscript tests/reference/areas_plm.R
# Writes tests/fixtures/areas/plm_twfe.json. Never run by the test suite.
library(plm)
library(jsonlite)
library(sandwich)
d <- read.csv("tests/fixtures/areas/sim_staggered_panel.csv", stringsAsFactors = FALSE)
d$post <- as.numeric(d$outreach_start_year > 0 & d$year >= d$outreach_start_year)
p <- pdata.frame(d, index = c("area", "year"))
m <- plm(unemployment_rate ~ post, data = p, model = "within", effect = "twoways")
mw <- plm(unemployment_rate ~ post, data = p, model = "within", effect = "twoways", weights = residents)
ml <- lm(unemployment_rate ~ post + factor(area) + factor(year), data = d, weights = residents)
se <- function(v) unname(sqrt(diag(v))[1])
out <- list(
  data = "tests/fixtures/areas/sim_staggered_panel.csv (simulate_area_panel(24, 2008:2020, 'staggered', -0.03, seed=20260))",
  unweighted = list(
    call = "plm(unemployment_rate ~ post, index=c('area','year'), model='within', effect='twoways')",
    estimate = unname(coef(m)[1]),
    se_arellano_HC1_cluster_group = se(vcovHC(m, method = "arellano", type = "HC1", cluster = "group")),
    se_arellano_HC0_cluster_group = se(vcovHC(m, method = "arellano", type = "HC0", cluster = "group")),
    se_classical = se(vcov(m))),
  weighted = list(
    call = "same with weights = residents",
    estimate = unname(coef(mw)[1]),
    se_classical = se(vcov(mw)),
    note = "plm's vcovHC is not implemented for weighted panel regressions: point estimate and classical SE only"),
  weighted_lm = list(
    call = paste("lm(unemployment_rate ~ post + factor(area) + factor(year), weights = residents);",
                 "cluster SE = sqrt(n/(n-1) * sandwich::vcovCL(m, cluster = ~area, type = 'HC0', cadjust = FALSE))",
                 "(plm's arellano HC1 convention, computed with sandwich because plm's weighted twoways",
                 "within model is not the exact WLS with dummies)"),
    estimate = unname(coef(ml)["post"]),
    se_cluster_plm_HC1_convention = sqrt(nrow(d) / (nrow(d) - 1) *
                                         vcovCL(ml, cluster = ~area, type = "HC0", cadjust = FALSE)["post", "post"]),
    se_classical = unname(sqrt(vcov(ml)["post", "post"]))),
  versions = paste0(R.version.string, "; plm ", as.character(packageVersion("plm")), "; sandwich ",
                  as.character(packageVersion("sandwich")))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/fixtures/areas/plm_twfe.json")
