"""How long importing the ONS Postcode Directory takes, and how fast the table loads and looks up.

The real directory cannot be fetched here, so a synthetic one of the same shape is generated once
(cached in benchmarks/cache/): 2.7 million rows under the August 2026 ONSPD header (55 columns,
every field quoted as ONS writes it), about 30% terminated and 1% without a grid reference. Then
`carerota postcodes import` runs as a process, on the CSV and on the same CSV zipped as ONS ships it,
and the table is loaded and searched in a fresh process.

    python benchmarks/postcodes.py [--rows 2700000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from audit_speed import CACHE, timed

HEADER = (Path(__file__).parent.parent / "tests" / "data" / "postcodes" / "onspd_sample.csv").open(
    encoding="utf-8").readline().strip().split(",")

LOOKUP = """
import sys, time
import numpy as np, pandas as pd
from carerota.postcodes import PostcodeTable, display
t0 = time.perf_counter(); table = PostcodeTable.load(sys.argv[1]); load = time.perf_counter() - t0
rng = np.random.default_rng(2)
wanted = pd.Series([display(k.decode()) for k in table.keys[rng.integers(0, len(table.keys), 100_000)]])
t0 = time.perf_counter(); found = table.lookup(wanted); lookup = time.perf_counter() - t0
print(f"{load:.3f} {lookup:.3f} {(found['status'] != 'unknown').mean():.3f}")
"""


def make_directory(rows: int, path: Path) -> None:
    """A synthetic ONSPD: random but well-formed postcodes, coordinates inside the UK."""
    rng = np.random.default_rng(1)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    areas = np.array(["AB", "B", "BT", "CF", "E", "EH", "G", "LS", "M", "N", "SW", "W", "YO"])
    outward = np.char.add(areas[rng.integers(0, len(areas), rows)], rng.integers(1, 99, rows).astype(str))
    inward = np.char.add(rng.integers(0, 10, rows).astype(str),
                         np.char.add(letters[rng.integers(0, 20, rows)], letters[rng.integers(0, 20, rows)]))
    pcds = np.char.add(np.char.add(outward, " "), inward)
    doterm = np.where(rng.random(rows) < 0.3, np.char.add(rng.integers(1980, 2026, rows).astype(str), "06"), "")
    nogrid = rng.random(rows) < 0.01
    lat = np.where(nogrid, "99.999999", np.char.mod("%.6f", rng.uniform(49.9, 60.8, rows)))
    lon = np.where(nogrid, "0.000000", np.char.mod("%.6f", rng.uniform(-8.2, 1.8, rows)))
    fixed = {"pcd7": pcds, "pcd8": pcds, "pcds": pcds, "doterm": doterm, "lat": lat, "long": lon}
    table = pa.table({name: pa.array(fixed.get(name, np.full(rows, "E01000001"))) for name in HEADER})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="all_valid"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_700_000)
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    source = CACHE / f"ONSPD_AUG_2026_UK_synthetic_{args.rows}.csv"
    if not source.exists():  # in a fresh process: a child forked from a big parent would report its memory
        maker = multiprocessing.get_context("spawn").Process(target=make_directory, args=(args.rows, source))
        maker.start()
        maker.join()
    archive = source.with_suffix(".zip")
    if not archive.exists():
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(source, f"Data/{source.name}")
    table = CACHE / "postcodes.npz"
    print(f"{args.rows:,} rows; CSV {source.stat().st_size / 1e9:.2f} GB, zip {archive.stat().st_size / 1e9:.2f} GB")
    print("| step | seconds | peak MiB |")
    print("|---|---:|---:|")
    for label, path in (("import from the CSV", source), ("import from the zip", archive)):
        seconds, peak = timed([sys.executable, "-m", "carerota", "postcodes", "import", str(path),
                               "--postcodes", str(table), "--quiet"])
        print(f"| {label} | {seconds:.1f} | {peak:.0f} |")
    out = subprocess.run([sys.executable, "-c", LOOKUP, str(table)], capture_output=True, text=True, check=True)
    load, lookup, found = out.stdout.split()
    print(f"| load the table ({table.stat().st_size / 1e6:.0f} MB) | {float(load):.3f} | |")
    print(f"| look up 100,000 postcodes (found {float(found):.0%}) | {float(lookup):.3f} | |")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
