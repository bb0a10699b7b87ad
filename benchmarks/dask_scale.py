"""The Dask engine on 10 million synthetic visits stored as Parquet, on this machine's cores, with each
Dask worker's memory limit below the size of the data; beside the pandas engine on the same dataset.

    python benchmarks/dask_scale.py                                   # 10 providers of ~1M visits
    python benchmarks/dask_scale.py --regions 2 --worker-memory 1GiB   # a quick look

The dataset is ``--regions`` synthetic providers of about a million visits each (``carerota synth`` as
in audit_scale.py: Leeds, 4 weeks, seeds 7, 8, ...), ids prefixed R0-, R1-, ... so no two providers
share a worker or a client, converted with ``carerota convert regions/ --to parquet rota.parquet/``;
cached in benchmarks/cache/dask_R/ (git ignores it).

A scheduler and two single-threaded workers are started as processes of their own, as on a cluster
(``dask scheduler``, ``dask worker ADDRESS --nthreads 1 --memory-limit M --no-nanny``), and the audit
runs against them as a user runs it:

    carerota audit rota.parquet/ --engine dask --scheduler ADDRESS --clients clients.csv
        --workers workers.csv --format json --output audit.json

Peak memory is each process's own peak resident set (os.wait4): each worker's, and the carerota
process's, which gathers the report (every flagged visit is in it).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from audit_scale import AS_OF, CACHE, SEED, cached, child_env, mark, spec_for, timed  # noqa: E402

from carerota.load import load_rota  # noqa: E402
from carerota.synth import synthesise, write  # noqa: E402

BIN = Path(sys.executable).parent


def prefixed(table: pa.Table, prefix: str, columns: tuple[str, ...], teams: bool = False) -> pa.Table:
    """Ids made distinct by provider: ``W0001`` → ``R3-W0001`` (and each member of a named team)."""
    for col in columns:
        i = table.column_names.index(col)
        table = table.set_column(i, col, pc.binary_join_element_wise(prefix, table.column(col).cast(pa.string()), ""))
    if teams:
        i = table.column_names.index("named_team")
        members = pc.split_pattern(table.column("named_team").cast(pa.string()), ";")
        joined = pc.binary_join(pa.chunked_array([pa.ListArray.from_arrays(
            chunk.offsets, pc.if_else(pc.equal(chunk.flatten(), ""), "",
                                      pc.binary_join_element_wise(prefix, chunk.flatten(), "")))
            for chunk in members.chunks]), ";")
        table = table.set_column(i, "named_team", joined)
    return table


def dataset(regions: int) -> Path:
    """The cached dataset: regions/ (CSV), rota.parquet/, clients.csv and workers.csv."""
    folder = CACHE / f"dask_{regions}"
    base = spec_for(1_000_000)
    made_from = f"{base!r}, {regions} regions"
    if cached(folder, made_from):
        return folder
    (folder / "regions").mkdir(parents=True)
    clients, workers = [], []
    for r in range(regions):
        made = folder / f"synth_{r}"
        write(synthesise(replace(base, seed=SEED + r)), made)
        prefix = f"R{r}-"
        opts = pacsv.ReadOptions(use_threads=True)
        conv = pacsv.ConvertOptions(strings_can_be_null=False)
        read = lambda p: pacsv.read_csv(p, read_options=opts, convert_options=conv)  # noqa: E731
        rota = read(made / "rota.csv")
        rota = rota.cast(pa.schema([(n, pa.string()) for n in rota.column_names]))
        pacsv.write_csv(prefixed(rota, prefix, ("visit_id", "worker_id", "client_id")),
                        folder / "regions" / f"r{r:02d}.csv")
        c = read(made / "clients.csv")
        clients.append(prefixed(c.cast(pa.schema([(n, pa.string()) for n in c.column_names])), prefix,
                                ("client_id",), teams=True))
        w = read(made / "workers.csv")
        workers.append(prefixed(w.cast(pa.schema([(n, pa.string()) for n in w.column_names])), prefix,
                                ("worker_id",)))
        for f in made.iterdir():
            f.unlink()
        made.rmdir()
    pacsv.write_csv(pa.concat_tables(clients), folder / "clients.csv")
    pacsv.write_csv(pa.concat_tables(workers), folder / "workers.csv")
    subprocess.run([sys.executable, "-m", "carerota", "convert", str(folder / "regions"), "--to", "parquet",
                    str(folder / "rota.parquet"), "--quiet"], check=True, env=child_env())
    mark(folder, made_from)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float = 30) -> None:
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit("the scheduler did not start")


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=10, help="providers of about a million visits each")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--worker-memory", default="1.5GiB", help="each worker's memory limit")
    parser.add_argument("--partitions", type=int, default=None, help="carerota audit --partitions")
    parser.add_argument("--engines", nargs="+", choices=("dask", "pandas"), default=["dask", "pandas"])
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    folder = dataset(args.regions)
    parquet = folder / "rota.parquet"
    region = sorted((folder / "regions").glob("*.csv"))[0]
    in_memory = load_rota(region).visits.memory_usage(deep=True).sum() * args.regions
    print(f"dataset: {args.regions} providers; CSV {size_of(folder / 'regions') / 2**30:.2f} GiB, Parquet "
          f"{size_of(parquet) / 2**30:.2f} GiB, typed visits in pandas about {in_memory / 2**30:.1f} GiB",
          flush=True)
    carerota = [sys.executable, "-m", "carerota", "audit", str(parquet), "--clients", str(folder / "clients.csv"),
                "--workers", str(folder / "workers.csv"), "--as-of", AS_OF, "--format", "json", "--quiet"]

    if "dask" in args.engines:
        on_dask(args, folder, carerota)
    if "pandas" in args.engines:
        output = folder / "audit_pandas.json"
        wall, peak = timed([*carerota, "--engine", "pandas", "--output", str(output)], output)
        print(f"pandas: {wall:.1f} s; peak {peak:.0f} MiB", flush=True)
        if (folder / "audit_dask.json").exists():
            print(f"same report as dask: {filecmp.cmp(folder / 'audit_dask.json', output, shallow=False)}")


def on_dask(args, folder: Path, carerota: list[str]) -> None:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stderr=subprocess.DEVNULL, env=child_env())
    wait_for(port)
    # Without a nanny each worker is our own child, so os.wait4 gives its peak; set what the nanny would
    # (glibc returns freed memory to the system sooner: Dask's default for workers).
    worker_env = child_env() | {"MALLOC_TRIM_THRESHOLD_": "65536"}
    workers = [subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                                 "--memory-limit", args.worker_memory, "--local-directory", str(folder / "spill")],
                                stderr=subprocess.DEVNULL, env=worker_env) for _ in range(args.workers)]
    time.sleep(5)  # the workers join the scheduler
    output = folder / "audit_dask.json"
    try:
        partitions = ["--partitions", str(args.partitions)] if args.partitions else []
        wall, peak = timed([*carerota, "--engine", "dask", "--scheduler", address, *partitions, "--output", str(output)],
                           output)
    finally:
        for w in workers:
            w.terminate()
        peaks = [os.wait4(w.pid, 0)[2].ru_maxrss / 1024 for w in workers]
        scheduler.terminate()
        scheduler.wait()
    print(f"dask: {wall:.1f} s; peak per worker {', '.join(f'{p:.0f}' for p in peaks)} MiB "
          f"(limit {args.worker_memory}); carerota process {peak:.0f} MiB; report {output.stat().st_size / 2**30:.2f} GiB",
          flush=True)


if __name__ == "__main__":
    main()
