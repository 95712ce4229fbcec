"""Finishing editions on the second core.

After the one layout, writing the editions is most of what is left of a build, and each is
written from the same laid-out pages. Those pages are Python objects that cannot be sent to
another process, but a forked child has them already (copy-on-write). So the child writes
some editions while this process writes the others, and sends back only bytes.

The child is an optimisation, never a second code path for errors: if it fails in any way,
its editions are made here instead, so a failure shows as the same error a serial build gives.
It is not used where the process runs other threads (the live preview's server), as a fork
copies only the forking thread and could inherit a lock another thread holds.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")

SERIAL_ENV = "PUBLICATION_SERIAL"
"""Set to 1 to build in one process only (to compare, or to profile)."""


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def processes_for(jobs: int) -> int:
    """How many processes to share `jobs` among: one per core, no more than there are jobs, and one only
    with PUBLICATION_SERIAL=1."""
    return 1 if os.environ.get(SERIAL_ENV) == "1" else max(1, min(jobs, cores()))


def _may_fork() -> bool:
    """Whether work may be forked off here: a fork, more than one core, one thread, and no PUBLICATION_SERIAL."""
    return hasattr(os, "fork") and cores() > 1 and threading.active_count() == 1 and os.environ.get(SERIAL_ENV) != "1"


class Deferred(Generic[T]):
    """The result of work started in a forked child; `result()` gives it, or does the work here."""

    def __init__(self, work: Callable[[], T]):
        self.work = work
        self.pid: int | None = None
        self.pipe: int | None = None
        self.done = False
        self.value: T | None = None

    def start(self) -> "Deferred[T]":
        if not _may_fork():
            return self
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send the pickled result, leave without any clean-up of the parent's
            code = 1
            try:
                os.close(read)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                data = pickle.dumps(self.work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.pipe = pid, read
        return self

    def result(self) -> T:
        if not self.done:
            self.value, self.done = self._result(), True
        return self.value

    def _result(self) -> T:
        if self.pid is None:
            return self.work()
        try:
            with os.fdopen(self.pipe, "rb") as pipe:
                self.pipe = None
                data = pipe.read()
        finally:
            status = self._reap()
        if status == 0 and data:
            try:
                return pickle.loads(data)
            except Exception:  # a result that does not arrive whole is made again here
                pass
        return self.work()

    def cancel(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None

    def _reap(self) -> int:
        pid, self.pid = self.pid, None
        if pid is None:
            return -1
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


@contextmanager
def on_second_core(work: Callable[[], T], worth_it: bool = True) -> Iterator[Deferred[T]]:
    """Start `work` in a forked child; inside, call `.result()`. Leaving early stops the child.
    Unless `worth_it`, the work is done here when the result is asked for."""
    deferred = Deferred(work).start() if worth_it else Deferred(work)
    try:
        yield deferred
    finally:
        deferred.cancel()
