"""Safe output folders: evaltool never deletes or overwrites anything it did not write.

An output target must be absent, an empty folder, or a folder evaltool wrote
before (recognised by the marker file :data:`MARKER`, a JSON line listing the
files it wrote). Anything else is refused with an :class:`OutputError`. The
current folder, its parents, and any folder holding an input file (or a parent
of one) are always refused.

A folder is built in a temporary sibling (``.<name>.tmp-*``) and moved into
place with renames only when complete; on any error, ``SIGINT`` or ``SIGTERM``
the temporary folder is removed and any previous output is put back, so no
``.tmp``/``.old`` residue remains. A symlinked target is followed: the folder
it points to is replaced and the link is kept.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> out = write_folder(root / "out", lambda tmp: (tmp / "a.txt").write_text("1"))
>>> sorted(p.name for p in out.iterdir())
['.evaltool-output', 'a.txt']
>>> _ = write_folder(root / "out", lambda tmp: (tmp / "b.txt").write_text("2"))  # evaltool's own: replaced
>>> sorted(p.name for p in out.iterdir())
['.evaltool-output', 'b.txt']
>>> (root / "mine").mkdir(); _ = (root / "mine" / "thesis.docx").write_text("x")
>>> write_folder(root / "mine", lambda tmp: None)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
OutputError: mine: --out: the folder exists and was not written by evaltool
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from evaltool.exceptions import EvaltoolError

__all__ = ["MARKER", "OutputError", "check_target", "write_folder", "write_file", "is_evaltool_folder"]

MARKER = ".evaltool-output"
"""Name of the marker file evaltool writes into every output folder it creates."""

_REPORT_SIGNATURE = '<meta name="generator" content="evaltool">'


class OutputError(EvaltoolError):
    """An output target is unsafe (not evaltool's, an input folder...) or cannot be written."""


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() or p.is_symlink())


def _read_marker(folder: Path) -> list[str] | None:
    """The file list recorded in ``folder``'s marker, or None if it has no valid marker."""
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8").splitlines()[0])
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("evaltool_output") != 1 or not isinstance(data.get("files"), list):
        return None
    return [str(f) for f in data["files"]]


def is_evaltool_folder(folder: str | Path) -> bool:
    """True if ``folder`` holds a valid evaltool output marker."""
    return _read_marker(Path(folder)) is not None


def _refuse_special(target: Path, resolved: Path, what: str, inputs: Iterable[str | Path]) -> None:
    cwd = Path.cwd().resolve()
    if resolved == cwd or cwd.is_relative_to(resolved):
        raise OutputError(f"{target}: {what}: is the current folder or one of its parents; "
                          "give the name of a new folder")
    for f in inputs:
        folder = Path(f).resolve().parent
        if folder == resolved or folder.is_relative_to(resolved):
            raise OutputError(f"{target}: {what}: holds the input file {Path(f).name}; "
                              "write the output to a separate, new folder")


def check_target(target: str | Path, *, what: str = "--out", force: bool = False,
                 inputs: Iterable[str | Path] = ()) -> Path:
    """Check that ``target`` may be (re)written as an output folder; return its resolved path.

    Raises
    ------
    OutputError
        If ``target`` is empty, the current folder or a parent of it, holds (or is a parent of a
        folder holding) one of ``inputs``, is a file, or is a non-empty folder without the
        evaltool marker. A marked folder whose files differ from those it recorded (someone added
        or removed a file) is refused unless ``force``; ``force`` never applies to other folders.
    """
    if not str(target).strip():
        raise OutputError(f"{what}: empty path; give the name of a new folder")
    target = Path(target)
    resolved = Path(os.path.realpath(target))
    _refuse_special(target, resolved, what, inputs)
    if resolved.exists() or resolved.is_symlink():
        if not resolved.is_dir():
            raise OutputError(f"{target}: {what}: exists and is not a folder; give the name of a new folder")
        try:
            present = _listing(resolved)
        except OSError as exc:
            raise OutputError(f"{target}: {what}: cannot read the folder ({exc.strerror or exc})") from None
        if present:
            recorded = _read_marker(resolved)
            if recorded is None:
                raise OutputError(f"{target}: {what}: the folder exists and was not written by evaltool "
                                  f"({len(present)} file(s) in it); give a new or empty folder")
            extra = sorted(set(present) - set(recorded) - {MARKER})
            if extra and not force:
                raise OutputError(f"{target}: {what}: the evaltool folder holds {len(extra)} file(s) evaltool "
                                  f"did not write (first: {extra[0]}); move them away or pass --force")
    return resolved


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt and ignore SIGXFSZ (so a file-size limit is an OSError)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):  # noqa: ANN001, ARG001
        raise KeyboardInterrupt(f"signal {signum}")

    saved = {}
    for sig, handler in ((signal.SIGTERM, _raise), (getattr(signal, "SIGXFSZ", None), signal.SIG_IGN)):
        if sig is not None:
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _os_error(target: Path, exc: OSError, what: str) -> OutputError:
    name = exc.filename
    detail = exc.strerror or exc.__class__.__name__
    return OutputError(f"{target}: {what}: cannot write{' ' + Path(name).name if name else ''} ({detail}); "
                       "free space, check permissions or choose another folder")


