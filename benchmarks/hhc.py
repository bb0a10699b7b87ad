"""Home-care routing benchmark: the Mankowska et al. (2014) HHCRSP sets, in the iolab-uniud JSON
format, solved by ``carerota.routing`` and checked by an evaluator that shares none of its code.

Model. Every (patient, required service) pair is one visit node at the patient's location; node 0
is the office, start and end of every caregiver. A visit may start from the window opening ``a``;
starting after ``b`` is allowed and costs its tardiness (start − b, at service start). A caregiver
may do a visit only with the ability for its service. Two services of one patient are
``simultaneous`` (same start) or ``sequential`` (the second starts ``distance[0]``–``distance[1]``
after the first, in the order listed). Travel time equals distance, office → p1 … pn.

Objective. Mankowska's cost is (distance + total tardiness + max tardiness) / 3. The routing search
minimises distance + total tardiness: OR-Tools prices lateness per visit (soft upper bound) and
has no term for the largest lateness over all visits. Once the routes are fixed, a small LP
re-times them for total + max tardiness, which is the exact best schedule for those routes.

Units. Mankowska's distances have three decimals, so the solver works in thousandths of a minute
(exact); the evaluator works on the JSON's own floats.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from ortools.constraint_solver import pywrapcp
from ortools.linear_solver import pywraplp

from carerota.routing import RoutingProblem, SearchSettings, Sync, Vehicle, solve

DATA = Path("/work/shared/data/benchmarks/hhc/iolab_hhcrsp")
SCALE = 1000
EPS = 1e-6  # float noise in the JSON (e.g. a window opening of 433.99999999999994)
SYNC_TOLERANCE = 1.0  # minutes: how far apart two synchronised starts may be, as in the brief
DAY_END_FACTOR = 2  # the JSON gives no end of day; twice the latest due time never binds (see README)
DROP_PENALTY = 10**12  # a visit left undone outweighs any route; lets insertion place syncs one by one


def _allowed_vehicles(routing, vehicles, index):
    """Stand-in for ``RoutingModel.SetAllowedVehiclesForIndex``, which OR-Tools 9.15's Python
    binding rejects for every list (no absl::Span typemap), so ``routing.build`` cannot apply skills.
    Restricting the visit's vehicle variable is the same constraint (-1 keeps it droppable).
    Remove once routing.py does this itself."""
    routing.VehicleVar(index).SetValues([-1] + list(vehicles))


pywrapcp.RoutingModel.SetAllowedVehiclesForIndex = _allowed_vehicles


@dataclass(frozen=True)
class Task:
    """One visit: a (patient, service) pair."""

    patient: str
    service: str
    location: int  # row of the distance matrix
    duration: float
    open: float
    due: float


@dataclass
class Instance:
    name: str
    family: str
    data: dict
    tasks: list[Task]
    syncs: list[tuple[int, int, float, float]]  # task indices: second starts low..high after first

    @property
    def caregivers(self) -> list[dict]:
        return self.data["caregivers"]


def read_instance(path: Path) -> Instance:
    data = json.loads(Path(path).read_text())
    defaults = {s["id"]: s["default_duration"] for s in data.get("services", [])}
    tasks, syncs = [], []
    for row, patient in enumerate(data["patients"], start=1):
        first = len(tasks)
        a, b = patient["time_window"]
        for need in patient["required_caregivers"]:
            duration = need.get("duration", defaults.get(need["service"]))
            tasks.append(Task(patient["id"], need["service"], row, float(duration), float(a), float(b)))
        sync = patient.get("synchronization")
        if len(tasks) - first == 2:
            low, high = (0, 0) if sync is None or sync["type"] == "simultaneous" else sync["distance"]
            syncs.append((first, first + 1, float(low), float(high)))
    family = Path(path).parent.name if Path(path).parent.name != "instances" else ""
    return Instance(Path(path).stem, family, data, tasks, syncs)


def find_instance(name: str) -> Path:
    found = sorted((DATA / "instances").rglob(f"{name}.json"))
    if not found:
        raise SystemExit(f"no instance {name!r} under {DATA / 'instances'}")
    return found[0]


def all_instances() -> list[str]:
    return sorted(p.stem for p in (DATA / "instances").rglob("*.json"))


def day_end(instance: Instance) -> float:
    return DAY_END_FACTOR * max(t.due for t in instance.tasks)


def to_problem(instance: Instance) -> RoutingProblem:
    """Node 0 is the office, node i + 1 is task i; times in thousandths of a minute."""
    tasks = instance.tasks
    dist = np.asarray(instance.data["distances"], dtype=float)
    rows = np.array([0] + [t.location for t in tasks])
    travel = np.rint(dist[np.ix_(rows, rows)] * SCALE).astype(np.int64)

    def scaled(values) -> np.ndarray:
        return np.rint(np.array([0.0] + list(values)) * SCALE).astype(np.int64)

    end = int(round(day_end(instance) * SCALE))
    close = np.full(len(rows), end, dtype=np.int64)
    vehicles = [Vehicle(start=0, end=0, open=0, close=end) for _ in instance.caregivers]
    allowed = {i + 1: [k for k, c in enumerate(instance.caregivers) if t.service in c["abilities"]]
               for i, t in enumerate(tasks)}
    syncs = [Sync(i + 1, j + 1, int(round(low * SCALE)), int(round(high * SCALE)))
             for i, j, low, high in instance.syncs]
    return RoutingProblem(
        travel=[travel], service=scaled(t.duration for t in tasks), open=scaled(t.open for t in tasks),
        close=close, vehicles=vehicles, allowed=allowed, syncs=syncs, drop_penalty=DROP_PENALTY,
        soft_close=scaled(t.due for t in tasks), tardiness_cost=1)


def retime(instance: Instance, routes: list[list[int]],
           syncs: list[tuple[int, int, float, float]] | None = None) -> dict[int, float] | None:
    """Start times (by task) minimising total + max tardiness for fixed routes, honouring ``syncs``
    (default: all whose visits are both routed); None if no schedule can. An LP, because the
    routing search cannot price the max term."""
    tasks, dist = instance.tasks, instance.data["distances"]
    lp = pywraplp.Solver.CreateSolver("GLOP")
    inf = lp.infinity()
    start = {i: lp.NumVar(tasks[i].open, inf, f"t{i}") for route in routes for i in route}
    late = {i: lp.NumVar(0, inf, f"z{i}") for i in start}
    worst = lp.NumVar(0, inf, "zmax")
    for route in routes:
        previous, ready = 0, None
        for i in route:
            leg = dist[previous][tasks[i].location]
            lp.Add(start[i] >= (leg if ready is None else ready + leg))
            previous, ready = tasks[i].location, start[i] + tasks[i].duration
    for i in start:
        lp.Add(late[i] >= start[i] - tasks[i].due)
        lp.Add(worst >= late[i])
    for i, j, low, high in instance.syncs if syncs is None else syncs:
        if i in start and j in start:
            lp.Add(start[j] - start[i] >= low)
            lp.Add(start[j] - start[i] <= high)
    lp.Minimize(sum(late.values()) + worst)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return {i: round(v.solution_value(), 6) for i, v in start.items()}


def keep_in_sync(instance: Instance, routes: list[list[int]]) -> tuple[list[list[int]], dict[int, float]]:
    """Take out of ``routes`` the second visit of every pair they cannot keep in sync (both on one
    route, or a cycle of waits between routes), and of every pair missing its first visit; return
    the routes left and their schedule."""
    routed = {i for route in routes for i in route}
    out = {j for i, j, _, _ in instance.syncs if i not in routed}
    routes = [[i for i in route if i not in out] for route in routes]
    starts = retime(instance, routes)
    if starts is not None:
        return routes, starts
    kept = []
    for pair in instance.syncs:
        trial = [[i for i in route if i not in out] for route in routes]
        if pair[1] not in out and retime(instance, trial, kept + [pair]) is None:
            out.add(pair[1])
        else:
            kept.append(pair)
    routes = [[i for i in route if i not in out] for route in routes]
    return routes, retime(instance, routes)


def relaxed(problem: RoutingProblem) -> RoutingProblem:
    """No syncs and due times hard: a plain VRPTW with optional visits, which OR-Tools' insertion
    heuristics handle well (with soft due times they build very late first routes)."""
    close = np.maximum(problem.soft_close, problem.open)
    close[0] = problem.close[0]
    return replace(problem, syncs=[], close=close)


def pinned(problem: RoutingProblem, instance: Instance, starts: dict[int, float]) -> RoutingProblem:
    """Syncs replaced by fixed start windows: the first visit of a pair starts exactly at its time
    in ``starts`` (its window opening if unrouted), the second within the pair's gap after it. The
    search then sees every constraint natively, and any solution keeps every pair in sync."""
    open_, close = problem.open.copy(), problem.close.copy()
    for i, j, low, high in instance.syncs:
        first = int(round(starts[i] * SCALE)) if i in starts else int(open_[i + 1])
        open_[i + 1] = close[i + 1] = first
        open_[j + 1], close[j + 1] = first + int(round(low * SCALE)), first + int(round(high * SCALE))
    return replace(problem, syncs=[], open=open_, close=close)


def solve_instance(instance: Instance, time_limit: float) -> tuple[dict, float, list[str]]:
    """Solve in three stages and return (iolab solution JSON, seconds, solver statuses).

    OR-Tools checks syncs only by constraint propagation after its move filters, so searching the
    full model from scratch stalls on synchronised instances (costs several times the published
    ones from 50 patients up). Instead: (1) a VRPTW without syncs, due times hard, gives routes;
    (2) an LP schedules them with the syncs (visits that cannot be kept in sync are taken out),
    and those start times pin each pair, so the second search is a VRPTW with soft due times the
    filters price exactly; (3) the full model, started from that solution, moves the pins.
    """
    began = time.perf_counter()
    problem = to_problem(instance)
    statuses, routes = [], None
    stages = [(relaxed(problem), 0.2), (replace(problem, syncs=[]), 0.2), (None, 0.3), (problem, 0.3)]
    for model, share in stages:
        if model is None:
            tasks, starts = keep_in_sync(instance, [[n - 1 for n in r] for r in routes])
            routes = [[i + 1 for i in route] for route in tasks]
            model = pinned(problem, instance, starts)
        solution = solve(model, SearchSettings(time_limit=time_limit * share), initial=routes)
        statuses.append(solution.status)
        routes = solution.routes
    tasks = [[node - 1 for node in route] for route in routes]
    starts = retime(instance, tasks) or {node - 1: t / SCALE for node, t in solution.starts.items() if node > 0}
    out = {"routes": [
        {"caregiver_id": c["id"], "locations": [
            {"patient": instance.tasks[i].patient, "service": instance.tasks[i].service,
             "arrival_time": round(starts[i], 3), "departure_time": round(starts[i] + instance.tasks[i].duration, 3)}
            for i in route]}
        for c, route in zip(instance.caregivers, tasks)]}
    return out, time.perf_counter() - began, statuses


@dataclass
class Evaluation:
    distance: float = 0.0
    total_tardiness: float = 0.0
    max_tardiness: float = 0.0
    last_return: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def cost(self) -> float:
        return (self.distance + self.total_tardiness + self.max_tardiness) / 3

    @property
    def feasible(self) -> bool:
        return not self.errors


def evaluate(data: dict, solution: dict) -> Evaluation:
    """Check a solution against the raw instance JSON and compute Mankowska's cost.

    Reads only the instance dict, never the solver's model. Start times are the reported
    ``arrival_time`` values (they carry deliberate waits for synchronised partners); each is checked
    against the arrival recomputed along the route (office at time 0, leave at start + duration,
    travel = distance) and the window opening. Every required (patient, service) must be done once,
    by a caregiver with that ability; synchronised starts must agree within SYNC_TOLERANCE.
    """
    ev = Evaluation()
    dist = data["distances"]
    defaults = {s["id"]: s["default_duration"] for s in data.get("services", [])}
    patients = {p["id"]: (row, p) for row, p in enumerate(data["patients"], start=1)}
    abilities = {c["id"]: set(c["abilities"]) for c in data["caregivers"]}
    required = {(p["id"], need["service"]): need.get("duration", defaults.get(need["service"]))
                for p in data["patients"] for need in p["required_caregivers"]}
    started: dict[tuple[str, str], float] = {}
    for route in solution["routes"]:
        carer = route["caregiver_id"]
        if carer not in abilities:
            ev.errors.append(f"unknown caregiver {carer}")
            continue
        here, clock = 0, 0.0
        for stop in route.get("locations", []):
            key = (stop.get("patient", stop.get("patient_id")), stop.get("service", stop.get("service_id")))
            if key not in required:
                ev.errors.append(f"{carer}: {key} is not a required (patient, service)")
                continue
            if key in started:
                ev.errors.append(f"{key} done more than once")
            if key[1] not in abilities[carer]:
                ev.errors.append(f"{carer} lacks {key[1]} for {key[0]}")
            row, patient = patients[key[0]]
            a, b = patient["time_window"]
            arrival = clock + dist[here][row]
            start = float(stop["arrival_time"])
            if start < max(arrival, a) - EPS:
                ev.errors.append(f"{carer}: {key} starts at {start:g}, before it can ({max(arrival, a):g})")
            started[key] = start
            ev.distance += dist[here][row]
            lateness = max(0.0, start - b)
            ev.total_tardiness += lateness
            ev.max_tardiness = max(ev.max_tardiness, lateness)
            here, clock = row, start + required[key]
        ev.distance += dist[here][0]
        ev.last_return = max(ev.last_return, clock + dist[here][0])
    ev.errors += [f"{key} not done" for key in required if key not in started]
    for p in data["patients"]:
        needs = p["required_caregivers"]
        if len(needs) != 2 or any((p["id"], n["service"]) not in started for n in needs):
            continue
        sync = p.get("synchronization") or {"type": "simultaneous"}
        low, high = (0, 0) if sync["type"] == "simultaneous" else sync["distance"]
        lag = started[(p["id"], needs[1]["service"])] - started[(p["id"], needs[0]["service"])]
        if not low - SYNC_TOLERANCE <= lag <= high + SYNC_TOLERANCE:
            ev.errors.append(f"{p['id']}: second service starts {lag:g} after the first, not {low}–{high}")
    return ev


def published(instance: Instance) -> tuple[Path | None, float | None]:
    """The MNSA solution file and the cost in its family's *_best.md table (None where absent)."""
    if not instance.family:
        return DATA / "solutions" / f"sol_{instance.name}_optimal.json", None
    files = sorted((DATA / "solutions" / instance.family).glob(f"sol-{instance.name}-*.json"))
    table = (DATA / "solutions" / f"{instance.family}_best.md").read_text()
    row = re.search(rf"^\|\s*{re.escape(instance.name)}\.json\s*\|([^\n]*)$", table, re.M | re.I)
    cost = float(row.group(1).split("|")[3]) if row else None
    return (files[0] if files else None), cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", nargs="+", default=None, help="names (default: every copied instance)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--out", type=Path, default=None, help="folder for the solution JSON files")
    args = parser.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print("| instance | patients | caregivers | distance | total tard. | max tard. | cost | published "
          "| gap % | feasible | published file | seconds |")
    print("|:--|--:|--:|--:|--:|--:|--:|--:|--:|:--|:--|--:|")
    gaps, feasible = [], 0
    names = args.instances or all_instances()
    for name in names:
        instance = read_instance(find_instance(name))
        solution, seconds, status = solve_instance(instance, args.time_limit)
        if args.out:
            (args.out / f"sol-{name}.json").write_text(json.dumps(solution, indent=1))
        ours = evaluate(instance.data, solution)
        path, table_cost = published(instance)
        theirs = evaluate(instance.data, json.loads(path.read_text())) if path else None
        reference = table_cost if table_cost is not None else (theirs.cost if theirs else None)
        check = "–" if theirs is None else ("ok" if theirs.feasible and (
            table_cost is None or abs(theirs.cost - table_cost) < 0.01) else "MISMATCH")
        gap = 100 * (ours.cost - reference) / reference if reference else None
        if ours.feasible:
            feasible += 1
            if gap is not None:
                gaps.append(gap)
        mark = "" if table_cost is not None else "*"
        print(f"| {name} | {len(instance.data['patients'])} | {len(instance.caregivers)} | {ours.distance:.3f} "
              f"| {ours.total_tardiness:.3f} | {ours.max_tardiness:.3f} | {ours.cost:.3f} "
              f"| {'' if reference is None else f'{reference:.3f}{mark}'} "
              f"| {'' if gap is None else f'{gap:.1f}'} | {'yes' if ours.feasible else 'NO'} | {check} "
              f"| {seconds:.1f} |")
        for error in ours.errors[:5]:
            print(f"    {name}: {error} (solver status {status})", file=sys.stderr)
    if gaps:
        print(f"\n{feasible}/{len(names)} feasible; mean gap {np.mean(gaps):.1f} % over the feasible ones "
              f"(* = no table entry, the published solution file's cost as evaluated here)")
    return 0 if feasible == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
