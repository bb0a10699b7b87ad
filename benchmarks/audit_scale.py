"""How `carerota audit` scales on realistic rotas: 10k, 100k and 1M visits made by `carerota synth`.

Each size is generated once (cached in benchmarks/cache/scale_N/, which git ignores, and made again
when the spec or synth.py changes), then audited
end to end as a separate process, as a user runs it:

    carerota audit rota.csv --clients clients.csv --workers workers.csv --format json --output out.json

next to the floor no audit can beat, reading the same CSV into pandas with its fastest engine
(pyarrow), timed two ways: inside a warm process, and as a process of its own (start-up and
`import pandas` included, like the audit). Then the 1M-visit rota is cut into 200 files of about
5,000 visits (whole workers per file) and audited with `carerota batch` over both cores.

    python benchmarks/audit_scale.py                      # all of it
    python benchmarks/audit_scale.py --sizes 10000 --no-batch

Wall time is the fastest of --repeat runs, the read as a process and the audit run alternately (the
machine's speed drifts from minute to minute); peak memory is the largest resident set of the
audit's own process (os.wait4), or of the batch's biggest process (parent or worker).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from carerota import synth
from carerota.synth import SynthSpec, synthesise, write
from carerota.synth_presets import TOWNS

CACHE = Path(__file__).parent / "cache"
WEEKS = 4
SEED = 7
AS_OF = "2026-11-23"
CLIENTS_PER_KM2 = 15


def child_env() -> dict[str, str]:
    """The environment of a normal install: bytecode caching on (this workplace turns it off)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(cmd: list[str], output: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process and its children: ``os.wait4``
    gives the child's own peak; a batch's worker processes are children of the child, so their
    peak comes from RUSAGE_CHILDREN of a wrapper (see ``peak_of_tree``). The previous run's output is
    deleted first, untimed: replacing a 466 MB file makes the kernel free the old one's pages inside
    the rename (about 0.5 s), which is the file system's cost, not the audit's."""
    if output is not None:
        output.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=child_env())
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


PEAK_WRAPPER = """
import ctypes, os, resource, subprocess, sys, time
if sys.platform.startswith("linux"):  # PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
t = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - t
while True:  # the batch's process server outlives the command by a moment: reaped, its peak counts
    try:
        os.wait()
    except ChildProcessError:
        break
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def peak_of_tree(cmd: list[str], output: Path) -> tuple[float, float]:
    """Like ``timed``, but the peak is the largest of the process and all its descendants: the
    command runs under a small Python wrapper that reports RUSAGE_CHILDREN after waiting for every
    descendant. The batch's worker processes are forked by a server process (``carerota.processes``)
    that the command does not wait for; the wrapper, as their subreaper, does."""
    output.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *cmd], capture_output=True, text=True, env=child_env())
    elapsed, peak_kb, code = out.stdout.split()
    if int(code) not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{out.stderr}")
    return float(elapsed), int(peak_kb) / 1024


def spec_for(visits: int) -> SynthSpec:
    """Workers for about ``visits`` visits over WEEKS weeks, at the generator's own rate of visits per
    worker (measured on a 200-worker sample with the same seed), in Leeds, over an area that keeps a
    city's density of home-care clients (about 15 a square km; at least the 5 km default)."""
    sample = synthesise(SynthSpec(workers=200, weeks=WEEKS, seed=SEED))
    per_worker = len(sample.rota) / 200
    workers = max(5, round(visits / per_worker))
    spec = SynthSpec(workers=workers, weeks=WEEKS, seed=SEED)
    radius = max(5.0, round(math.sqrt(spec.n_clients / (math.pi * CLIENTS_PER_KM2)), 1))
    return SynthSpec(workers=workers, weeks=WEEKS, seed=SEED, centre=TOWNS["leeds"][:2], radius_km=radius)


def stamp(made_from: str) -> str:
    """What a cached dataset was made from: its spec and the generator's source, so that changing
    either one remakes the data instead of timing an old rota."""
    source = hashlib.sha256(Path(synth.__file__).read_bytes()).hexdigest()[:16]
    return f"{made_from}\nsynth.py sha256 {source}\n"


def cached(folder: Path, made_from: str) -> bool:
    """True when ``folder`` holds data made from ``made_from`` by this generator; otherwise it, and
    the files cut from it (``folder_in_N``), are removed to be made again."""
    mark = folder / "made_from.txt"
    if mark.exists() and mark.read_text() == stamp(made_from):
        return True
    for old in (folder, *folder.parent.glob(f"{folder.name}_in_*")):
        shutil.rmtree(old, ignore_errors=True)
    return False


