"""`evaltool run` on any executor: the same bytes, and the `execution` section's rules.

The whole Copenhagen config (bootstrap-free but with the specification curve, wild cluster
bootstrap and randomization inference of the sensitivity stage, and two report languages) runs
in this process, on two local worker processes and on a Dask ``LocalCluster`` of two worker
processes; ``results.json`` and every report must be byte-identical (issue 18: "results identical
whichever executor runs them").
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaltool.config import config_hash, load_config
from evaltool.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "copenhagen_outreach.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltool.cli", *args], capture_output=True, text=True,
                          timeout=900)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".html")}


@pytest.mark.parametrize("where", [("--workers", "2"), ("--scheduler", "local", "--workers", "2")],
                         ids=["processes", "dask-local-cluster"])
def test_run_gives_the_same_bytes_on_every_executor(tmp_path, where):
    outs = []
    for i, extra in enumerate((("--workers", "1"), where)):
        out = tmp_path / f"out{i}"
        res = run_cli("run", str(CONFIG), "--set", "data.simulate.n=2500", "--out", str(out), *extra)
        assert res.returncode == 0, res.stderr.strip()[-400:]
        outs.append(_files(out))
    assert sorted(outs[0]) == sorted(outs[1]) and "results.json" in outs[0] and "report_final_en.html" in outs[0]
    for name in outs[0]:
        assert outs[0][name] == outs[1][name], name


def test_execution_section_never_changes_the_config_hash(tmp_path):
    a = load_config(CONFIG)
    b = load_config(CONFIG, ["execution.workers=4", "execution.scheduler=tcp://scheduler.example:8786"])
    assert b.execution.workers == 4 and config_hash(a) == config_hash(b)
    c = load_config(CONFIG, ["effects.alpha=0.1"])
    assert config_hash(c) != config_hash(a)


@pytest.mark.parametrize("line, key, message", [
    ("execution: {workers: 0}", "execution.workers", "`workers` must be an integer >= 1 or -1 (all cores); got 0"),
    ("execution: {workers: 257}", "execution.workers", "`workers` must be an integer <= 256; got 257"),
    ("execution: {scheduler: dask}", "execution.scheduler",
     "`scheduler` must be 'local' or an address like 'tcp://host:8786'; got 'dask'"),
    ("execution: {threads: 2}", "execution.threads", "unknown key; allowed keys: workers, scheduler"),
])
def test_execution_rules_name_file_line_and_key(tmp_path, line, key, message):
    path = tmp_path / "study.yaml"
    text = CONFIG.read_text(encoding="utf-8")
    path.write_text(text + "\n" + line + "\n", encoding="utf-8")
    n = len(text.splitlines()) + 2
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}:{n}: {key}: ") and message in str(err.value), str(err.value)


def test_effects_n_jobs_points_to_execution_workers(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(CONFIG.read_text(encoding="utf-8").replace("effects:\n", "effects:\n  n_jobs: 2\n", 1),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"effects.n_jobs: `effects.n_jobs` is now `execution.workers`"):
        load_config(path)
    res = run_cli("validate", str(path))
    assert res.returncode == 2 and "execution.workers" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("run", str(CONFIG), "--workers", "zero", "--out", str(tmp_path / "out"))
    assert res.returncode == 2 and "execution.workers" in res.stderr and not (tmp_path / "out").exists()
