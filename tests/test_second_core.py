"""Editions written on the second core: the same files as a build in one process, and no new ways to fail."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO, copy_sample


def run_python(code: str, timeout: float = 120, **environment: str) -> list[str]:
    """Run `code` in a fresh interpreter (one thread, so the fork is allowed) and return its output lines."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **environment})
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_work_runs_in_a_child_and_its_result_comes_back():
    parent, child, again = run_python("""
        import os
        from publication.core.second_core import on_second_core
        with on_second_core(lambda: (os.getpid(), b"x" * 5_000_000)) as work:
            pid, data = work.result()
            assert len(data) == 5_000_000 and work.result()[0] == pid
        print(os.getpid(), pid, work.result()[0])
    """)
    assert child != parent and again == child  # asked twice, done once


def test_work_that_fails_in_the_child_is_done_here_and_fails_as_it_would():
    lines = run_python("""
        import os
        from publication.core.second_core import on_second_core
        parent = os.getpid()

        def work():
            if os.getpid() != parent:
                raise RuntimeError("only in the child")
            return "done here"

        with on_second_core(work) as deferred:
            print(deferred.result())
        with on_second_core(lambda: 1 / 0) as deferred:
            try:
                deferred.result()
            except ZeroDivisionError:
                print("ZeroDivisionError")
    """)
    assert lines == ["done", "here", "ZeroDivisionError"]


def test_serial_builds_and_threaded_processes_do_not_fork():
    assert run_python("""
        import os
        from publication.core.second_core import on_second_core
        with on_second_core(os.getpid) as work:
            print(work.result() == os.getpid())
    """, PUBLICATION_SERIAL="1") == ["True"]
    assert run_python("""
        import os, threading
        from publication.core.second_core import on_second_core
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        with on_second_core(os.getpid) as work:
            print(work.result() == os.getpid())
        stop.set()
    """) == ["True"]


BUILD_RECORDING_FORKS = """
    import os
    from pathlib import Path

    from publication.commands.build import build
    from publication.core import second_core

    record = Path(os.environ["RECORD"])

    def note(what):
        with record.open("a") as lines:
            lines.write(f"{what} {os.getpid()}\\n")

    os.register_at_fork(after_in_child=lambda: note("forked"))
    start = second_core.Deferred.__init__
    second_core.Deferred.__init__ = lambda self, work: start(self, lambda: (note("work"), work())[1])
    build(Path(os.environ["PROJECT"]))
    print(os.getpid())
"""


CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.mark.skipif(CORES < 2, reason="one core: every build is serial")
def test_a_build_on_two_cores_writes_the_same_files_as_one_on_one(tmp_path):
    """The parallel build forks one child, which does the editions' work; the serial one forks none."""
    folders, records = {}, {}
    for name, serial in (("serial", "1"), ("parallel", "0")):
        root = copy_sample(tmp_path / name)
        record = tmp_path / f"{name}.txt"
        record.touch()
        [parent] = run_python(BUILD_RECORDING_FORKS, timeout=300, PUBLICATION_SERIAL=serial, PROJECT=str(root),
                              RECORD=str(record))
        records[name] = [(what, "parent" if pid == parent else "child") for what, pid in
                         (line.split() for line in record.read_text().splitlines())]
        folders[name] = {path.relative_to(root / "dist").as_posix(): path.read_bytes()
                         for path in (root / "dist").rglob("*") if path.is_file()}
    assert records["serial"] == [("work", "parent")], "PUBLICATION_SERIAL=1 forks no child"
    assert records["parallel"] == [("forked", "child"), ("work", "child")], "one child, and it did the work"
    assert sorted(folders["serial"]) == sorted(folders["parallel"])
    assert len([name for name in folders["serial"] if name.endswith(".pdf")]) >= 4
    for name, data in folders["serial"].items():
        assert data == folders["parallel"][name], name
