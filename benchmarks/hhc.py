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
from ortools.linear_solver import pywraplp

from carerota.routing import RoutingProblem, SearchSettings, Solution, Sync, Vehicle, solve

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks" / "hhc" / "iolab_hhcrsp"
SCALE = 1000
EPS = 1e-6  # float noise in the JSON (e.g. a window opening of 433.99999999999994)
SYNC_TOLERANCE = 1.0  # minutes: how far apart two synchronised starts may be, as in the brief
DAY_END_FACTOR = 2  # no end of day in the JSON; every published solution is back well before 2 × the latest due
DROP_PENALTY = 10**12  # a visit left undone outweighs any route; lets insertion place syncs one by one
PIN_ROUNDS = 3


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
    """One task per (patient, required service); a patient with two gets a sync (simultaneous
    unless the file says sequential)."""
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
    route, or a cycle of waits between routes); return the routes left and their schedule."""
    starts = retime(instance, routes)
    if starts is not None:
        return routes, starts
    out, kept = set(), []
    for pair in instance.syncs:
        trial = [[i for i in route if i not in out] for route in routes]
        if retime(instance, trial, kept + [pair]) is None:
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


def pinned(problem: RoutingProblem, instance: Instance, pins: dict[int, float]) -> RoutingProblem:
    """Each pair in ``pins`` (first task → its start) gets fixed windows instead of its Sync: the
    first visit starts exactly then, the second within the pair's gap after it. The search prices
    those natively and any solution keeps the pair in sync; pairs not pinned keep their Sync."""
    open_, close = problem.open.copy(), problem.close.copy()
    for i, j, low, high in instance.syncs:
        if i in pins:
            t = int(round(pins[i] * SCALE))
            open_[i + 1] = close[i + 1] = t
            open_[j + 1], close[j + 1] = t + int(round(low * SCALE)), t + int(round(high * SCALE))
    syncs = [Sync(i + 1, j + 1, int(round(low * SCALE)), int(round(high * SCALE)))
             for i, j, low, high in instance.syncs if i not in pins]
    return replace(problem, syncs=syncs, open=open_, close=close)


def meeting_times(instance: Instance, starts: dict[int, int]) -> dict[int, float]:
    """Pins from a schedule that ignored syncs (node → scaled start): each pair meets at the later
    of its two times, so neither visit is asked to start earlier than it could."""
    return {i: max(starts[i + 1], starts[j + 1] - high * SCALE) / SCALE
            for i, j, _, high in instance.syncs if i + 1 in starts and j + 1 in starts}


def to_json(instance: Instance, routes: list[list[int]], starts: dict[int, float]) -> dict:
    """Routes of tasks with start times, in the iolab solution format."""
    return {"routes": [
        {"caregiver_id": c["id"], "locations": [
            {"patient": instance.tasks[i].patient, "service": instance.tasks[i].service,
             "arrival_time": round(starts[i], 3), "departure_time": round(starts[i] + instance.tasks[i].duration, 3)}
            for i in route]}
        for c, route in zip(instance.caregivers, routes, strict=True)]}


@dataclass
class Schedule:
    """Routes of tasks kept in sync, their LP schedule, and how they evaluate."""

    tasks: list[list[int]]
    starts: dict[int, float]
    solution: dict
    evaluation: Evaluation

    @property
    def nodes(self) -> list[list[int]]:
        return [[i + 1 for i in route] for route in self.tasks]

    def promise(self, instance: Instance) -> float:
        """Cost with each problem priced at a day's work, since a later stage may place a missing visit."""
        return self.evaluation.cost + len(self.evaluation.errors) * day_end(instance)


def schedule(instance: Instance, routes: list[list[int]]) -> Schedule:
    tasks, starts = keep_in_sync(instance, [[n - 1 for n in r] for r in routes])
    solution = to_json(instance, tasks, starts)
    return Schedule(tasks, starts, solution, evaluate(instance.data, solution))


