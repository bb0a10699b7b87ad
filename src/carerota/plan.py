"""Planning: the rota the same visits could have, with least travel, the named team kept and
travel paid, and what that costs compared with the rota as it is.

Each day is one routing problem (``carerota.routing``): a visit keeps its client, day and length
and may start anywhere in its window; a worker's shifts are vehicles; a visit given to someone
outside the client's named team costs ``continuity_weight`` minutes of travel; a visit left undone
costs far more than any route could save, so one is dropped only when no shift can take it, and
it is reported. The before/after figures come from running the audit's own working-time and
continuity code on both rotas, with the same teams, so the two columns are comparable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from carerota import rates
from carerota.audit import AuditSettings, audit, locate
from carerota.checks.continuity import ContinuityPolicy, client_continuity
from carerota.load import LOCAL_TZ, WEEKDAYS, Rota, availability
from carerota.processes import in_processes
from carerota.pay import age_and_london
from carerota.routing import RoutingProblem, SearchSettings, Solution, Sync, Vehicle, solve
from carerota.travel import distance_km, leg_minutes
from carerota.worktime import seconds, visit_times, working_time

PAY_MODELS = {
    "floor": "hourly at the wage floor for contact, travel and paid waiting time",
    "contact": "hourly at the wage floor for contact time only (travel unpaid)",
    "keep": "each visit keeps the pay columns it had",
}
DROP_PENALTY_S = 10**7  # a visit left undone outweighs any travel a route could save


@dataclass(frozen=True)
class PlanSettings:
    flex: float = 30.0  # minutes either side of the planned start, where no window is given
    fix_short: bool = False
    continuity_weight: float = 15.0  # minutes of travel one visit outside the named team is worth
    max_hours: float | None = None  # contact plus travel per worker per day
    time_limit: float = 10.0  # seconds per day
    solution_limit: int | None = None
    seed: int = 0
    jobs: int = 0  # processes; 0 means one per core
    pay_model: str = "floor"

    def __post_init__(self):
        if self.pay_model not in PAY_MODELS:
            raise ValueError(f"expected --pay-model {' or '.join(PAY_MODELS)}, got {self.pay_model!r}")
        if self.flex < 0 or self.continuity_weight < 0 or self.time_limit <= 0:
            raise ValueError("expected --flex and --continuity-weight of 0 or more and a positive --time-limit")
        if self.max_hours is not None and self.max_hours <= 0:
            raise ValueError(f"expected a positive --max-hours, got {self.max_hours:g}")


@dataclass
class DayProblem:
    """One day's routing problem and how its nodes and vehicles map back to the rota."""

    day: str
    problem: RoutingProblem
    origin: int  # epoch seconds of time 0
    visit_rows: np.ndarray  # rota position of each visit node (nodes 0..n-1)
    vehicle_workers: list[str]
    initial: list[list[int]]  # the rota as it is, trimmed to what is feasible: the search's start


@dataclass
class PlanResult:
    planned: pd.DataFrame  # the planned rota, canonical columns, one row per worker-visit
    unassigned: pd.DataFrame  # visits no shift could take
    comparison: pd.DataFrame  # metric, before, after
    days: pd.DataFrame  # per day: visits, shifts, unassigned, travel minutes, solver status, seconds
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if len(self.unassigned) else 0


# --- teams, shifts and windows ---------------------------------------------------------------------

def client_teams(visits: pd.DataFrame, clients: pd.DataFrame | None, team_size: int) -> dict[str, set[str]]:
    """Each client's named team, or the team the audit infers from the rota as it is."""
    table = client_continuity(visits, clients, ContinuityPolicy(team_size=team_size))
    return {str(c): set(map(str, team)) for c, team in zip(table["client_id"], table["named_team"])}


