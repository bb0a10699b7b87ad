"""The command keeps freed memory for reuse (carerota.memory): a freed array's pages are reused by
the next one instead of being faulted in again from the kernel."""

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


def probe(env_extra: dict) -> tuple[str, int]:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**env, **env_extra}, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_arrays_are_reused_without_page_faults():
    took, kept = probe({})
    left, default = probe({"MALLOC_TRIM_THRESHOLD_": "131072"})  # the user's own setting wins
    assert (took, left) == ("True", "False")
    assert default > 100  # glibc's defaults: each 40 MB array is mapped anew and faulted in
    assert kept * 10 < default


def test_the_command_tunes_the_allocator_before_importing_pandas():
    code = ("import sys, carerota.memory as m; calls = []; m.keep_freed_memory = lambda: calls.append("
            "'pandas' in sys.modules); sys.argv = ['carerota', '--version'];\n"
            "from carerota.__main__ import run\ntry:\n    run()\nexcept SystemExit:\n    pass\nprint(calls)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[False]"


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
