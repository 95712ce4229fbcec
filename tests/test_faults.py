"""Faults (issue #7, section 3): interrupted and concurrent builds never leave a broken dist/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import REPO
from helpers import PREVIOUS_PDF, dist_snapshot, flat_text, seed_previous_outputs
from publication.build import build
from publication import output
from publication.output import write_atomic

LONG_TABLE = "| Rij | Waarde |\n|---|---|\n" + "".join(f"| rij {n} | waarde {n} |\n" for n in range(1, 201))


def start_build(root) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "publication", "build", str(root)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_photos_are_prepared(process: subprocess.Popen, root) -> None:
    """Photos are prepared before layout, and the long table makes layout take seconds: a signal
    sent now arrives in the middle of the build."""
    images = root / ".cache" / "images"
    while not (images.is_dir() and any(images.glob("*.jpg"))):
        assert process.poll() is None, f"the build ended before it could be interrupted: {process.communicate()}"
        time.sleep(0.02)


def temporary_files(root) -> list[str]:
    """Temporary files in dist/. (A kill can leave one in .cache/images/, where nothing reads it;
    what matters there is that every cached photo is whole: see `broken_cache_files`.)"""
    return sorted(path.name for path in (root / "dist").rglob("*.tmp"))


def broken_cache_files(root) -> list[str]:
    broken = []
    for path in (root / ".cache" / "images").glob("*.jpg"):
        try:
            with Image.open(path) as photo:
                photo.load()
        except OSError:
            broken.append(path.name)
    return broken


@pytest.mark.parametrize("sig, returncode", [(signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)],
                         ids=["ctrl-c", "kill"])
def test_an_interrupted_build_leaves_the_previous_outputs_and_no_partial_files(project, sig, returncode):
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea.\n\n" + LONG_TABLE)
    before = seed_previous_outputs(project.root)
    process = start_build(project.root)
    wait_until_photos_are_prepared(process, project.root)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == returncode, stderr
    assert dist_snapshot(project.root) == before
    assert temporary_files(project.root) == []
    assert broken_cache_files(project.root) == []
    if sig == signal.SIGINT:
        assert "Interrupted. Nothing in dist/ was changed." in stderr and "Traceback" not in stderr

    build(project.root)  # and the next build simply works
    assert (project.root / "dist" / "testbrochure.pdf").read_bytes() != PREVIOUS_PDF


def test_temporary_files_left_by_a_killed_write_are_cleared_by_the_next_build(project):
    dist = project.root / "dist"
    dist.mkdir()
    stale = dist / ".testbrochure.pdf.k1ll3d.tmp"
    stale.write_bytes(b"%PDF-1.7\n% half a file")
    result = build(project.root)
    assert not stale.exists()
    assert sorted(dist_snapshot(project.root)) == sorted([".lock", *(path.name for path in result.written)])


def test_a_failed_write_removes_its_temporary_file_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "dist" / "brochure.pdf"
    target.mkdir(parents=True)  # a folder where the file should go: os.replace fails
    (target / "keep.txt").write_text("old")
    with pytest.raises(OSError):
        write_atomic(target, b"%PDF-new")
    assert sorted(path.name for path in (tmp_path / "dist").iterdir()) == ["brochure.pdf"]
    assert (target / "keep.txt").read_text() == "old"


def test_concurrent_builds_of_one_project_both_succeed_and_leave_a_whole_pdf(project):
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea.\n\n" + LONG_TABLE)
    seed_previous_outputs(project.root)
    processes = [start_build(project.root) for _ in range(2)]
    results = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [stderr for _, stderr in results]
    assert temporary_files(project.root) == [] and broken_cache_files(project.root) == []
    assert not list((project.root / ".cache").rglob("*.tmp"))
    outputs = dist_snapshot(project.root)
    assert [name for name in outputs if name.startswith(".")] == [".lock"]
    for name in outputs:
        if name.endswith(".pdf"):
            assert len(PdfReader(project.root / "dist" / name).pages) >= 1, name
    pdf = project.root / "dist" / "testbrochure.pdf"
    assert len(PdfReader(pdf).pages) >= 4
    text = flat_text(pdf)
    assert "rij 1 waarde 1" in text and "rij 200 waarde 200" in text
    html = (project.root / "dist" / "testbrochure.html").read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")


def test_ctrl_c_while_outputs_are_renamed_lets_every_rename_finish_first(tmp_path, monkeypatch):
    """Ctrl-C between two renames would leave a mix of old and new files: it waits."""
    renamed = []
    real_replace = os.replace

    def replace_then_interrupt(source, target):
        real_replace(source, target)
        renamed.append(Path(target).name)
        if len(renamed) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(output.os, "replace", replace_then_interrupt)
    outputs = [output.Output(f"{name}.pdf", b"%PDF-new", "test") for name in ("a", "b", "c")]
    with pytest.raises(KeyboardInterrupt):
        output.write_outputs(tmp_path / "dist", outputs)
    assert renamed == ["a.pdf", "b.pdf", "c.pdf"]
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [".lock", "a.pdf", "b.pdf", "c.pdf"]
