"""The command keeps freed memory for reuse (carerota.memory): a freed array's pages are reused by
the next one instead of being faulted in again from the kernel."""

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, sys
from carerota.memory import keep_freed_memory
took = keep_freed_memory()
import numpy as np
np.ones(5_000_000)  # the first array's pages are new either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    np.ones(5_000_000)  # 40 MB (above glibc's adaptive 32 MiB), allocated and freed
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


THREAD_PROBE = """
import resource, threading
from carerota.memory import keep_freed_memory
took = keep_freed_memory()
import numpy as np
def on_a_thread():
    for _ in range(3):
        np.ones(10_000_000)  # 80 MB, allocated and freed on a thread
worker = threading.Thread(target=on_a_thread)
worker.start()
worker.join()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(10_000_000)  # as large, on the main thread
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def probe(env_extra: dict, code: str = PROBE) -> tuple[str, int]:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    out = subprocess.run([sys.executable, "-c", code], env={**env, **env_extra}, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_arrays_are_reused_without_page_faults():
    took, kept = probe({})
    left, default = probe({"MALLOC_TRIM_THRESHOLD_": "131072"})  # the user's own setting wins
    assert (took, left) == ("True", "False")
    assert default > 100  # glibc's defaults: each 40 MB array is mapped anew and faulted in
    assert kept * 10 < default


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_memory_freed_on_one_thread_is_reused_on_another():
    """One heap for every thread: by default the thread's arena would keep its 80 MB (mapped apart,
    as it is over 64 MiB, and unmapped when freed), and the main thread would fault in its own."""
    took, kept = probe({}, THREAD_PROBE)
    per_thread = {"MALLOC_ARENA_MAX": "8", "MALLOC_MMAP_THRESHOLD_": str(1 << 30),
                  "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}  # freed memory kept, but by each thread's arena
    left, apart = probe(per_thread, THREAD_PROBE)
    assert (took, left) == ("True", "False")  # the user's own settings win
    assert apart >= 40  # 80 MB faulted in anew: at least 40 pages of 2 MiB (numpy asks for huge pages)
    assert kept * 10 < apart


def imported_before(module: str, function: str, library: str) -> str:
    """Run `carerota --version` with ``module.function`` replaced by a note of whether ``library`` was
    imported when it was called: "[False]" when it was called once, before."""
    code = (f"import sys, {module} as m; m.{function} = lambda: print('called', '{library}' in sys.modules); "
            "sys.argv = ['carerota', '--version']\nfrom carerota.__main__ import run\nrun()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return str([line.split()[1] == "True" for line in out.splitlines() if line.startswith("called ")])


def test_the_command_tunes_the_allocator_before_importing_pandas():
    assert imported_before("carerota.memory", "keep_freed_memory", "pandas") == "[False]"


ARROW_PROBE = """
import os
from carerota.memory import keep_freed_memory
keep_freed_memory()
import pyarrow as pa
print(os.environ.get("ARROW_DEFAULT_MEMORY_POOL"), pa.default_memory_pool().backend_name)
"""


def arrow_pool(env_extra: dict) -> list[str]:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "ARROW_"))}
    return subprocess.run([sys.executable, "-c", ARROW_PROBE], env={**env, **env_extra}, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_arrow_allocates_from_the_same_heap_unless_the_user_chose():
    assert arrow_pool({}) == ["system", "system"]
    assert arrow_pool({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}) == ["mimalloc", "mimalloc"]
    assert arrow_pool({"MALLOC_TRIM_THRESHOLD_": "131072"})[0] == "None"  # glibc left as tuned: arrow too


HUGE_PAGE_PROBE = """
import sys
from carerota.memory import keep_freed_memory
if sys.argv[1:] == ["tuned"]:
    keep_freed_memory()
from numpy._core.multiarray import _set_madvise_hugepage
print(_set_madvise_hugepage(False))  # gives the setting numpy took at import
"""


def numpy_huge_pages(env_extra: dict, *args: str) -> str:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "NUMPY_"))}
    return subprocess.run([sys.executable, "-c", HUGE_PAGE_PROBE, *args], env={**env, **env_extra},
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_numpy_gives_no_huge_page_advice_on_the_one_heap_unless_the_user_chose():
    assert numpy_huge_pages({}, "tuned") == "False"
    assert numpy_huge_pages({"NUMPY_MADVISE_HUGEPAGE": "1"}, "tuned") == "True"  # the user's own choice stands
    assert numpy_huge_pages({"MALLOC_ARENA_MAX": "2"}, "tuned") == numpy_huge_pages({})  # not our heap: numpy's own


BLAS_PROBE = """
import os, sys
from carerota.__main__ import one_blas_thread
took = one_blas_thread()
import numpy as np
np.ones((64, 64)) @ np.ones((64, 64))
print(took, os.environ.get("OPENBLAS_NUM_THREADS"), len(os.listdir("/proc/self/task")))
"""


def blas_threads(env_extra: dict) -> list[str]:
    import os
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                                                                "OMP_NUM_THREADS")}
    return subprocess.run([sys.executable, "-c", BLAS_PROBE], env={**env, **env_extra}, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads counted in /proc")
def test_numpy_starts_no_blas_threads_unless_the_user_asked():
    assert blas_threads({}) == ["True", "1", "1"]  # the main thread alone
    took, asked, threads = blas_threads({"OMP_NUM_THREADS": "2"})
    assert (took, asked) == ("False", "None")  # the user's setting stands
    if (os.cpu_count() or 1) > 1:
        assert int(threads) > 1  # and numpy's BLAS then starts its threads, as the probe can see


def test_the_command_sets_one_blas_thread_before_importing_numpy():
    assert imported_before("carerota.__main__", "one_blas_thread", "numpy") == "[False]"
