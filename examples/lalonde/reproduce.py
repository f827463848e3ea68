"""LaLonde: evaltool against R MatchIt 4.7.2 (run from the repository root).

Matches as ``matchit(treat ~ age + educ + race + married + nodegree + re74 + re75)`` and estimates the
ATT on re78 with a pair-clustered SE; prints both beside R's numbers (from the reference fixture).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import evaltool

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "tests" / "fixtures" / "matchit" / "lalonde_nearest_1to1.json"


def main() -> None:
    data = pd.read_csv(HERE / "lalonde.csv")
    m = evaltool.match(data, "treat", ["age", "educ", "C(race)", "married", "nodegree", "re74", "re75"])
    eff = evaltool.estimate(m, data[["re78"]])
    row = eff.to_frame().iloc[0]
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    r_att, r_se = ref["results"]["att"]["re78"]["estimate"], ref["results"]["att"]["re78"]["se"]
    print(f"matched treated/control : {int((m.weights[m.treat == 1] > 0).sum())}/"
          f"{int((m.weights[m.treat == 0] > 0).sum())}")
    print(f"ATT on re78 (evaltool)  : {row['estimate']:.4f}  SE {row['std_error']:.4f}")
    print(f"ATT on re78 (R MatchIt) : {r_att:.4f}  SE {r_se:.4f}")
    print(f"largest difference      : {max(abs(row['estimate'] - r_att), abs(row['std_error'] - r_se)):.1e}")


if __name__ == "__main__":
    main()
