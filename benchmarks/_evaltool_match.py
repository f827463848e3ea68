"""evaltool side of benchmarks/bench_matchit.py: the same work as benchmarks/matchit_match.R.

Read the CSV, fit the logit propensity score, 1:1 nearest matching (largest first, without
replacement), build the matched sample and write the matched pairs (treated row, control
row; 1-based data rows, as R's row names; pyarrow's CSV writer as R's ``fwrite``).

Usage: python benchmarks/_evaltool_match.py DATA.csv CALIPER|none OUT.csv [lower]
With ``lower`` it only reads the CSV and sorts one column (the lower bound).
"""

from __future__ import annotations

import sys

COVARIATES = ["age", "female", "C(origin)", "C(educ)", "C(benefit)", "prior_support",
              "prior_employment", "prior_internship"]


def main(argv: list[str]) -> None:
    import numpy as np
    import pandas as pd

    path, caliper, out = argv[:3]
    d = pd.read_csv(path, engine="pyarrow")
    if len(argv) > 3 and argv[3] == "lower":
        order = np.argsort(d["prior_support"].to_numpy(), kind="stable")
        with open(out, "w") as fh:
            fh.write(f"{order.size}\n")
        return
    import evaltool

    d.index = pd.RangeIndex(1, len(d) + 1)
    m = evaltool.match(d, "treat", COVARIATES, caliper=None if caliper == "none" else float(caliper))
    md = m.matched_data()
    pairs = m.pairs()[["treated", "control"]]
    # pyarrow's CSV writer, as the R side writes with data.table::fwrite (each side's fastest)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(pa.Table.from_pandas(pairs, preserve_index=False), out,
                    pacsv.WriteOptions(quoting_style="none"))
    sys.stdout.write(f"{len(md)}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
