"""Faults (issue #7, section 3): interrupted and concurrent builds never leave a broken dist/."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from helpers import PREVIOUS_PDF, dist_snapshot, flat_text, seed_previous_outputs
from PIL import Image
from pypdf import PdfReader

from publication.commands.build import BuildOptions, build
from publication.core import dist as output
from publication.core.dist import write_atomic
from publication.core.problems import BuildFailed

LONG_TABLE = "| Rij | Waarde |\n|---|---|\n" + "".join(f"| rij {n} | waarde {n} |\n" for n in range(1, 201))


def start_build(root) -> subprocess.Popen:
    # --force: the long table gives a page count the print preflight refuses; these tests are about writing
    return subprocess.Popen([sys.executable, "-m", "publication", "build", "--force", str(root)], cwd=REPO,
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

    build(project.root, BuildOptions(force=True))  # and the next build simply works
    assert (project.root / "dist" / "testbrochure.pdf").read_bytes() != PREVIOUS_PDF


def test_temporary_files_left_by_a_killed_write_are_cleared_by_the_next_build(project):
    dist = project.root / "dist"
    dist.mkdir()
    stale = dist / ".testbrochure.pdf.k1ll3d.tmp"
    stale.write_bytes(b"%PDF-1.7\n% half a file")
    result = build(project.root)
    assert not stale.exists()
    assert sorted(dist_snapshot(project.root)) == sorted([".lock", *(path.relative_to(dist).as_posix()
                                                                     for path in result.written)])


def test_a_failed_write_removes_its_temporary_file_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "dist" / "brochure.pdf"
    target.mkdir(parents=True)  # a folder where the file should go: os.replace fails
    (target / "keep.txt").write_text("old")
    with pytest.raises(OSError):
        write_atomic(target, b"%PDF-new")
    assert sorted(path.name for path in (tmp_path / "dist").iterdir()) == ["brochure.pdf"]
    assert (target / "keep.txt").read_text() == "old"


def finish(processes: list[subprocess.Popen], timeout: float = 600) -> list[tuple[str, str]]:
    """(stdout, stderr) of every process, within one time limit for all: generous, as two builds at once
    on a machine that runs other work can take minutes. Whatever happens, none is left running into
    the next tests."""
    deadline = time.monotonic() + timeout
    try:
        return [process.communicate(timeout=max(1.0, deadline - time.monotonic())) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_concurrent_builds_of_one_project_both_succeed_and_leave_a_whole_pdf(project):
    project.edit("01-artikel.md", "Tweede alinea.", "Tweede alinea.\n\n" + LONG_TABLE)
    seed_previous_outputs(project.root)
    processes = [start_build(project.root) for _ in range(2)]
    results = finish(processes)
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


# --- Faults while the outputs are written: all are staged first, then all renamed together ---------

OUTPUT_NAMES = ("a.pdf", "a.html", "b.pdf", "MANIFEST.txt")


def write_old_outputs(dist) -> dict[str, bytes]:
    """An earlier build's outputs (and its lock file) in dist/; returns the snapshot of dist/."""
    output.write_outputs(dist, [output.Output(name, f"old {name}".encode(), "test") for name in OUTPUT_NAMES])
    return {path.name: path.read_bytes() for path in sorted(dist.iterdir())}


WRITE_STEPS = [("stage", n) for n in range(1, len(OUTPUT_NAMES) + 1)] + \
              [("replace", n) for n in range(1, len(OUTPUT_NAMES) + 1)]


@pytest.mark.parametrize("step, call", WRITE_STEPS, ids=[f"{step}-{call}" for step, call in WRITE_STEPS])
def test_ctrl_c_at_any_moment_of_writing_leaves_all_old_outputs_or_all_new_ones(tmp_path, monkeypatch, step, call):
    """Ctrl-C while an output is staged leaves every old file; once the renames began, every new one."""
    dist = tmp_path / "dist"
    before = write_old_outputs(dist)
    calls = {"stage": 0, "replace": 0}
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):  # once per output, while it is written to its temporary file
        real_fsync(descriptor)
        calls["stage"] += 1
        if (step, calls["stage"]) == ("stage", call):
            os.kill(os.getpid(), signal.SIGINT)  # arrives while this output is being staged

    def replace(source, target):
        real_replace(source, target)
        calls["replace"] += 1
        if (step, calls["replace"]) == ("replace", call):
            os.kill(os.getpid(), signal.SIGINT)  # arrives between two renames

    monkeypatch.setattr(output.os, "fsync", fsync)
    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        output.write_outputs(dist, [output.Output(name, f"new {name}".encode(), "test") for name in OUTPUT_NAMES])
    after = {path.name: path.read_bytes() for path in sorted(dist.iterdir())}
    expected = before if step == "stage" else {**before, **{name: f"new {name}".encode() for name in OUTPUT_NAMES}}
    assert after == expected, f"expected every {'old' if step == 'stage' else 'new'} output, found {after}"


def test_a_disk_that_fills_up_while_a_later_output_is_staged_leaves_dist_as_it_was(project, monkeypatch):
    """The first outputs are staged whole; staging the third fails: none of them may be in dist/ then."""
    seed_previous_outputs(project.root)
    (project.root / "dist" / ".lock").touch()  # as an earlier build leaves it
    before = dist_snapshot(project.root)
    dist, staged = project.root / "dist", []
    real_stage = output._stage

    def stage_until_the_disk_is_full(path, data):
        if path.parent == dist:  # not the photos prepared in .cache/
            staged.append(path.name)
            if len(staged) == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_stage(path, data)

    monkeypatch.setattr(output, "_stage", stage_until_the_disk_is_full)
    with pytest.raises(BuildFailed) as failed:
        build(project.root, BuildOptions(targets=("standard", "booklet", "screen")))
    assert staged == ["testbrochure.pdf", "testbrochure.html", "testbrochure-booklet.pdf"]
    [issue] = failed.value.issues
    assert str(issue).startswith("dist/: cannot write the output: No space left on device (")
    assert dist_snapshot(project.root) == before, "dist/ changed although the build could not write all its outputs"


def test_an_interrupt_during_the_renames_says_that_every_output_was_written(tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    write_old_outputs(dist)
    real_replace = os.replace

    def replace(source, target):
        real_replace(source, target)
        if Path(target).name == OUTPUT_NAMES[0]:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(output.InterruptedAfterWriting) as interrupted:
        output.write_outputs(dist, [output.Output(name, f"new {name}".encode(), "test") for name in OUTPUT_NAMES])
    assert [path.name for path in interrupted.value.written] == list(OUTPUT_NAMES)


def test_a_folder_with_an_outputs_name_stops_the_writing_before_anything_is_replaced(tmp_path):
    dist = tmp_path / "dist"
    before = write_old_outputs(dist)
    (dist / "b.pdf").unlink()
    (dist / "b.pdf").mkdir()
    with pytest.raises(BuildFailed) as failed:
        output.write_outputs(dist, [output.Output(name, f"new {name}".encode(), "test") for name in OUTPUT_NAMES])
    assert "b.pdf" in str(failed.value)
    after = {path.name: path.read_bytes() for path in sorted(dist.iterdir()) if path.is_file()}
    assert after == {name: data for name, data in before.items() if name != "b.pdf"}, "an output was replaced"
