"""Layout rules: stages import only earlier stages, no import cycles, small modules.

Stage order (docs/architecture.md): kernel < config < data < registers < design <
effects < (areas, sensitivity, process) < results < report < study < cli; ``simulate`` may use
the kernel and ``registers`` only. The kernel is the root modules plus ``specs/``.
Function-level imports count too, so none of them can hide a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "evaltool"

RANK = {"kernel": 0, "config": 1, "data": 2, "registers": 3, "design": 4, "effects": 5,
        "areas": 6, "sensitivity": 6, "process": 6, "results": 7, "report": 8, "study": 9, "cli": 10}
SIMULATE_MAY_USE = {"kernel", "registers", "simulate"}

# Known edges against the order, each with its owner and plan; the test fails if one disappears
# (so the list only shrinks) or a new one appears.
ALLOWED_BACKWARD: dict[tuple[str, str], str] = {}
LONG_MODULES = {  # owned by other engineers, to be split there
}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = p.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """evaltool modules ``name`` imports anywhere in its body (module or function level)."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "evaltool"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(head + ([base] if base else []))
            if base.split(".")[0] != "evaltool":
                continue
            for a in node.names:
                cand = f"{base}.{a.name}"
                out.add(cand if cand in MODULES else base)
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def stage(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1 or parts[1] == "specs" or (len(parts) == 2 and parts[1] not in RANK
                                                    and parts[1] != "simulate"):
        return "kernel"
    return parts[1]


def test_stage_of_known_modules():
    assert stage("evaltool.terms") == "kernel"
    assert stage("evaltool.specs.matching") == "kernel"
    assert stage("evaltool.cli") == "cli"
    assert stage("evaltool.design.matching.nearest") == "design"
    assert stage("evaltool.simulate.population") == "simulate"
    unknown = {stage(m) for m in MODULES} - set(RANK) - {"simulate"}
    assert not unknown, f"folders without a place in the stage order: {unknown}"


def _backward_edges() -> set[tuple[str, str]]:
    bad = set()
    for src, targets in GRAPH.items():
        s = stage(src)
        for dst in targets:
            d = stage(dst)
            if s == "simulate":
                ok = d in SIMULATE_MAY_USE
            elif d == "simulate":
                ok = RANK[s] >= RANK["study"] or s == "simulate"
            else:
                ok = RANK[d] <= RANK[s]
            if not ok:
                bad.add((src, dst))
    return bad


def test_no_module_imports_a_later_stage():
    bad = _backward_edges()
    new = sorted(bad - set(ALLOWED_BACKWARD))
    assert not new, "imports of a later stage: " + "; ".join(f"{a} -> {b}" for a, b in new)
    gone = sorted(set(ALLOWED_BACKWARD) - bad)
    assert not gone, f"allowed edges no longer present, remove them from ALLOWED_BACKWARD: {gone}"


def test_backward_check_catches_a_violation():
    GRAPH["evaltool.terms"].add("evaltool.design.matching.nearest")
    try:
        assert ("evaltool.terms", "evaltool.design.matching.nearest") in _backward_edges()
    finally:
        GRAPH["evaltool.terms"].discard("evaltool.design.matching.nearest")


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_cycle_even_through_function_level_imports():
    cyc = _cycle(GRAPH)
    assert cyc is None, "import cycle: " + " -> ".join(cyc)
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_module_imports_alone_in_a_fresh_order():
    """Import each module first, with no other evaltool module loaded before it."""
    code = (
        "import sys, importlib\n"
        "import numpy, pandas, scipy, pydantic, yaml\n"
        f"names = {sorted(MODULES)!r}\n"
        "bad = []\n"
        "for n in names:\n"
        "    for k in [k for k in sys.modules if k == 'evaltool' or k.startswith('evaltool.')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(n)\n"
        "    except Exception as exc:\n"
        "        bad.append(f'{n}: {exc.__class__.__name__}: {exc}')\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env_path = str(SRC.parent)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("name", sorted(set(MODULES) - set(LONG_MODULES)))
def test_module_size(name):
    n = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{name} has {n} lines (> {MAX_LINES}); split it by concept"


def test_no_two_public_functions_share_a_name_across_modules():
    """Outside report/ (whose section builders are named after report sections: summary, balance...)."""
    seen: dict[str, str] = {}
    clashes = []
    for name, path in sorted(MODULES.items()):
        if path.name == "__init__.py" or stage(name) == "report":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                if node.name in seen:
                    clashes.append(f"{node.name}: {seen[node.name]} and {name}")
                seen[node.name] = name
    assert not clashes, clashes


def test_inputs_do_not_depend_on_outputs():
    reach, todo = set(), ["evaltool.study.inputs"]
    while todo:
        for m in GRAPH[todo.pop()]:
            if m not in reach:
                reach.add(m)
                todo.append(m)
    assert "evaltool.study.outputs" not in reach


def test_long_module_exemptions_are_still_needed():
    """An exemption goes as soon as its module is split: the list only shrinks."""
    stale = [name for name in LONG_MODULES
             if name not in MODULES or len(MODULES[name].read_text(encoding="utf-8").splitlines()) <= MAX_LINES]
    assert not stale, f"remove from LONG_MODULES (split or gone): {stale}"


def test_architecture_diagram_names_every_folder_and_report_module():
    """docs/architecture.md's stage diagram matches the folders (and lists report/ and results/ in full)."""
    diagram = (SRC.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8").split("```")[1]
    folders = sorted({p.parent.name for p in SRC.rglob("__init__.py") if p.parent != SRC})
    missing = [f"{f}/" for f in folders if f"{f}/" not in diagram]
    for folder in ("report", "results"):
        missing += [f"{folder}/{p.name}" for p in sorted((SRC / folder).glob("*.py"))
                    if p.name != "__init__.py" and p.name not in diagram]
    assert not missing, f"docs/architecture.md does not name: {missing}"
