"""Work spread over processes that leave Ctrl-C to the command: a batch or a plan on two cores
stops at once and quietly when interrupted, as a single-core run does.

On Linux the processes are forked from a server process started for them (multiprocessing's
forkserver), not started afresh (spawn): a fresh process imports pandas and the audit's modules
(half a second of CPU) before it can work; a forked one has them already, as the server imported
them once (``start_early``). The server has no threads, so forking it is safe, unlike forking the
command itself."""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from carerota.memory import keep_freed_memory


@contextmanager
def interrupts_ignored():
    """SIGINT ignored while the worker processes start: an ignored signal stays ignored across exec,
    so a Ctrl-C reaches only this process, not children still importing pandas (each would print
    a traceback). Only the main thread may change signal handling; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_method() -> str:
    """forkserver on Linux (Python's own default from 3.14); elsewhere spawn, as Python does on
    macOS, where system libraries numpy may load are not safe to fork."""
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def start_early(modules: list[str]) -> None:
    """Start the server the worker processes will be forked from, importing ``modules``, now, while
    the command imports its own: on two cores both imports take the time of one, and each worker
    process starts with the modules loaded. Ctrl-C is ignored by the server and so by the processes
    forked from it (``interrupts_ignored``); it exits with the command."""
    if start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(modules)
    with interrupts_ignored():
        forkserver.ensure_running()


def in_processes(fn: Callable, items: Iterable, workers: int) -> Iterator[tuple[int, object]]:
    """(index, fn(item)) for each item as it completes, on ``workers`` processes that keep freed
    memory for reuse, as the command does. On Ctrl-C, an error or the caller stopping early, the
    processes are terminated rather than left to finish their queue."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start_method()),
                               initializer=keep_freed_memory)  # as the command itself (carerota.memory)
    try:
        with interrupts_ignored():
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BaseException:
        for process in list((pool._processes or {}).values()):  # no public way to stop them before Python 3.14
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