def solve_instance(instance: Instance, time_limit: float) -> tuple[dict, float, list[str]]:
    """Solve within about ``time_limit`` seconds; return (iolab solution JSON, seconds, statuses).

    OR-Tools checks a Sync only by propagation after its move filters have priced a move without
    it: built from scratch, the full model gets very late first routes, and the search misprices
    every move of a synchronised visit (several times the published costs from 50 patients up).
    So the pairs are mostly pinned to times, which turns their syncs into time windows that the
    filters price exactly:
    (1) a VRPTW without syncs, due times hard (insertion builds good routes only with hard
        windows), then with due times soft to place what it left out, times every visit;
    (2) each pair is pinned where its two visits meet, and that VRPTW is built from scratch twice:
        with every other visit no later than in (1), and with due times soft; the better is kept;
    (3) the LP schedules its routes with the syncs, the pairs are re-pinned there and the search
        goes on, until the routes stop changing;
    (4) the full model, started there, may move the pins.
    The best schedule found, fewest problems first, is returned.
    """
    began = time.perf_counter()
    problem = to_problem(instance)
    statuses = []

    def search(model: RoutingProblem, share: float, routes=None) -> Solution:
        solution = solve(model, SearchSettings(time_limit=time_limit * share), initial=routes)
        statuses.append(solution.status)
        return solution

    timed = search(relaxed(problem), 0.1)
    timed = search(replace(problem, syncs=[]), 0.1, timed.routes)
    capped = relaxed(problem)
    for node, start in timed.starts.items():
        if node > 0:
            capped.close[node] = max(capped.close[node], start)
    pins = meeting_times(instance, timed.starts)
    current = min((schedule(instance, search(pinned(model, instance, pins), 0.15).routes)
                   for model in (capped, problem)), key=lambda s: s.promise(instance))
    found = [current]
    for _ in range(PIN_ROUNDS):
        pins = {i: current.starts[i] for i, j, _, _ in instance.syncs if i in current.starts and j in current.starts}
        found.append(schedule(instance, search(pinned(problem, instance, pins), 0.1, current.nodes).routes))
        if found[-1].tasks == current.tasks:
            break
        current = found[-1]
    remaining = time_limit - (time.perf_counter() - began)
    if remaining > 0:
        found.append(schedule(instance, search(problem, remaining / time_limit, current.nodes).routes))
    best = min(found, key=lambda s: (len(s.evaluation.errors), s.evaluation.cost))
    return best.solution, time.perf_counter() - began, statuses


def solve_direct(instance: Instance, time_limit: float) -> tuple[dict, float, list[str]]:
    """The baseline: one search of the full model, as the planner would run it. First solution by
    LOCAL_CHEAPEST_INSERTION, the only strategy that placed every visit on each synchronised
    instance tried (parallel cheapest insertion, path cheapest arc and ALL_UNPERFORMED left visits
    out from 50 patients up; see hhc_results.md)."""
    began = time.perf_counter()
    solution = solve(to_problem(instance), SearchSettings(time_limit=time_limit,
                                                          first_solution="LOCAL_CHEAPEST_INSERTION"))
    return schedule(instance, solution.routes).solution, time.perf_counter() - began, [solution.status]


@dataclass
class Evaluation:
    distance: float = 0.0
    total_tardiness: float = 0.0
    max_tardiness: float = 0.0
    errors: list[str] = field(default_factory=list)
    one_carer: list[str] = field(default_factory=list)  # patients whose two services one caregiver did

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
    by a caregiver with that ability; synchronised starts must agree within SYNC_TOLERANCE. One
    caregiver doing both services of a patient is listed, not rejected: the format does not say
    whether two are required (the published solutions never do it).
    """
    ev = Evaluation()
    dist = data["distances"]
    defaults = {s["id"]: s["default_duration"] for s in data.get("services", [])}
    patients = {p["id"]: (row, p) for row, p in enumerate(data["patients"], start=1)}
    abilities = {c["id"]: set(c["abilities"]) for c in data["caregivers"]}
    required = {(p["id"], need["service"]): need.get("duration", defaults.get(need["service"]))
                for p in data["patients"] for need in p["required_caregivers"]}
    started: dict[tuple[str, str], float] = {}
    carer_of: dict[tuple[str, str], str] = {}
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
            started[key], carer_of[key] = start, carer
            ev.distance += dist[here][row]
            lateness = max(0.0, start - b)
            ev.total_tardiness += lateness
            ev.max_tardiness = max(ev.max_tardiness, lateness)
            here, clock = row, start + required[key]
        ev.distance += dist[here][0]
    ev.errors += [f"{key} not done" for key in required if key not in started]
    for p in data["patients"]:
        needs = p["required_caregivers"]
        if len(needs) != 2 or any((p["id"], n["service"]) not in started for n in needs):
            continue
        sync = p.get("synchronization") or {"type": "simultaneous"}
        low, high = (0, 0) if sync["type"] == "simultaneous" else sync["distance"]
        first, second = ((p["id"], n["service"]) for n in needs)
        if carer_of[first] == carer_of[second]:
            ev.one_carer.append(p["id"])
        lag = started[second] - started[first]
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
    parser.add_argument("--direct", action="store_true", help="one search of the full model (the baseline)")
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
        solution, seconds, status = (solve_direct if args.direct else solve_instance)(instance, args.time_limit)
        if args.out:
            (args.out / f"sol-{name}.json").write_text(json.dumps(solution, indent=1))
        ours = evaluate(instance.data, solution)
        path, table_cost = published(instance)
        theirs = evaluate(instance.data, json.loads(path.read_text())) if path else None
        reference = table_cost if table_cost is not None else (theirs.cost if theirs else None)
        check = "–" if theirs is None else ("ok" if theirs.feasible and (
            table_cost is None or abs(theirs.cost - table_cost) < 0.01) else "MISMATCH")
        gap = round(100 * (ours.cost - reference) / reference, 1) + 0.0 if reference else None
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
        if ours.one_carer:
            print(f"    {name}: one caregiver did both services of {', '.join(ours.one_carer)}", file=sys.stderr)
    if gaps:
        print(f"\n{feasible}/{len(names)} feasible; mean gap {np.mean(gaps):.1f} % over the feasible ones "
              f"(* = no table entry, the published solution file's cost as evaluated here)")
    return 0 if feasible == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