def rota_shifts(v: pd.DataFrame, split_gap_s: float) -> pd.DataFrame:
    """A worker's shifts as the rota has them: runs of visits on one day with no gap longer than
    the split-shift gap, from the first start to the last end."""
    v = v.sort_values(["worker_id", "vstart"], kind="stable")
    start, end = seconds(v["vstart"]), seconds(v["vend"])
    worker = v["worker_id"].to_numpy()
    day = v["day"].to_numpy()
    running_end = pd.Series(end).groupby(worker).cummax().to_numpy()
    new = np.ones(len(v), bool)
    new[1:] = (worker[1:] != worker[:-1]) | (day[1:] != day[:-1]) | (start[1:] - running_end[:-1] > split_gap_s)
    shift = np.cumsum(new)
    frame = pd.DataFrame({"worker_id": worker, "day": day, "shift": shift, "open": start, "close": end})
    return frame.groupby("shift").agg(worker_id=("worker_id", "first"), day=("day", "first"),
                                      open=("open", "min"), close=("close", "max")).reset_index(drop=True)


def local_epoch(day: pd.Timestamp, minute: int) -> int:
    """Epoch seconds of a local wall-clock minute of a day (DST-safe)."""
    when = pd.Timestamp(day) + pd.Timedelta(minutes=minute)
    return int(when.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward").timestamp())


def declared_shifts(workers: pd.DataFrame | None, days: list[pd.Timestamp]) -> pd.DataFrame:
    """Shifts from workers.csv ``availability`` for the days being planned."""
    rows = []
    if workers is None or "availability" not in workers:
        return pd.DataFrame(columns=["worker_id", "day", "open", "close"])
    for worker_id, text in workers["availability"].items():
        for label, start, end in availability(text) or []:
            for day in days:
                if label in ("daily", WEEKDAYS[day.day_of_week], day.date().isoformat()):
                    rows.append((str(worker_id), day, local_epoch(day, start), local_epoch(day, end)))
    return pd.DataFrame(rows, columns=["worker_id", "day", "open", "close"])


def windows(v: pd.DataFrame, flex_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Earliest and latest start of each visit: its window, else the planned start ± flex."""
    start = seconds(v["start"])
    given = v["window_start"].notna().to_numpy()
    ws = np.where(given, seconds(v["window_start"]), start - flex_s)
    we = np.where(given, seconds(v["window_end"]), start + flex_s)
    return ws.astype(np.int64), we.astype(np.int64)


def double_ups(v: pd.DataFrame) -> np.ndarray:
    """Group number of each visit: visits of one client starting together share a group."""
    return v.groupby(["client_id", "start"], sort=False).ngroup().to_numpy()


# --- travel ----------------------------------------------------------------------------------------

def client_matrix(clients: pd.DataFrame, mode: str, settings: AuditSettings, source: str) -> np.ndarray:
    """Seconds between every pair of the day's client homes, by the audit's travel model."""
    n = len(clients)
    a, b = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    legs = pd.DataFrame({
        "row": clients["row"].to_numpy()[b],
        "from_client": clients["client_id"].to_numpy()[a], "to_client": clients["client_id"].to_numpy()[b],
        "from_lat": clients["lat"].to_numpy()[a], "from_lon": clients["lon"].to_numpy()[a],
        "to_lat": clients["lat"].to_numpy()[b], "to_lon": clients["lon"].to_numpy()[b], "mode": mode,
    })
    minutes, _ = leg_minutes(legs, settings.travel, source)
    return np.round(minutes * 60).astype(np.int64).reshape(n, n)


def home_seconds(home: tuple[float, float], clients: pd.DataFrame, mode: str, settings: AuditSettings) -> np.ndarray:
    """Estimated seconds from a worker's home to each client (0 where the client has no location)."""
    km = distance_km(np.full(len(clients), home[0]), np.full(len(clients), home[1]),
                     clients["lat"].to_numpy(), clients["lon"].to_numpy())
    minutes = km * settings.travel.circuity[mode] / settings.travel.speed_kmh[mode] * 60
    return np.nan_to_num(np.round(minutes * 60), nan=0).astype(np.int64)


# --- building and solving --------------------------------------------------------------------------

def day_problem(day: pd.Timestamp, v: pd.DataFrame, shifts: pd.DataFrame, workers: pd.DataFrame | None,
                teams: dict[str, set[str]], plan: PlanSettings, settings: AuditSettings, source: str) -> DayProblem:
    """The routing problem of one day's visits and shifts."""
    n = len(v)
    origin = int(min(v["open_s"].min(), shifts["open"].min()))
    modes_of = (workers["travel_mode"].dropna() if workers is not None else pd.Series(dtype=object))
    homes = {}
    if workers is not None and {"home_lat", "home_lon"} <= set(workers.columns):
        located = workers.dropna(subset=["home_lat", "home_lon"])
        homes = {str(w): (float(r.home_lat), float(r.home_lon)) for w, r in located.iterrows()}

    worker_ids = shifts["worker_id"].astype(str).tolist()
    with_home = sorted({w for w in worker_ids if w in homes})
    home_node = {w: n + i for i, w in enumerate(with_home)}
    # Nodes: the visits, the workers' homes, then "anywhere" (no travel to or from it) for
    # workers whose home is unknown, only if there are any: an unused node would be a visit.
    anywhere = n + len(with_home)
    size = anywhere + (len(with_home) < len(set(worker_ids)))

    client_codes, client_names = pd.factorize(v["client_id"])
    homes_of_clients = v.groupby(client_codes)[["lat", "lon", "row"]].first()
    homes_of_clients["client_id"] = client_names
    vehicle_modes = [str(modes_of.get(w, settings.travel.default_mode)) for w in worker_ids]
    mode_names = sorted(set(vehicle_modes))
    matrices = []
    for mode in mode_names:
        cm = client_matrix(homes_of_clients.reset_index(drop=True), mode, settings, source)
        m = np.zeros((size, size), dtype=np.int64)
        m[:n, :n] = cm[np.ix_(client_codes, client_codes)]
        for w, node in home_node.items():
            to_client = home_seconds(homes[w], homes_of_clients, mode, settings)[client_codes]
            m[node, :n] = to_client
            m[:n, node] = to_client
        matrices.append(m)

    service = np.zeros(size, dtype=np.int64)
    service[:n] = v["length_s"].to_numpy()
    open_, close = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    open_[:n] = v["open_s"].to_numpy() - origin
    close[:n] = v["close_s"].to_numpy() - origin

    vehicles, allowed = [], {}
    for k, s in enumerate(shifts.itertuples(index=False)):
        node = home_node.get(str(s.worker_id), anywhere)
        vehicles.append(Vehicle(start=node, end=node, open=int(s.open - origin), close=int(s.close - origin),
                                matrix=mode_names.index(vehicle_modes[k]), timed_home=False,
                                max_work=None if plan.max_hours is None else int(plan.max_hours * 3600)))
    skills = {}
    if workers is not None and "skills" in workers:
        skills = {str(w): {x.strip().lower() for x in str(t).split(";") if x.strip()}
                  for w, t in workers["skills"].items()}
    needed = v["required_skill"].astype(str).str.strip().str.lower().to_numpy()
    for i in np.flatnonzero(needed != ""):
        allowed[int(i)] = [k for k, w in enumerate(worker_ids) if needed[i] in skills.get(w, set())]

    penalty = None
    if plan.continuity_weight > 0:
        outside = np.array([[w not in teams.get(c, set()) for w in worker_ids] for c in client_names])
        penalty = np.zeros((size, len(vehicles)), dtype=np.int64)
        penalty[:n] = outside[client_codes] * int(round(plan.continuity_weight * 60))

    syncs = []
    group = v["group"].to_numpy()
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        syncs.extend(Sync(int(members[0]), int(m)) for m in members[1:])

    target = np.zeros(size, dtype=np.int64)
    target[:n] = np.clip(seconds(v["start"]) - origin, open_[:n], close[:n])
    problem = RoutingProblem(
        travel=matrices, service=service, open=open_, close=close, vehicles=vehicles,
        allowed=allowed, penalty=penalty, syncs=syncs, drop_penalty=DROP_PENALTY_S,
        work_limits=worker_day_limits(worker_ids, plan), target=target,
    )
    initial = current_routes(v, worker_ids, problem, origin)
    return DayProblem(day.date().isoformat(), problem, origin, v["pos"].to_numpy(), worker_ids, initial)


def current_routes(v: pd.DataFrame, worker_ids: list[str], problem: RoutingProblem, origin: int) -> list[list[int]]:
    """Each shift's visits as the rota has them, keeping only those reachable by their planned
    start (so double-ups stay together); a visit dropped here may still be placed by the search."""
    planned = problem.target[: len(v)]
    worker = v["worker_id"].astype(str).to_numpy()
    routes, kept = [], np.zeros(len(v), bool)
    for k, vehicle in enumerate(problem.vehicles):
        travel = problem.travel[vehicle.matrix]
        mine = np.flatnonzero((worker == worker_ids[k]) & (planned >= vehicle.open)
                              & (planned + problem.service[: len(v)] <= vehicle.close) & ~kept)
        route, free_at, last, work = [], vehicle.open, None, 0
        for node in mine[np.argsort(planned[mine], kind="stable")]:
            leg = 0 if last is None else int(travel[last, node])
            work_after = work + leg + int(problem.service[node])
            if free_at + leg > planned[node] or (vehicle.max_work is not None and work_after > vehicle.max_work):
                continue
            route.append(int(node))
            free_at, last, work = planned[node] + int(problem.service[node]), node, work_after
        kept[route] = True
        routes.append(route)
    for s in problem.syncs:  # both of a double-up, or neither
        if kept[s.first] != kept[s.second]:
            kept[s.first] = kept[s.second] = False
    return [[n for n in route if kept[n]] for route in routes]


def worker_day_limits(worker_ids: list[str], plan: PlanSettings) -> list[tuple[list[int], int]]:
    """``--max-hours`` binds a worker's shifts of one day together."""
    if plan.max_hours is None:
        return []
    by_worker: dict[str, list[int]] = {}
    for k, w in enumerate(worker_ids):
        by_worker.setdefault(w, []).append(k)
    return [(ks, int(plan.max_hours * 3600)) for ks in by_worker.values() if len(ks) > 1]


def solve_day(job: tuple[DayProblem, SearchSettings]) -> tuple[DayProblem, Solution]:
    day, search = job
    return day, solve(day.problem, search, initial=day.initial)


def solve_days(days: list[DayProblem], search: SearchSettings, jobs: int,
               progress: Callable[[str], None] | None = None) -> list[tuple[DayProblem, Solution]]:
    """Solve the days, in parallel processes when there is more than one day and one core."""
    workers = min(jobs or os.cpu_count() or 1, len(days))
    results = []
    if workers <= 1:
        for day in days:
            results.append(solve_day((day, search)))
            if progress:
                progress(day.day)
        return results
    for _, result in in_processes(solve_day, [(day, search) for day in days], workers):
        results.append(result)
        if progress:
            progress(result[0].day)
    return sorted(results, key=lambda r: r[0].day)


# --- the plan --------------------------------------------------------------------------------------

def prepare(rota: Rota, clients: pd.DataFrame | None, workers: pd.DataFrame | None, plan: PlanSettings,
            settings: AuditSettings) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The visits with windows, lengths and double-up groups, and the shifts to fill."""
    notes = []
    v = visit_times(locate(rota.visits, clients), use_actual=False)
    v["pos"] = np.arange(len(v))
    v["open_s"], v["close_s"] = windows(v, plan.flex * 60)
    length = v["duration_s"].to_numpy()
    if plan.fix_short:
        minimum = settings.visit_policy.min_visit * 60
        short = (length < minimum) & ~v["agreed_short"].astype(bool).to_numpy()
        if short.any():
            notes.append(f"{int(short.sum())} visit(s) under {settings.visit_policy.min_visit:g} minutes "
                         "lengthened to the minimum (--fix-short); agreed short visits kept as they are.")
        length = np.where(short, minimum, length)
    v["length_s"] = length.astype(np.int64)
    v["group"] = double_ups(v)
    if workers is not None and workers[["home_lat", "home_lon"]].notna().all(axis=1).any():
        unplaced = v.loc[v[["lat", "lon"]].isna().any(axis=1), "client_id"].nunique()
        if unplaced:
            notes.append(f"{unplaced} client(s) have no location: travel between a worker's home and them "
                         "cannot be estimated and is taken as 0 in the plan (it is never working time).")

    days = sorted(v["day"].unique())
    shifts = rota_shifts(v, settings.rules.split_gap * 60)
    shifts["open"] -= int(plan.flex * 60)  # a shift may move as far as the visits in it
    shifts["close"] += int(plan.flex * 60)
    declared = declared_shifts(workers, [pd.Timestamp(d) for d in days])
    if len(declared):
        shifts = pd.concat([shifts[~shifts["worker_id"].isin(declared["worker_id"])], declared],
                           ignore_index=True)
        notes.append(f"Shifts of {declared['worker_id'].nunique()} worker(s) taken from their availability "
                     "in the workers file; the others' from the span of their shifts in the rota.")
    return v, shifts.sort_values(["day", "worker_id", "open"], kind="stable").reset_index(drop=True), notes


def plan_rota(rota: Rota, *, clients: pd.DataFrame | None = None, workers: pd.DataFrame | None = None,
              plan: PlanSettings = PlanSettings(), settings: AuditSettings = AuditSettings(),
              progress: Callable[[str], None] | None = None) -> PlanResult:
    v, shifts, notes = prepare(rota, clients, workers, plan, settings)
    teams = client_teams(v, clients, settings.continuity.team_size)
    rng = np.random.default_rng(plan.seed) if plan.seed else None
    problems, idle = [], []
    for day in sorted(v["day"].unique()):
        day = pd.Timestamp(day)
        todays = v[v["day"] == day]
        if rng is not None:
            todays = todays.iloc[rng.permutation(len(todays))]
        todays_shifts = shifts[shifts["day"] == day]
        if todays_shifts.empty:
            notes.append(f"No worker is available on {day.date()}: its {len(todays)} visit(s) are unassigned.")
            idle.append({"day": day.date().isoformat(), "visits": len(todays), "shifts": 0,
                         "unassigned": len(todays), "status": "no shifts", "seconds": 0.0})
            continue
        problems.append(day_problem(day, todays.reset_index(drop=True), todays_shifts, workers, teams,
                                    plan, settings, rota.name))
    search = SearchSettings(time_limit=plan.time_limit, solution_limit=plan.solution_limit)
    solved = solve_days(problems, search, plan.jobs, progress)

    worker_of = np.full(len(v), None, dtype=object)
    start_of = np.zeros(len(v), dtype=np.int64)
    day_rows = list(idle)
    for day, solution in solved:
        for k, route in enumerate(solution.routes):
            for node in route:
                pos = day.visit_rows[node]
                worker_of[pos] = day.vehicle_workers[k]
                start_of[pos] = day.origin + solution.starts[node]
        day_rows.append({"day": day.day, "visits": len(day.visit_rows), "shifts": len(day.vehicle_workers),
                         "unassigned": len(solution.dropped), "status": solution.status,
                         "seconds": round(solution.seconds, 2)})
    if progress:
        for row in idle:
            progress(row["day"])
    done = worker_of != None  # noqa: E711 (elementwise on an object array)
    planned = planned_rota(v[done], worker_of[done], start_of[done], workers, plan, settings, rota.name)
    unassigned = v.loc[~done, ["visit_id", "worker_id", "client_id", "start", "end", "row"]].reset_index(drop=True)
    if len(unassigned):
        notes.append(f"{len(unassigned)} visit(s) could not be given to any shift within their windows: "
                     "see the unassigned list. Widen --flex or add availability.")
    comparison = compare(rota, planned, clients, workers, teams, len(unassigned), settings)
    days = pd.DataFrame(day_rows, columns=["day", "visits", "shifts", "unassigned", "status", "seconds"])
    return PlanResult(planned, unassigned, comparison, days.sort_values("day").reset_index(drop=True), notes)


def iso_local(epoch_s: np.ndarray) -> pd.Series:
    return (pd.Series(pd.to_datetime(epoch_s, unit="s", utc=True)).dt.tz_convert(LOCAL_TZ)
            .map(lambda t: t.isoformat()))


def planned_rota(v: pd.DataFrame, workers_of: np.ndarray, starts: np.ndarray, workers: pd.DataFrame | None,
                 plan: PlanSettings, settings: AuditSettings, source: str) -> pd.DataFrame:
    """The plan in the rota format (times as local ISO with offset), with pay by the pay model."""
    ends = starts + v["length_s"].to_numpy()
    out = pd.DataFrame({
        "visit_id": v["visit_id"].to_numpy(), "worker_id": workers_of.astype(str), "client_id": v["client_id"].to_numpy(),
        "start": pd.to_datetime(starts, unit="s", utc=True), "end": pd.to_datetime(ends, unit="s", utc=True),
        "window_start": pd.to_datetime(v["open_s"].to_numpy(), unit="s", utc=True),
        "window_end": pd.to_datetime(v["close_s"].to_numpy(), unit="s", utc=True),
        "lat": v["lat"].to_numpy(), "lon": v["lon"].to_numpy(), "visit_type": v["visit_type"].to_numpy(),
        "agreed_short": v["agreed_short"].to_numpy(), "required_skill": v["required_skill"].to_numpy(),
        "row": v["row"].to_numpy(),
    })
    for col in ("visit_pay", "hourly_rate", "travel_pay", "mileage_pay"):
        out[col] = v[col].to_numpy() if plan.pay_model == "keep" else np.nan
    out = out.sort_values(["worker_id", "start", "client_id"], kind="stable").reset_index(drop=True)
    if plan.pay_model != "keep":
        out = pay_at_floor(out, workers, plan, settings, source)
    return out


def unmonitored(planned: pd.DataFrame) -> pd.DataFrame:
    """A planned rota as the loader would give it: no call-monitoring times yet."""
    none = pd.Series(pd.NaT, index=planned.index, dtype="datetime64[us, UTC]")
    return planned.assign(actual_start=none, actual_end=none)


def floor_rate_by_day(v: pd.DataFrame, workers: pd.DataFrame | None, settings: AuditSettings) -> np.ndarray:
    """Each visit's wage floor: the worker's age band on the visit's day (top band if unknown)."""
    day = v["day"].reset_index(drop=True)
    age, london = age_and_london(workers, v["worker_id"].reset_index(drop=True), day)
    return rates.floor_rates(settings.floor, day, age, london)["rate"].to_numpy()


def pay_at_floor(out: pd.DataFrame, workers: pd.DataFrame | None, plan: PlanSettings,
                 settings: AuditSettings, source: str) -> pd.DataFrame:
    """Hourly pay at each worker's floor rate on the visit's date; under ``floor`` each visit's
    ``travel_pay`` also pays the travel and paid waiting before it, worked out by the audit's own
    working-time rules and rounded up to the penny so the total never falls short."""
    v = visit_times(unmonitored(out), use_actual=False)
    modes = workers["travel_mode"].dropna() if workers is not None else pd.Series(dtype=object)
    v, _ = working_time(v, rules=settings.rules, travel=settings.travel, modes=modes, source=source)
    rate = floor_rate_by_day(v, workers, settings)
    v["hourly_rate"] = rate
    if plan.pay_model == "floor":
        owed_p = rate * 100 * (v["travel_s"] + v["waiting_s"]).to_numpy() / 3600
        v["travel_pay"] = np.ceil(np.round(owed_p, 6)) / 100
    return v[out.columns.tolist()].sort_values(["worker_id", "start", "client_id"], kind="stable").reset_index(drop=True)


# --- before and after ------------------------------------------------------------------------------

COMPARISON = [
    ("visits", "Visits", "count"),
    ("contact_hours", "Contact hours", "hours"),
    ("travel_hours", "Travel hours", "hours"),
    ("travel_minutes_per_contact_hour", "Travel minutes per contact hour", "number"),
    ("working_hours", "Working hours", "hours"),
    ("pay_cost_at_floor", "Pay cost at the wage floor", "money"),
    ("median_team_share", "Median continuity share", "share"),
    ("clients_below_continuity", "Clients below the continuity target", "count"),
    ("short_visits", "Visits under the minimum length", "count"),
    ("unassigned_visits", "Unassigned visits", "count"),
]


def cost_at_floor(timeline: pd.DataFrame, workers: pd.DataFrame | None, settings: AuditSettings) -> float:
    """What paying every hour of working time at the floor costs, in £ (exact pence)."""
    rate = floor_rate_by_day(timeline, workers, settings)
    pence = rate * 100 * timeline["working_s"].to_numpy() / 3600
    return float(np.floor(pence.sum() + 0.5)) / 100


def figures(result, workers: pd.DataFrame | None, settings: AuditSettings, unassigned: int) -> dict:
    s = result.summary
    length = (result.timeline["vend"] - result.timeline["vstart"]).dt.total_seconds() / 60
    return {
        "visits": s["visits"], "contact_hours": s["contact_hours"], "travel_hours": s["travel_hours"],
        "travel_minutes_per_contact_hour": s["travel_minutes_per_contact_hour"],
        "working_hours": s["working_hours"],
        "pay_cost_at_floor": cost_at_floor(result.timeline, workers, settings),
        "median_team_share": s["median_team_share"],
        "clients_below_continuity": s["clients_below_continuity"],
        "short_visits": int((length < settings.visit_policy.min_visit).sum()),
        "unassigned_visits": unassigned,
    }


def compare(rota: Rota, planned: pd.DataFrame, clients: pd.DataFrame | None, workers: pd.DataFrame | None,
            teams: dict[str, set[str]], unassigned: int, settings: AuditSettings) -> pd.DataFrame:
    """Audit both rotas against the same teams (named, or inferred from the rota as it is)."""
    fixed_teams = pd.DataFrame({"client_id": list(teams), "named_team": [";".join(sorted(t)) for t in teams.values()]})
    fixed_teams = fixed_teams.set_index("client_id")
    if clients is not None:
        fixed_teams = clients.drop(columns=["named_team"], errors="ignore").join(fixed_teams, how="outer")
    else:
        fixed_teams[["lat", "lon"]] = float("nan")
    s = replace(settings, checks=("visits", "continuity"))
    before = audit(rota, clients=fixed_teams, workers=workers, settings=s)
    after_rota = Rota(rota.name, unmonitored(planned), [], [], False)
    after = audit(after_rota, clients=fixed_teams, workers=workers, settings=s)
    b, a = figures(before, workers, settings, 0), figures(after, workers, settings, unassigned)
    return pd.DataFrame({"metric": [m for m, _, _ in COMPARISON], "label": [lab for _, lab, _ in COMPARISON],
                         "kind": [k for _, _, k in COMPARISON],
                         "before": pd.Series([b[m] for m, _, _ in COMPARISON], dtype=object),
                         "after": pd.Series([a[m] for m, _, _ in COMPARISON], dtype=object)})
