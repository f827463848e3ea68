"""Print where every reference fixture came from: the script that made it and the software versions.

Run by the docs build (``<!-- run: docs/hooks/fixture_provenance.py -->`` in ``docs/validation.md``),
so the Validation page lists the fixtures the test suite actually reads, with the provenance they
actually record. Run from the repository root.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SKIP = {"report"}  # report fixtures are results documents, not reference numbers


def _versions(doc: dict) -> str:
    v = doc.get("versions") or doc.get("provenance") or {}
    if isinstance(v, str):
        return v.replace("R version ", "R ").split(" Patched")[0] + "".join(
            "; " + p.strip() for p in v.split(";")[1:])
    if not isinstance(v, dict):
        return ""
    parts = []
    for k, val in v.items():
        if k in ("script", "data", "note"):
            continue
        val = str(val)
        parts.append(val.split(" Patched")[0].replace("R version ", "R ") if k == "R" else f"{k} {val}")
    return ", ".join(parts)


def _script(doc: dict, path: Path) -> str:
    if isinstance(doc.get("generated_by"), str):
        return doc["generated_by"]
    prov = doc.get("provenance")
    if isinstance(prov, dict) and "script" in prov:
        return prov["script"]
    for name in ("PROVENANCE.md", "README.md"):  # the folder's provenance table names the R call
        if (path.parent / name).is_file():
            return str((path.parent / name).relative_to(ROOT))
    raise SystemExit(f"{path}: no provenance (generated_by, provenance.script or a PROVENANCE.md beside it)")


def main() -> None:
    rows = []
    for path in sorted(FIXTURES.rglob("*.json")):
        rel = path.relative_to(FIXTURES)
        if rel.parts[0] in SKIP:
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            continue
        rows.append((str(rel), _script(doc, path), _versions(doc) or "versions in the file"))
    w = max(len(r[0]) for r in rows)
    for fixture, script, versions in rows:
        print(f"{fixture:<{w}}  {script}")
        print(f"{'':<{w}}    {versions}")
    print(f"\n{len(rows)} reference fixtures; the test suite reads them and never calls R.")


if __name__ == "__main__":
    main()