def write_folder(target: str | Path, fill: Callable[[Path], object], *, what: str = "--out",
                 force: bool = False, inputs: Iterable[str | Path] = ()) -> Path:
    """Create the output folder ``target`` by calling ``fill(tmp)`` and moving ``tmp`` into place.

    ``target`` is checked with :func:`check_target` first. The marker file is added after
    ``fill`` returns. Returns ``target`` (as given, so a symlink stays a symlink).

    Raises
    ------
    OutputError
        If the target is unsafe or writing fails (the message names the folder and the reason).
    """
    inputs = list(inputs)
    if not str(target).strip():
        raise OutputError(f"{what}: empty path; give the name of a new folder")
    resolved = check_target(target, what=what, force=force, inputs=inputs)
    target = Path(target)
    parent = resolved.parent
    tmp = backup = None
    with _signals_raise():
        try:
            try:
                parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix=f".{resolved.name}.tmp-", dir=parent))
                os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give the usual folder mode
                fill(tmp)
                files = [f for f in _listing(tmp) if f != MARKER]
                (tmp / MARKER).write_text(json.dumps({"evaltool_output": 1, "files": files}) + "\n",
                                          encoding="utf-8")
                check_target(target, what=what, force=force, inputs=inputs)  # unchanged while we worked?
                if resolved.is_dir() and any(resolved.iterdir()):
                    backup = Path(tempfile.mkdtemp(prefix=f".{resolved.name}.old-", dir=parent))
                    os.rmdir(backup)
                    os.rename(resolved, backup)
                os.replace(tmp, resolved)  # onto an absent or empty folder
                tmp = None
            except OSError as exc:
                raise _os_error(target, exc, what) from None
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if backup is not None:
                if resolved.exists():
                    shutil.rmtree(backup, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.rename(backup, resolved)
    return target


def write_file(target: str | Path, text: str, *, what: str = "--out") -> Path:
    """Write ``text`` to the report file ``target`` atomically (temporary sibling, then rename).

    An existing file is replaced only if it is a report evaltool wrote (it carries evaltool's
    generator tag); the refusals of :func:`check_target` for special folders apply to its folder.

    Raises
    ------
    OutputError
        If ``target`` is a folder or another program's file, or cannot be written.
    """
    target = Path(target)
    if str(target).strip() == "" or target.name in ("", ".", ".."):
        raise OutputError(f"{what}: {str(target)!r} is not a file name; give e.g. report.html")
    resolved = Path(os.path.realpath(target))
    if resolved.exists():
        if not resolved.is_file():
            raise OutputError(f"{target}: {what}: exists and is not a file; give a new file name")
        try:
            head = resolved.read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError as exc:
            raise _os_error(target, exc, what) from None
        if _REPORT_SIGNATURE not in head:
            raise OutputError(f"{target}: {what}: the file exists and was not written by evaltool; "
                              "give a new file name")
    tmp = None
    with _signals_raise():
        try:
            try:
                resolved.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(prefix=f".{resolved.name}.tmp-", dir=resolved.parent)
                tmp = Path(name)
                os.chmod(tmp, 0o666 & ~_umask())
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
                os.replace(tmp, resolved)
                tmp = None
            except OSError as exc:
                raise _os_error(target, exc, what) from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()
    return target
