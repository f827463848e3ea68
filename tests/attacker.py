"""An attacker on an evaltool output folder: can a count of 1 .. min_cell - 1 persons be read or derived?

``attack(folder)`` parses results.json, every CSV and the HTML reports' tables, reads every
published count directly and reconstructs cells from every published margin:

* direct counts (every field a record declares as a person count, every CSV column ``n``/``n_*``,
  every HTML table column headed "(n)");
* implied counts: ``share x n`` (and ``(1 - share) x n``) of target-group levels, trajectory shares,
  balance-table binary "before"/"after" shares times the group sizes, by-week KM shares;
* totals minus levels: target-group levels vs every published group size, dropped rows vs
  ``n_read - n_used``, subgroup levels vs the main effect's n, propensity histogram bins vs group sizes;
* before vs after matching: ``all - matched`` per side from any published source;
* Kaplan–Meier: events, and persons leaving the risk set between published steps.

It returns a list of findings (strings, no person ids); an empty list means nothing was found.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from attacker_cross import attack_km_ratios, attack_process, attack_sizes
from attacker_followup import attack_followup
import evaltool.report.gate  # noqa: F401,E402  (every block's disclosure declarations, the area records' too)
from evaltool.report.disclosure_protocol import fields_of
from evaltool.results._record import Record
from evaltool.results.schema import ResultsDocument

_TERM = re.compile(r"^C\((?P<var>[^)]+)\)(?P<level>.+)$")


class Attack:
    def __init__(self, m: int) -> None:
        self.m = m
        self.findings: list[str] = []

    def check(self, value: float | None, what: str, tol: float = 1e-6) -> None:
        if isinstance(value, dict):  # a {group: count} mapping
            for k, v in value.items():
                self.check(v, f"{what}[{k}]", tol)
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        r = round(value)
        if abs(value - r) <= tol and 0 < r < self.m:
            self.findings.append(f"{what} = {r}")

    def implied(self, share: float | None, n: float | None, what: str) -> None:
        if share is None or not n:
            return
        self.check(share * n, f"{what} (share x n)", tol=0.5)
        self.check((1 - share) * n, f"{what} (rest: (1 - share) x n)", tol=0.5)


def _walk(rec: Record, where: str, a: Attack) -> None:
    spec, _known = fields_of(type(rec))
    for f in spec.counts:
        a.check(getattr(rec, f), f"results.json {where}.{f}")
    for name in (f.name for f in dataclasses.fields(rec)):
        v = getattr(rec, name)
        if isinstance(v, Record):
            _walk(v, f"{where}.{name}", a)
        elif isinstance(v, tuple):
            for i, x in enumerate(v):
                if isinstance(x, Record):
                    _walk(x, f"{where}.{name}[{i}]", a)


def _sizes(doc: ResultsDocument) -> dict[str, set]:
    """Every published size of each group (all / matched), from any block."""
    n, dr, tg = doc.design.n, doc.data_report, doc.target_group
    out = {"treated_all": {n.treated_all, dr.n_treated, tg.n_treated}, "control_all": {n.control_all, dr.n_control,
                                                                                       tg.n_pool},
           "treated_matched": {n.treated_matched}, "control_matched": {n.control_matched}}
    if dr.n_used is not None:
        for side, other in (("treated", "control"), ("control", "treated")):
            for o in list(out[f"{other}_all"]):
                if o is not None:
                    out[f"{side}_all"].add(dr.n_used - o)
    if dr.n_read is not None and all(d.n is not None for d in dr.dropped):
        used = dr.n_read - sum(d.n for d in dr.dropped)
        for o in list(out["control_all"]):
            if o is not None:
                out["treated_all"].add(used - o)
    for var in dict.fromkeys(r.variable for r in tg.by):
        rows = [r for r in tg.by if r.variable == var]
        for col, key in (("n_treated", "treated_all"), ("n_pool", "control_all")):
            if all(getattr(r, col) is not None for r in rows):
                out[key].add(sum(getattr(r, col) for r in rows))
    for e in doc.effects:
        out["treated_matched"].add(e.n_treated)
        out["control_matched"].add(e.n_control)
    return {k: {v for v in s if v is not None} for k, s in out.items()}


def attack_document(doc: ResultsDocument, a: Attack, label: str = "results.json") -> None:
    _walk(doc, "", a)
    attack_sizes(doc, a, label)  # cross-block: tests/attacker_cross.py
    attack_km_ratios(doc, a, label)
    attack_process(doc, a, label)
    sizes = _sizes(doc)
    for side in ("treated", "control"):
        for all_ in sizes[f"{side}_all"]:
            for matched in sizes[f"{side}_matched"]:
                a.check(all_ - matched, f"{label}: {side} all - matched ({all_} - {matched})")
    # target group: shares x n, totals minus levels
    tg = doc.target_group
    for var in dict.fromkeys(r.variable for r in tg.by):
        rows = [r for r in tg.by if r.variable == var]
        for col, share, key in (("n_treated", "share_treated", "treated_all"), ("n_pool", "share_pool", "control_all")):
            for total in sizes[key]:
                for r in rows:
                    a.implied(getattr(r, share), total, f"{label}: target_group {var}={r.level} {share}")
                shown = sum(getattr(r, col) for r in rows if getattr(r, col) is not None)
                if any(getattr(r, col) is None for r in rows):
                    a.check(total - shown, f"{label}: target_group {var} {col}: total - shown levels")
    # balance shares x group sizes (before: all; after: matched)
    for r in doc.balance.rows:
        if r.type != "binary":
            continue
        for phase, kind in (("before", "all"), ("after", "matched")):
            for side in ("treated", "control"):
                for n in sizes[f"{side}_{kind}"]:
                    a.implied(getattr(r, f"mean_{side}_{phase}"), n, f"{label}: balance {r.term} {side} {phase}")
    # dropped rows vs n_read - n_used
    dr = doc.data_report
    if dr.n_read is not None and dr.n_used is not None and dr.dropped:
        shown = sum(d.n for d in dr.dropped if d.n is not None)
        if any(d.n is None for d in dr.dropped):
            a.check(dr.n_read - dr.n_used - shown, f"{label}: dropped rows: n_read - n_used - shown")
    # subgroup levels vs the main effect
    for (outcome, var) in dict.fromkeys((s.outcome, s.variable) for s in doc.subgroups):
        rows = [s for s in doc.subgroups if s.outcome == outcome and s.variable == var]
        main = doc.effect(outcome)
        for col in ("n_treated", "n_control"):
            total = getattr(main, col) if main is not None else None
            if total is not None:
                a.check(total - sum(getattr(s, col) or 0 for s in rows),
                        f"{label}: subgroups {outcome}/{var} {col}: total - shown levels")
    # trajectories and by-week shares
    for t in doc.trajectories:
        a.implied(t.share, t.n, f"{label}: trajectory {t.group} week {t.week} {t.category}")
    for b in doc.time_to_event:
        for p_prev, p in _steps(b.km):
            a.check(p_prev.at_risk - (p_prev.events or 0) - p.at_risk,
                    f"{label}: KM {b.outcome} {p.group} week {p.week}: left the risk set since week {p_prev.week}")
        for w in b.by_week:
            for f, g in (("share_treated", "treated"), ("share_control", "control")):
                a.implied(getattr(w, f), (b.n or {}).get(g), f"{label}: KM {b.outcome} week {w.week} {f}")
    # propensity histogram: bins vs group sizes
    ps = doc.propensity
    if ps is not None:
        for series, key in (("treated", "treated_all"), ("control_all", "control_all"),
                            ("control_matched", "control_matched")):
            counts = getattr(ps, series)
            for v in counts:
                a.check(v, f"{label}: propensity {series} bin")
            if any(v is None for v in counts):
                for total in sizes[key]:
                    a.check(total - sum(v for v in counts if v is not None),
                            f"{label}: propensity {series}: total - shown bins")


def _steps(km):
    last = {}
    for p in km:
        if p.at_risk is None:
            continue
        if p.group in last:
            yield last[p.group], p
        last[p.group] = p


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


_COUNT_HEAD = re.compile(r"\(n\)|^n$|^antal|^number|personer|persons", re.I)


def attack_html(path: Path, a: Attack) -> None:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    for t, rows in enumerate(parser.tables):
        if not rows:
            continue
        head = rows[0]
        cols = [j for j, h in enumerate(head) if _COUNT_HEAD.search(h)]
        for row in rows[1:]:
            for j in cols:
                if j < len(row) and re.fullmatch(r"\d[\d.,]*", row[j]):
                    a.check(float(row[j].replace(".", "").replace(",", "")),
                            f"{path.name}: table {t + 1} column {head[j]!r}")


def attack_csv(path: Path, a: Attack, name: str) -> None:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for i, row in enumerate(rows):
        for col, v in row.items():
            if col in ("n", "at_risk", "events") or col.startswith("n_") or col.endswith("_n"):
                if v not in ("", None):
                    a.check(float(v), f"{name} row {i + 1} {col}")
        if name == "trajectories.csv" and row.get("share") and row.get("n"):
            a.implied(float(row["share"]), float(row["n"]), f"{name} row {i + 1}")


def attack(folder: str | Path) -> list[str]:
    """Every count of 1 .. min_cell - 1 persons readable or derivable from the output folder(s) below ``folder``."""
    folder = Path(folder)
    findings: list[str] = []
    for results in sorted(folder.rglob("results.json")):
        base = results.parent
        m = int(json.loads(results.read_text(encoding="utf-8"))["config"]["min_cell"])
        a = Attack(m)
        attack_document(ResultsDocument.read(results), a, str(results.relative_to(folder)))
        for path in sorted(base.rglob("*.csv")):
            if path.name != "disclosure_log.csv":
                attack_csv(path, a, str(path.relative_to(folder)))
        for path in sorted(base.glob("*.html")):
            attack_html(path, a)
        findings += a.findings
    return findings


def attack_midterm_final(folder: str | Path) -> list[str]:
    """Counts of 1 .. min_cell - 1 derived by differencing ``folder/midterm`` and ``folder/final`` (the demo's
    two evaluations, or :func:`gated_pair_folder`'s; tests/attacker_followup.py: cells both publish, group sizes
    against each other, subgroup levels' union)."""
    folder = Path(folder)
    pair = [folder / "midterm" / "results.json", folder / "final" / "results.json"]
    if not all(p.is_file() for p in pair):
        return []
    a = Attack(int(json.loads(pair[1].read_text(encoding="utf-8"))["config"]["min_cell"]))
    attack_followup(*(ResultsDocument.read(p) for p in pair), a)
    return a.findings


if __name__ == "__main__":
    import sys

    found = attack(sys.argv[1])
    print("\n".join(found[:200]))
    print(f"{len(found)} finding(s)")
    sys.exit(1 if found else 0)


# -- random small studies (the property test and benchmarks/bench_disclosure_attack.py) ----------------
def random_study_overrides(seed: int, *, low: int = 50, fast: bool = True) -> list[str]:
    """Config overrides of the bundled demo for one random small study (``low``-600 simulated persons).

    The regression cases found before the range became 50-600 replay with ``low=100, fast=False``.

    With ``fast``, the cluster bootstrap and permutation test run 99 replicates (the demo: 999) and the Rosenbaum
    grid has steps of 0.5 (the demo: 0.1), for speed: p-values and Gammas are not counts and the
    disclosure rules do not depend on them; every block and every file is still produced.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(rng.integers(low, 601))
    share = float(rng.choice([0.15, 0.25, 0.4]))
    caliper = float(rng.choice([0.05, 0.1, 0.2, 0.5]))
    # the simulator makes at least 100 persons: a smaller study keeps the first n ids (persons are drawn independently,
    # so they are a random sample)
    sample = "[]" if n >= 100 else f"[{{column: person_id, max: {n}}}]"
    out = [f"data.simulate.n={max(n, 100)}", f"data.simulate.seed={seed}", f"data.simulate.treated_share={share}",
           f"data.sample={sample}", f"design.caliper={caliper}", f"study.seed={seed}"]
    out.append(str(rng.choice(["design.exact=[]", "design.exact=[match_group]"])))
    if fast:
        out += ["sensitivity.cluster.n_boot=99", "sensitivity.cluster.permutations=99", "sensitivity.gamma.step=0.5"]
    return out


def gated_study_folder(seed: int, out: Path, *, reports: bool = False, low: int = 50, fast: bool = True
                       ) -> Path | None:
    """Run one random small study and write its gated output folder to ``out`` (None if the
    study was refused with a one-line evaltool error, e.g. separation: then nothing is written).

    With ``reports``, the folder also holds the HTML report, in one language (Danish for even seeds,
    English for odd ones: the two render the same controlled document)."""
    from evaltool.config import load_config
    from evaltool.exceptions import EvaltoolError
    from evaltool.study.inputs import bundled_resource
    from evaltool.study.outputs import atomic_folder, fill_output_folder, gate_document, render_reports
    from evaltool.study.run import run_study

    overrides = random_study_overrides(seed, low=low, fast=fast)
    if reports:
        overrides.append(f"report.languages=[{'da' if seed % 2 == 0 else 'en'}]")
    cfg = load_config(bundled_resource("demo.yaml"), overrides)
    try:
        result = run_study(cfg)
    except EvaltoolError:
        return None
    controlled, log = gate_document(cfg, result.document())
    rendered = render_reports(cfg, controlled) if reports else []
    return atomic_folder(out, lambda tmp: fill_output_folder(tmp, result, controlled, rendered, log))


def gated_pair_folder(seed: int, out: Path, *, reports: bool = False, low: int = 50, fast: bool = True
                      ) -> Path | None:
    """One random small study as the demo's two evaluations: ``out/midterm`` (persons who started by the demo's
    midterm cut, 52 weeks of follow-up) and ``out/final`` (everyone; its gate controlled against the midterm's
    published document), as :func:`evaltool.study.demo.write_demo` writes them. None if either was refused."""
    from evaltool.config import load_config
    from evaltool.config.schema import SampleRule
    from evaltool.exceptions import EvaltoolError
    from evaltool.study.demo import DEMO_MIDTERM_LAST_START, DEMO_MIDTERM_WEEKS
    from evaltool.study.inputs import bundled_resource
    from evaltool.study.outputs import atomic_folder, fill_output_folder, gate_document, render_reports
    from evaltool.study.run import run_study

    base = random_study_overrides(seed, low=low, fast=fast)
    base.append(f"report.languages=[{'da' if seed % 2 == 0 else 'en'}]")
    cfgs = {}
    for stage in ("midterm", "final"):
        extra = [f"study.stage={stage}", f"report.templates=[{stage}]"]
        if stage == "midterm":
            extra += [f"study.followup_weeks={DEMO_MIDTERM_WEEKS}", "study.period=2022-2025"]
        cfg = load_config(bundled_resource("demo.yaml"), base + extra)
        if stage == "midterm":
            rule = SampleRule(column=cfg.data.start, max=DEMO_MIDTERM_LAST_START)
            cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"sample": [*cfg.data.sample, rule]})})
        cfgs[stage] = cfg
    try:
        mid, fin = run_study(cfgs["midterm"]), run_study(cfgs["final"])
    except EvaltoolError:
        return None
    mid_doc, mid_log = gate_document(mid.config, mid.document())
    fin_doc, fin_log = gate_document(fin.config, fin.document(), mid_doc)
    parts = (("midterm", mid, mid_doc, render_reports(mid.config, mid_doc) if reports else [], mid_log),
             ("final", fin, fin_doc, render_reports(fin.config, fin_doc, mid_doc) if reports else [], fin_log))

    def fill(tmp: Path) -> None:
        for name, res, doc, rendered, log in parts:
            (tmp / name).mkdir()
            fill_output_folder(tmp / name, res, doc, rendered, log)

    return atomic_folder(out, fill)
