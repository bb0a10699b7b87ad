"""Solve Solomon / Gehring–Homberger VRPTW instances with the planner's routing model.

    python benchmarks/solomon.py --instances C101 R101 RC208 --time-limit 10 --out results/

Each instance becomes visits with time windows and workers with a capacity, solved by
``carerota.routing.solve`` (the code the planner uses). Distances follow the DIMACS
convention of ``best_known.csv``: Euclidean distance truncated to one decimal, travel
time equal to distance. Writes ``DIR/NAME.sol`` (``Route #k: …`` then ``Cost X``) and
prints distance, vehicles, seconds and the gap to the best-known distance.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import replace
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from vrptw import Instance, read_vrplib  # noqa: E402

from carerota.routing import RoutingProblem, SearchSettings, Solution, Vehicle, solve  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "benchmarks"
SETS = {"solomon": DATA / "solomon" / "vrplib", "gh200": DATA / "gehring_homberger_200"}
BKS = {"solomon": DATA / "solomon" / "best_known.csv", "gh200": DATA / "gehring_homberger_200" / "best_known.csv"}

# One search per core, the better result kept: iterated local search with SISR
# ruin-and-recreate (Christiaens & Vanden Berghe 2020) as OR-Tools implements it, without the
# slow insertion-LNS operators; and guided local search with bandit-chosen operators (the one
# that solves the clustered C2 instances). benchmarks/README.md records what else was tried.
PORTFOLIO = (
    SearchSettings(metaheuristic="GREEDY_DESCENT", iterated=True, bandit=False, insertion_lns=False),
    SearchSettings(metaheuristic="GUIDED_LOCAL_SEARCH", bandit=True),
)


def problem(instance: Instance) -> RoutingProblem:
    """Customers are visits with windows; the depot is every worker's start and end."""
    scale = 10  # times in tenths, like the distances
    vehicles = [Vehicle(start=0, end=0, open=0, close=int(instance.due[0]) * scale, capacity=instance.capacity)
                for _ in range(instance.vehicles)]
    return RoutingProblem(travel=[instance.distances()], service=instance.service * scale,
                          open=instance.ready * scale, close=instance.due * scale, vehicles=vehicles,
                          demand=instance.demand)


def find(name: str, folders: list[Path]) -> Path:
    for folder in folders:
        if (folder / f"{name}.vrp").is_file():
            return folder / f"{name}.vrp"
    raise SystemExit(f"error: no instance {name!r} in {', '.join(map(str, folders))}")


def best_known(folder: Path) -> dict[str, tuple[int, float]]:
    """The folder's best_known.csv, or the shared table for that set."""
    table = folder / "best_known.csv"
    if not table.is_file():
        table = next((BKS[k] for k, f in SETS.items() if f == folder), folder.parent / "best_known.csv")
    if not table.is_file():
        return {}
    with open(table, newline="") as fh:
        return {r["instance"]: (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(fh)}


def run(args: tuple[Path, SearchSettings]) -> Solution:
    path, settings = args
    return solve(problem(read_vrplib(path)), settings)


def solve_instance(path: Path, time_limit: float, pool: ProcessPoolExecutor | None) -> tuple[Solution, float]:
    began = time.perf_counter()
    jobs = [(path, replace(s, time_limit=time_limit)) for s in PORTFOLIO]
    results = list(pool.map(run, jobs)) if pool else [run(jobs[0])]
    best = min(results, key=lambda s: (len(s.dropped), s.objective))
    return best, time.perf_counter() - began


def write_sol(path: Path, solution: Solution) -> None:
    lines = [f"Route #{k}: {' '.join(map(str, route))}"
             for k, route in enumerate((r for r in solution.routes if r), start=1)]
    lines.append(f"Cost {solution.objective / 10:.1f}")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", nargs="+", help="Instance names [default: all 56 Solomon]")
    parser.add_argument("--set", choices=sorted(SETS), default="solomon", help="Set to take all instances from")
    parser.add_argument("--data", type=Path, help="Folder of NAME.vrp files [default: the shared benchmark sets]")
    parser.add_argument("--time-limit", type=float, default=10.0, help="Seconds per instance")
    parser.add_argument("--jobs", type=int, default=2, help="Searches per instance, one per core (1 or 2)")
    parser.add_argument("--out", type=Path, required=True, help="Folder for NAME.sol files")
    parser.add_argument("--csv", type=Path, help="Also write the table as CSV")
    args = parser.parse_args(argv)

    folders = [args.data] if args.data else [SETS[args.set]] + [f for k, f in SETS.items() if k != args.set]
    names = args.instances or sorted(p.stem for p in folders[0].glob("*.vrp"))
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    pool = ProcessPoolExecutor(min(args.jobs, len(PORTFOLIO))) if args.jobs > 1 else None
    print(f"{'instance':10} {'vehicles':>8} {'distance':>10} {'best':>10} {'gap %':>7} {'seconds':>8}")
    try:
        for name in names:
            path = find(name, folders)
            solution, seconds = solve_instance(path, args.time_limit, pool)
            write_sol(args.out / f"{name}.sol", solution)
            bks_vehicles, bks = best_known(path.parent).get(name, (0, float("nan")))
            distance = solution.objective / 10
            gap = 100 * (distance - bks) / bks
            rows.append({"instance": name, "vehicles": solution.vehicles_used(), "distance": f"{distance:.1f}",
                         "bks_vehicles": bks_vehicles, "bks_distance": bks, "gap_pct": f"{gap:.2f}",
                         "seconds": f"{seconds:.1f}", "unserved": len(solution.dropped)})
            print(f"{name:10} {solution.vehicles_used():>8} {distance:>10.1f} {bks:>10.1f} {gap:>7.2f} {seconds:>8.1f}",
                  flush=True)
    finally:
        if pool:
            pool.shutdown()
    gaps = [float(r["gap_pct"]) for r in rows]
    print(f"mean gap {sum(gaps) / len(gaps):.2f} %, worst {max(gaps):.2f} %, "
          f"within 5 %: {sum(g <= 5 for g in gaps)}/{len(gaps)}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
