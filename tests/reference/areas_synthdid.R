# Synthetic DiD / synthetic control / DiD reference with two treated areas (N1 = 2) on
# tests/fixtures/areas/sim_fredericia_panel.csv (written by tests/reference/areas_make_panel.py).
# synthdid built from source: fetch github:synth-inference/synthdid (commit 70c1ce3),
#   git archive HEAD | tar -x -C /tmp/src_synthdid && R CMD INSTALL --library=<lib> /tmp/src_synthdid
# Run from the repository root:  R_LIBS=<lib> Rscript tests/reference/areas_synthdid.R
# Writes tests/fixtures/areas/synthdid_fredericia.json. Never run by the test suite.
library(synthdid)
library(jsonlite)
d <- read.csv("tests/fixtures/areas/sim_fredericia_panel.csv", stringsAsFactors = FALSE)
d$treated <- as.integer(d$outreach_start_year > 0 & d$year >= d$outreach_start_year)
setup <- panel.matrices(d, unit = "area", time = "year", outcome = "unemployment_rate", treatment = "treated")
est <- list(synthetic_did = synthdid_estimate(setup$Y, setup$N0, setup$T0),
            synthetic_control = sc_estimate(setup$Y, setup$N0, setup$T0),
            did = did_estimate(setup$Y, setup$N0, setup$T0))
w <- function(e) { om <- attr(e, "weights")$omega; names(om) <- rownames(setup$Y)[1:setup$N0]; as.list(om) }
out <- list(
  data = "tests/fixtures/areas/sim_fredericia_panel.csv (simulate_area_panel(16, 2008:2020, 'fredericia', -0.03, seed=2026))",
  call = paste("setup = panel.matrices(d, unit='area', time='year', outcome='unemployment_rate', treatment='treated');",
               "synthdid_estimate / sc_estimate / did_estimate(setup$Y, setup$N0, setup$T0), package defaults"),
  N0 = setup$N0, T0 = setup$T0,
  estimates = lapply(est, function(e) as.numeric(e)),
  omega = list(synthetic_did = w(est$synthetic_did), synthetic_control = w(est$synthetic_control)),
  lambda_synthetic_did = as.numeric(attr(est$synthetic_did, "weights")$lambda),
  versions = paste0(R.version.string, "; synthdid ", as.character(packageVersion("synthdid")), " (commit 70c1ce3)")
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/fixtures/areas/synthdid_fredericia.json")
