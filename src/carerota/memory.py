"""How the carerota command asks the C allocator for memory.

An audit of a million visits allocates and frees arrays of a million rows hundreds of times. By
default glibc hands each large freed block straight back to the kernel (blocks from 128 KiB, rising
adaptively to 32 MiB, are mapped one by one; the heap's free top is trimmed at 128 KiB), so the next
array of that size faults in fresh zeroed pages: over a second of system time for a million visits,
a sixth of the run. A command that runs once and exits is better served keeping freed memory for
reuse; its peak stays about the same, as the memory was in use a moment before.

Arrow then takes its buffers from the same heap (its system pool) rather than its own allocator: the
text a CSV is read into is freed as the columns are typed, and what one library frees the other
reuses, instead of each faulting in pages of its own (a million visits: a quarter less system time,
1.6 → 1.2 s, for a peak 6% higher).

Every thread allocates from that one heap too (one arena). By default glibc gives each thread an
arena of its own, and an arena keeps what its thread freed for that thread alone (a block over 64
MiB is mapped apart, and unmapped when freed); the audit works on threads (reading, typing, wording
and writing findings), so memory freed on one was faulted in anew on another. A million visits:
peak 1.6 → 1.3 GB, about 0.25 s faster end to end (alternate runs). Threads now take a lock to
allocate; the audit's threads allocate large arrays, not many small objects, so they seldom wait.

numpy is asked not to advise huge pages (``NUMPY_MADVISE_HUGEPAGE=0``, read when numpy is imported).
Its advice suits an array mapped on its own; carved from the one heap, each large array's advice
splits the heap's mapping (under the lock every thread's page fault needs), and the heap's pages,
reused by arrays of other sizes, are made huge and split again. A million visits: 326 calls to
madvise gone; system time 1.4 → 1.0 s, and 0.25 s faster end to end (13 alternate runs, 11 faster).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # glibc's malloc.h
KEEP_BYTES = 1 << 30  # blocks up to 1 GiB come from the heap, and up to 1 GiB of free heap is kept
OWN_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")
ARROW_POOL = "ARROW_DEFAULT_MEMORY_POOL"  # read by pyarrow when it first allocates
NUMPY_HUGE_PAGES = "NUMPY_MADVISE_HUGEPAGE"  # read by numpy when it is imported


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse, and arrow to allocate from it, and numpy not to advise
    huge pages (Linux only; elsewhere, or where the user tuned malloc, or chose arrow's pool or
    numpy's advice, through environment variables, that setting stands). Returns whether glibc's
    settings were taken. Call before numpy and pyarrow are imported."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in OWN_SETTINGS):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    kept = (bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
            and bool(mallopt(M_ARENA_MAX, 1)))
    if kept:
        os.environ.setdefault(ARROW_POOL, "system")  # inherited by the batch's and planner's processes
        os.environ.setdefault(NUMPY_HUGE_PAGES, "0")
    return kept
