"""evaltool side of benchmarks/bench_matchit.py: the same work as benchmarks/matchit_match.R.

Read the CSV with pyarrow, fit the logit propensity score, 1:1 nearest matching (largest
first, without replacement), build the matched sample and write the matched pairs
(treated row, control row; 1-based data rows, as R's row names; pyarrow's CSV writer as
R's ``fwrite``). The whole path runs on the pyarrow Table: pandas is never imported.

Usage: python benchmarks/_evaltool_match.py DATA.csv CALIPER|none OUT.csv [lower]
With ``lower`` it only reads the CSV and sorts one column (the lower bound: interpreter,
``import pyarrow.csv, numpy``, the read and one sort; the column is read by
evaltool._arrow, as pyarrow's own ``to_numpy`` would import pandas).
"""

from __future__ import annotations

import sys

COVARIATES = ["age", "female", "C(origin)", "C(educ)", "C(benefit)", "prior_support",
              "prior_employment", "prior_internship"]


def main(argv: list[str]) -> None:
    import numpy as np
    import pyarrow.csv as pacsv

    path, caliper, out = argv[:3]
    d = pacsv.read_csv(path)
    if len(argv) > 3 and argv[3] == "lower":
        from evaltool._arrow import to_numpy

        order = np.argsort(to_numpy(d.column("prior_support")), kind="stable")
        with open(out, "w") as fh:
            fh.write(f"{order.size}\n")
        return
    import pyarrow as pa

    import evaltool
    from evaltool._arrow import from_numpy, to_numpy

    m = evaltool.match(d, "treat", COVARIATES, caliper=None if caliper == "none" else float(caliper))
    md = m.matched_data()
    pairs = m.pairs()
    # labels are 0-based row positions; R's row names are 1-based
    rows = [from_numpy(to_numpy(pairs.column(c)) + 1) for c in ("treated", "control")]
    # pyarrow's CSV writer, as the R side writes with data.table::fwrite (each side's fastest)
    pacsv.write_csv(pa.Table.from_arrays(rows, names=["treated", "control"]), out,
                    pacsv.WriteOptions(quoting_style="none"))
    sys.stdout.write(f"{md.num_rows}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
