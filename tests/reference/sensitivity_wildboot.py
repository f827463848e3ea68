"""Wild cluster bootstrap reference for evaltool.sensitivity.cluster (fixture generation only).

Writes tests/fixtures/sensitivity/wildboot.json from PyPI ``wildboottest`` 0.3.2 (pip install
wildboottest==0.3.2; not a dependency of evaltool): restricted (WCR), Rademacher weights, full
enumeration of the 2^10 sign vectors (B = 2^10 + 1 triggers it), small-sample adjustments on,
unweighted OLS y ~ 1 + treat clustered by area on tests/fixtures/sensitivity/cluster_data.csv.
Run from the repository root: python tests/reference/sensitivity_wildboot.py
"""

import json
from importlib.metadata import version

import numpy as np
import pandas as pd
from wildboottest.wildboottest import WildboottestCL

d = pd.read_csv("tests/fixtures/sensitivity/cluster_data.csv")
X = np.column_stack([np.ones(len(d)), d["treat"].to_numpy(float)])
y = d["y"].to_numpy(float)
R = np.array([0.0, 1.0])
boot = WildboottestCL(X=X, Y=y, cluster=d["area"].to_numpy(), R=R, B=2 ** 10 + 1, seed=1, parallel=False)
boot.get_scores(bootstrap_type="11", impose_null=True)
boot.get_weights(weights_type="rademacher")
boot.get_numer()
boot.get_denom()
boot.get_tboot()
boot.get_vcov()
boot.get_tstat()
boot.get_pvalue(pval_type="two-tailed")
out = {
    "call": "WildboottestCL(X, y, cluster=area, R=[0, 1], B=1025, seed=1); get_scores('11', impose_null=True); "
            "get_weights('rademacher'); get_numer(); get_denom(); get_tboot(); get_vcov(); get_tstat(); "
            "get_pvalue('two-tailed')",
    "full_enumeration": bool(boot.full_enumeration), "n_draws": int(np.size(boot.t_boot)),
    "t_stat": float(np.ravel(boot.t_stat)[0]), "p_value": float(np.ravel(boot.pvalue)[0]),
    "t_boot_sorted": sorted(float(v) for v in np.ravel(boot.t_boot)),
    "provenance": {"script": "tests/reference/sensitivity_wildboot.py", "wildboottest": version("wildboottest"),
                   "numpy": np.__version__, "data": "tests/fixtures/sensitivity/cluster_data.csv"},
}
with open("tests/fixtures/sensitivity/wildboot.json", "w") as fh:
    json.dump(out, fh, indent=1)
