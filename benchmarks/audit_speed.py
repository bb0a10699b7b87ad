"""How long `carerota audit` takes, and how much memory it needs, on rotas of growing size.

Each size is generated once (cached in benchmarks/cache/), then audited end to end as a separate
process (`carerota audit ROTA --format json --output ...`), next to the time pyarrow alone takes to
read the same file: no audit can beat reading its input.

    python benchmarks/audit_speed.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

CACHE = Path(__file__).parent / "cache"


def make_rota(visits: int, path: Path, seed: int = 1) -> None:
    """A plain synthetic rota: workers with 10 visits a day 75 minutes apart, clients scattered
    over a 10 km town: the worst case for travel (audit_scale.py audits realistic `carerota synth` rotas)."""
    rng = np.random.default_rng(seed)
    per_day = 10
    days = 7
    workers = max(visits // (per_day * days), 1)
    clients = max(workers * 4, 10)
    i = np.arange(visits)
    worker = i // (per_day * days)
    day = (i // per_day) % days
    slot = i % per_day
    start = (pd.Timestamp("2026-11-02 07:00") + pd.to_timedelta(day, "D")
             + pd.to_timedelta(slot * 75, "min"))
    length = rng.choice([15, 30, 30, 45, 60], visits)
    client = rng.integers(0, clients, visits)
    lat = 53.645 + rng.uniform(-0.045, 0.045, clients)
    lon = -1.785 + rng.uniform(-0.07, 0.07, clients)
    pd.DataFrame({
        "worker_id": "W" + pd.Series(worker).astype(str),
        "client_id": "C" + pd.Series(client).astype(str),
        "start": start.strftime("%Y-%m-%d %H:%M"),
        "end": (start + pd.to_timedelta(length, "min")).strftime("%Y-%m-%d %H:%M"),
        "lat": lat[client].round(5), "lon": lon[client].round(5),
        "hourly_rate": 12.71,
    }).to_csv(path, index=False)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process (os.wait4 gives that child's
    own usage; RUSAGE_CHILDREN would be the largest of all children so far)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the fastest is kept")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    carerota = [sys.executable, "-m", "carerota"]
    print("| visits | file MB | bare read s | audit s | audit ÷ read | peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        rota = CACHE / f"rota_{size}.csv"
        if not rota.exists():
            make_rota(size, rota)
        reads = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pacsv.read_csv(rota)
            reads.append(time.perf_counter() - t0)
        runs = [timed([*carerota, "audit", str(rota), "--format", "json", "--quiet",
                       "--output", str(CACHE / f"audit_{size}.json"), "--as-of", "2026-11-23"])
                for _ in range(args.repeat)]
        audit_s = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(f"| {size:,} | {rota.stat().st_size / 1e6:.1f} | {min(reads):.2f} | {audit_s:.2f} | "
              f"{audit_s / min(reads):.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
