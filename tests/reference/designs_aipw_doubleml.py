"""Reference numbers for evaltool.effects.aipw from DoubleML's IRM (cross-fitted AIPW).

Run from the repository root (needs `pip install doubleml`; used only here):
    python tests/reference/designs_aipw_doubleml.py
Data: simulated below (seeded), stored in the fixture. Folds: a seeded permutation cut
into K parts (the fold ids are stored and handed to DoubleML via set_sample_splitting).
Learners: sklearn LinearRegression (ml_g) and LogisticRegression(C=np.inf,
max_iter=1000, tol=1e-10) (ml_m); trimming_threshold 0.01 (DoubleML's default).
Writes tests/fixtures/designs/aipw_doubleml.json.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd


def simulate(n: int = 800, seed: int = 20261202) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    x3 = rng.binomial(1, 0.4, size=n)
    p = 1 / (1 + np.exp(-(-0.4 + 0.8 * x1 - 0.5 * x2 + 0.6 * x3)))
    t = rng.binomial(1, p)
    y = 1 + x1 + 0.5 * x2 ** 2 + x3 + t * (2 + 0.5 * x1) + rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "t": t, "y": y})


def folds(n: int, k: int, seed: int) -> np.ndarray:
    perm = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=np.int64)
    for j, part in enumerate(np.array_split(perm, k)):
        out[part] = j
    return out


def main() -> None:
    import doubleml as dml
    from sklearn.linear_model import LinearRegression, LogisticRegression

    d = simulate()
    cases = []
    for score in ("ATE", "ATTE"):
        for k in (2, 5):
            f = folds(len(d), k, seed=7)
            smpls = [(np.flatnonzero(f != j), np.flatnonzero(f == j)) for j in range(k)]
            data = dml.DoubleMLData(d, y_col="y", d_cols="t", x_cols=["x1", "x2", "x3"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                irm = dml.DoubleMLIRM(data, ml_g=LinearRegression(),
                                      ml_m=LogisticRegression(C=np.inf, max_iter=1000, tol=1e-10),
                                      n_folds=k, score=score, draw_sample_splitting=False)
                irm.set_sample_splitting(all_smpls=[smpls])
                irm.fit()
            cases.append({
                "score": score, "n_folds": k, "folds": f.tolist(),
                "coef": float(irm.coef[0]), "se": float(irm.se[0]),
                "call": f"DoubleMLIRM(data, ml_g=LinearRegression(), ml_m=LogisticRegression(C=np.inf, "
                        f"max_iter=1000, tol=1e-10), n_folds={k}, score='{score}', "
                        f"draw_sample_splitting=False); set_sample_splitting(all_smpls=[folds]); fit()",
            })
    out = {"description": "DoubleML IRM (cross-fitted AIPW) on simulated data",
           "generated_by": "tests/reference/designs_aipw_doubleml.py",
           "versions": {"doubleml": version("doubleml"), "scikit-learn": version("scikit-learn"),
                        "numpy": version("numpy")},
           "data": {c: d[c].tolist() for c in d.columns}, "cases": cases}
    path = Path("tests/fixtures/designs/aipw_doubleml.json")
    path.write_text(json.dumps(out))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
