"""MkDocs hooks: pages generated on every build, so they cannot drift.

* ``reference/config.md`` — the configuration reference, from the schema
  (:func:`evaltool.config.reference.config_reference_markdown`).
* ``<!-- run: examples/x.py -->`` in any page is replaced by the script's output,
  run now (so numbers shown in the docs are those of this build, not pasted).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
_RUN = re.compile(r"<!--\s*run:\s*(\S+)\s*-->")


def on_files(files, config):
    from evaltool.config.reference import config_reference_markdown

    files.append(File.generated(config, "reference/config.md", content=config_reference_markdown()))
    return files


def _run(script: str) -> str:
    path = ROOT / script
    if not path.is_file():
        raise RuntimeError(f"docs: example {script} does not exist")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"docs: example {script} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


_CACHE: dict[str, str] = {}


def on_page_markdown(markdown, page, config, files):
    def repl(m: re.Match) -> str:
        script = m.group(1)
        if script not in _CACHE:
            _CACHE[script] = _run(script)
        return "```text\n" + _CACHE[script].rstrip() + "\n```"

    return _RUN.sub(repl, markdown)