def mark(folder: Path, made_from: str) -> None:
    (folder / "made_from.txt").write_text(stamp(made_from))


def rota_of(visits: int) -> Path:
    folder = CACHE / f"scale_{visits}"
    spec = spec_for(visits)
    if not cached(folder, repr(spec)):
        write(synthesise(spec), folder)
        mark(folder, repr(spec))
    return folder


def split(folder: Path, files: int) -> Path:
    """The rota cut into ``files`` files of whole workers, about equal in visits."""
    out = folder.parent / f"{folder.name}_in_{files}"
    if not out.exists():
        rota = pd.read_csv(folder / "rota.csv", dtype=str, keep_default_na=False, engine="pyarrow")
        counts = rota["worker_id"].value_counts(sort=False).sort_index()
        cut = np.minimum((np.cumsum(counts.to_numpy()) - 1) * files // len(rota), files - 1)
        part = pd.Series(cut, index=counts.index)
        out.mkdir()
        for k, piece in rota.groupby(rota["worker_id"].map(part), sort=True):
            piece.to_csv(out / f"rota_{k:03d}.csv", index=False)
    return out


def read_in_process(path: Path, repeat: int) -> float:
    """Seconds to read the CSV with pandas' pyarrow engine in this warm process (fastest of ``repeat``)."""
    inside = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pd.read_csv(path, engine="pyarrow")
        inside.append(time.perf_counter() - t0)
    return min(inside)


def read_as_process(path: Path) -> float:
    """Seconds for a process of its own to start, import pandas and read the CSV with the pyarrow engine."""
    code = "import sys, pandas as pd; pd.read_csv(sys.argv[1], engine='pyarrow')"
    return timed([sys.executable, "-c", code, str(path)])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the fastest is kept")
    parser.add_argument("--no-batch", action="store_true", help="skip the 200-file batch run")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    carerota = [sys.executable, "-m", "carerota"]
    subprocess.run([*carerota, "--version"], env=child_env(), capture_output=True)  # write bytecode first

    print("| visits | workers | clients | file MB | read in process s | read as process s | audit s "
          "| audit ÷ read (process) | audit ÷ read (in process) | µs per visit | peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    single = {}
    for size in args.sizes:
        folder = rota_of(size)
        rota = folder / "rota.csv"
        visits = sum(1 for _ in open(rota, "rb")) - 1
        workers = sum(1 for _ in open(folder / "workers.csv", "rb")) - 1
        clients = sum(1 for _ in open(folder / "clients.csv", "rb")) - 1
        inside = read_in_process(rota, args.repeat)
        cmd = [*carerota, "audit", str(rota), "--clients", str(folder / "clients.csv"), "--workers",
               str(folder / "workers.csv"), "--format", "json", "--quiet", "--as-of", AS_OF,
               "--output", str(folder / "audit.json")]
        reads, runs = [], []
        for _ in range(args.repeat):  # the read and the audit alternately: the machine's speed drifts
            reads.append(read_as_process(rota))
            runs.append(timed(cmd, folder / "audit.json"))
        process = min(reads)
        audit_s, peak = min(r[0] for r in runs), max(r[1] for r in runs)
        single[size] = (folder, audit_s)
        print(f"| {visits:,} | {workers:,} | {clients:,} | {rota.stat().st_size / 1e6:.1f} | {inside:.2f} | "
              f"{process:.2f} | {audit_s:.2f} | {audit_s / process:.1f} | {audit_s / inside:.1f} | "
              f"{audit_s / visits * 1e6:.1f} | {peak:.0f} |", flush=True)

    if args.no_batch or 1_000_000 not in single:
        return
    folder, audit_s = single[1_000_000]
    files = split(folder, 200)
    cmd = [*carerota, "batch", str(files), "--clients", str(folder / "clients.csv"), "--workers",
           str(folder / "workers.csv"), "--format", "json", "--quiet", "--as-of", AS_OF, "--jobs", "2",
           "--output", str(folder / "batch.json")]
    runs = [peak_of_tree(cmd, folder / "batch.json") for _ in range(args.repeat)]
    batch_s, peak = min(r[0] for r in runs), max(r[1] for r in runs)
    print(f"\nbatch of {len(list(files.glob('*.csv')))} files (--jobs 2): {batch_s:.2f} s, peak {peak:.0f} MiB "
          f"(largest process); single-file audit {audit_s:.2f} s; ratio {batch_s / audit_s:.2f}")


if __name__ == "__main__":
    main()
