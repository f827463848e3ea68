"""Write a study's output folder atomically.

Everything goes to a temporary sibling folder first; only when every file is
written is it moved into place, so a failed run leaves any previous output
untouched and never a half-written folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from evaltool.exceptions import EvaltoolError

__all__ = ["atomic_folder", "dumps_json", "write_csv"]


def dumps_json(data: Any) -> str:
    """Deterministic JSON text (keys in the order built, UTF-8, trailing newline)."""
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a fixed float format and line terminator (byte-stable)."""
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")


def atomic_folder(target: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create ``target`` by calling ``fill(tmp_dir)`` and renaming the result into place.

    Raises
    ------
    EvaltoolError
        If the parent folder cannot be created or written.
    """
    target = Path(target)
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise EvaltoolError(f"{target}: cannot create output folder ({exc.strerror or exc})") from None
    if target.exists() and not target.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
        raise EvaltoolError(f"{target}: exists and is not a folder")
    try:
        fill(tmp)
        backup = None
        if target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.rmdir(backup)
            os.replace(target, backup)
        os.replace(tmp, target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
