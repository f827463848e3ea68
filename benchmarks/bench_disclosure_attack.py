"""Attack the gated output folders of many random small studies:
``python benchmarks/bench_disclosure_attack.py [--studies 1000] [--first 1000] [--reports-every 10]
[--max-seconds S]``.

Each study is the bundled demo on 50-600 simulated persons with a random seed, treated share,
caliper and exact-matching rule, 99 bootstrap / permutation replicates (``tests/attacker.py:
random_study_overrides``), run as the demo's two evaluations (``tests/attacker.py: gated_pair_folder``): a
midterm (persons who started by the midterm cut, 52 weeks of follow-up) and a final controlled against it.
Both gated output folders (results.json, every CSV and, for every ``--reports-every``-th study, the HTML
reports in one language) are attacked by ``tests/attacker.py``, each alone and the pair by differencing
(``attack_midterm_final``: cells both publish, every size of a group against every size of it in the other,
subgroup levels' union). ``--single`` runs the final only, without a midterm (the earlier recorded runs).
Prints one line per study and a summary: studies run, refused (a one-line evaltool error, nothing written),
attacked, findings. Exit code 1 if anything was found. The full-run result is recorded in docs/disclosure.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from attacker import attack, attack_midterm_final, gated_pair_folder, gated_study_folder  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=1000)
    ap.add_argument("--first", type=int, default=1000, help="first seed")
    ap.add_argument("--reports-every", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="start no further study after this many seconds (the summary counts what ran)")
    ap.add_argument("--single", action="store_true", help="the final only, no midterm (no pair to difference)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    refused = attacked = 0
    findings: list[str] = []
    t0 = time.perf_counter()
    ran = 0
    for seed in range(args.first, args.first + args.studies):
        if args.max_seconds is not None and time.perf_counter() - t0 > args.max_seconds:
            break
        ran += 1
        with tempfile.TemporaryDirectory() as tmp:
            try:
                make = gated_study_folder if args.single else gated_pair_folder
                folder = make(seed, Path(tmp) / "out", reports=seed % args.reports_every == 0)
            except Exception as exc:  # a crash is a defect to fix, not a pass: counted and listed as a finding
                findings.append(f"seed {seed}: crashed: {type(exc).__name__}: {exc}"[:300])
                print(f"seed {seed}: crashed ({type(exc).__name__})", flush=True)
                continue
            if folder is None:
                refused += 1
                print(f"seed {seed}: refused", flush=True)
                continue
            found = attack(folder) + attack_midterm_final(folder)
        attacked += 1
        findings += [f"seed {seed}: {f}" for f in found]
        print(f"seed {seed}: {len(found)} finding(s)", flush=True)
    print(f"studies {ran} (seeds {args.first}-{args.first + ran - 1}), refused {refused}, attacked {attacked}, "
          f"findings {len(findings)}, {time.perf_counter() - t0:.0f} s")
    print("\n".join(findings[:100]))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
