# Reference numbers for evaltool.effects: weighted lm + sandwich on MatchIt 4.7.2 designs.
#
# Run from the repository root:
#   Rscript tests/reference/effects_sandwich.R [SHARED_DIR]
# SHARED_DIR (default /work/shared) holds data/lalonde_matchit.csv and
# reference/matchit-4.7.2/*.json (MatchIt 4.7.2 per-unit weights/subclasses).
# Writes tests/fixtures/effects/sandwich.json: the data columns the tests need,
# the per-unit design of each case, and the R numbers with the exact R calls.
suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
shared <- if (length(args) >= 1) args[1] else "/work/shared"
d <- read.csv(file.path(shared, "data", "lalonde_matchit.csv"), stringsAsFactors = FALSE)
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
covs <- c("age", "educ", "race", "married", "nodegree", "re74", "re75")

cases <- c("lalonde_nearest_1to1", "lalonde_nearest_ratio2", "lalonde_nearest_exact_married",
           "lalonde_nearest_smallest", "lalonde_mahalanobis", "lalonde_nearest_replace")

se_of <- function(v) unname(sqrt(v["treat", "treat"]))

out_cases <- list()
for (case in cases) {
  ref <- fromJSON(file.path(shared, "reference", "matchit-4.7.2", paste0(case, ".json")))
  u <- ref$results$units
  stopifnot(identical(u$id, d$id))
  w <- as.numeric(u$weight)
  sc <- if (is.null(u$subclass)) rep(NA_character_, nrow(d)) else u$subclass
  md <- d[w > 0, ]
  md$weights <- w[w > 0]
  md$subclass <- sc[w > 0]
  res <- list(case = case, matchit_call = ref$r_call, weight = w, subclass = sc)

  fit <- lm(re78 ~ treat, data = md, weights = weights)
  res$difference <- list(
    estimate = unname(coef(fit)["treat"]),
    se_hc0 = se_of(vcovHC(fit, type = "HC0")),
    se_hc1 = se_of(vcovHC(fit, type = "HC1")),
    se_hc3 = se_of(vcovHC(fit, type = "HC3")),
    r_code = "fit <- lm(re78 ~ treat, data = md, weights = weights); vcovHC(fit, type = 'HC0'|'HC1'|'HC3')"
  )
  if (!all(is.na(md$subclass))) {
    res$difference$se_cluster <- se_of(vcovCL(fit, cluster = ~subclass))
    res$difference$se_cluster_hc0 <- se_of(vcovCL(fit, cluster = ~subclass, type = "HC0", cadjust = FALSE))
    res$difference$r_code_cluster <- "vcovCL(fit, cluster = ~subclass) [HC1, cadjust]; vcovCL(fit, cluster = ~subclass, type = 'HC0', cadjust = FALSE)"
  }

  # Regression adjustment: covariates centred at the weighted treated mean, so the
  # coefficient of treat is the ATT (g-computation with treat x covariate interactions).
  X <- model.matrix(~ age + educ + race + married + nodegree + re74 + re75, data = md)[, -1]
  tr <- md$treat == 1
  ctr <- colSums(X[tr, , drop = FALSE] * md$weights[tr]) / sum(md$weights[tr])
  Xc <- sweep(X, 2, ctr)
  colnames(Xc) <- make.names(colnames(Xc))
  mdr <- cbind(md[, c("re78", "treat", "weights", "subclass")], Xc)
  f_ra <- as.formula(paste("re78 ~ treat * (", paste(colnames(Xc), collapse = " + "), ")"))
  fit_ra <- lm(f_ra, data = mdr, weights = weights)
  res$regression <- list(
    estimate = unname(coef(fit_ra)["treat"]),
    se_hc1 = se_of(vcovHC(fit_ra, type = "HC1")),
    se_hc3 = se_of(vcovHC(fit_ra, type = "HC3")),
    covariates = covs,
    r_code = paste0("X <- model.matrix(~ ", paste(covs, collapse = " + "),
                    ", md)[, -1]; Xc <- X centred at weighted treated means; fit <- lm(",
                    deparse(f_ra, width.cutoff = 500L), ", weights = weights)")
  )
  if (!all(is.na(md$subclass))) {
    res$regression$se_cluster <- se_of(vcovCL(fit_ra, cluster = ~subclass))
  }

  if (case == "lalonde_nearest_replace") {
    gm <- ref$results$get_matches
    g <- data.frame(unit_id = gm$unit_id, subclass = gm$subclass, weights = as.numeric(gm$weights),
                    treat = as.integer(gm$treat), stringsAsFactors = FALSE)
    g$re78 <- d$re78[match(g$unit_id, d$id)]
    fit2 <- lm(re78 ~ treat, data = g, weights = weights)
    res$get_matches <- list(unit_id = g$unit_id, subclass = g$subclass, weights = g$weights, treat = g$treat)
    res$two_way <- list(
      estimate = unname(coef(fit2)["treat"]),
      se = se_of(vcovCL(fit2, cluster = ~subclass + unit_id)),
      se_subclass_only = se_of(vcovCL(fit2, cluster = ~subclass)),
      se_unit_only = se_of(vcovCL(fit2, cluster = ~unit_id)),
      r_code = "fit2 <- lm(re78 ~ treat, data = get_matches(m, id = 'unit_id'), weights = weights); vcovCL(fit2, cluster = ~subclass + unit_id)"
    )
  }
  out_cases[[case]] <- res
}

out <- list(
  description = "Weighted lm ATT and sandwich SEs on MatchIt 4.7.2 designs (Lalonde, MatchIt version of the data)",
  generated_by = "tests/reference/effects_sandwich.R",
  source = "per-unit weights/subclasses from MatchIt 4.7.2 reference JSONs (lalonde_*.json); data lalonde_matchit.csv (R data(lalonde, package = 'MatchIt'))",
  versions = list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  data = list(id = d$id, treat = d$treat, age = d$age, educ = d$educ, race = as.character(d$race),
              married = d$married, nodegree = d$nodegree, re74 = d$re74, re75 = d$re75, re78 = d$re78),
  cases = out_cases
)
dir.create("tests/fixtures/effects", showWarnings = FALSE, recursive = TRUE)
write_json(out, "tests/fixtures/effects/sandwich.json", digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null", null = "null")
cat("wrote tests/fixtures/effects/sandwich.json\n")
