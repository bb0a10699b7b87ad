"""Work spread over processes that leave Ctrl-C to the command: a batch or a plan on two cores
stops at once and quietly when interrupted, as a single-core run does."""

from __future__ import annotations

import multiprocessing
import signal
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


def in_processes(fn: Callable, items: Iterable, workers: int) -> Iterator[tuple[int, object]]:
    """(index, fn(item)) for each item as it completes, on ``workers`` spawned processes that keep
    freed memory for reuse, as the command does. On Ctrl-C, an error or the caller stopping early,
    the processes are terminated rather than left to finish their queue."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
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
