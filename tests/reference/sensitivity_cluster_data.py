"""Fixed dataset for the cluster-inference references (shared by the R and wildboottest scripts).

Writes tests/fixtures/sensitivity/cluster_data.csv: 10 housing areas (4 treated), 24 persons
each, matched pairs within treated/control area pairs, an area shock, design weights.
Run from the repository root: python tests/reference/sensitivity_cluster_data.py
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
rows = []
for area in range(10):
    treated = int(area < 4)
    shock = rng.normal(0, 0.5)
    for i in range(24):
        rows.append({"area": area, "treat": treated, "pair": (area % 4) * 24 + i if area < 8 else 100 + i,
                     "w": float(rng.choice([0.5, 1.0, 2.0])),
                     "y": round(1.0 + 0.3 * treated + shock + rng.normal(), 6)})
pd.DataFrame(rows).to_csv("tests/fixtures/sensitivity/cluster_data.csv", index=False)
