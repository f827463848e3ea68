"""Safe output folders: evaltool never deletes or overwrites what it did not write."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evaltool.study.outdir import MARKER, OutputError, check_target, write_file, write_folder

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_a(tmp: Path) -> None:
    (tmp / "a.txt").write_text("a")


def test_marker_lists_the_files_written(tmp_path):
    out = write_folder(tmp_path / "out", lambda d: ((d / "t").mkdir(), (d / "t" / "x.csv").write_text("1")))
    assert json.loads((out / MARKER).read_text()) == {"evaltool_output": 1, "files": ["t/x.csv"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_foreign_folder_is_refused_and_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.docx").write_bytes(b"x")
    before = _snapshot(victim)
    with pytest.raises(OutputError, match=r"victim: --out: the folder exists and was not written by evaltool"):
        write_folder(victim, _write_a)
    with pytest.raises(OutputError, match="not written by evaltool"):
        write_folder(victim, _write_a, force=True)  # --force never applies to a foreign folder
    assert _snapshot(victim) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim"]


def test_empty_folder_is_used(tmp_path):
    (tmp_path / "out").mkdir()
    write_folder(tmp_path / "out", _write_a)
    assert (tmp_path / "out" / "a.txt").read_text() == "a"


def test_added_file_needs_force(tmp_path):
    out = write_folder(tmp_path / "out", _write_a)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"1 file\(s\) evaltool did not write \(first: notes.txt\).*--force"):
        write_folder(out, _write_a)
    assert (out / "notes.txt").read_text() == "mine"
    write_folder(out, _write_a, force=True)
    assert not (out / "notes.txt").exists()


def test_forged_marker_is_not_enough(tmp_path):
    victim = tmp_path / "v"
    victim.mkdir()
    (victim / MARKER).write_text("hello\n")
    (victim / "data.csv").write_text("1")
    with pytest.raises(OutputError, match="not written by evaltool"):
        write_folder(victim, _write_a)


@pytest.mark.parametrize("name", ["", ".", "./", ".."])
def test_current_folder_and_parents_refused(tmp_path, monkeypatch, name):
    work = tmp_path / "w"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(OutputError, match="empty path|current folder or one of its parents"):
        write_folder(name, _write_a)
    assert list(work.iterdir()) == []


def test_input_folder_and_its_parents_refused(tmp_path):
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    (data / "persons.csv").write_text("person_id\n1\n")
    for target in (data, data.parent):
        with pytest.raises(OutputError, match="holds the input file persons.csv"):
            check_target(target, inputs=[data / "persons.csv"])
    assert (data / "persons.csv").read_text() == "person_id\n1\n"
    check_target(data / "sub", inputs=[data / "persons.csv"])  # a new subfolder is fine


def test_symlinked_out_keeps_link_and_leaves_no_residue(tmp_path):
    real = tmp_path / "real"
    write_folder(real, _write_a)
    link = tmp_path / "link"
    link.symlink_to(real)
    write_folder(link, lambda d: (d / "b.txt").write_text("b"))
    assert link.is_symlink() and (link / "b.txt").read_text() == "b" and not (link / "a.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_failure_restores_previous_and_names_path(tmp_path):
    out = write_folder(tmp_path / "out", _write_a)
    before = _snapshot(out)

    def full(d):
        (d / "x").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(d / "results.json"))

    with pytest.raises(OutputError, match=r"out: --out: cannot write results.json \(No space left on device\)"):
        write_folder(out, full)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_file_size_limit_is_a_clear_error(tmp_path):
    code = textwrap.dedent(f"""
        import resource, sys
        from evaltool.study.outdir import write_folder, OutputError
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        try:
            write_folder({str(tmp_path / 'out')!r}, lambda d: (d / 'big.bin').write_bytes(b'x' * 5000))
        except OutputError as exc:
            print(exc)
            sys.exit(2)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert f"{tmp_path / 'out'}: --out: cannot write (File too large)" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_sigterm_leaves_no_temporary_folder(tmp_path):
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from evaltool.study.outdir import write_folder
        def slow(d):
            (d / 'results.json').write_text('partial')
            Path({str(tmp_path / 'started')!r}).write_text('1')
            time.sleep(30)
        write_folder({str(tmp_path / 'out')!r}, slow)
    """)
    write_folder(tmp_path / "out", _write_a)
    before = _snapshot(tmp_path / "out")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "started"]
    assert _snapshot(tmp_path / "out") == before


def test_write_file_refuses_foreign_file(tmp_path):
    mine = tmp_path / "report.html"
    mine.write_text("<html>my own page</html>")
    with pytest.raises(OutputError, match="the file exists and was not written by evaltool"):
        write_file(mine, "<html></html>")
    assert mine.read_text() == "<html>my own page</html>"
    ours = tmp_path / "ours.html"
    write_file(ours, '<meta name="generator" content="evaltool">1')
    write_file(ours, '<meta name="generator" content="evaltool">2')
    assert ours.read_text().endswith("2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.html", "report.html"]
