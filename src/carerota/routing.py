"""A plain routing data model and its OR-Tools solver.

The planner and the benchmark readers (Solomon, home-care sets) build a
``RoutingProblem`` of integer arrays and hand it to ``solve``; nothing here
knows about rotas, so the same code is measured against the field's
benchmarks and used on real visits (the PyVRP / OR-Tools samples pattern).
Times are integers in one unit chosen by the caller (seconds for rotas,
tenths for Solomon).
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

UNREACHABLE = 10**9
UNSERVED = 10**9  # cost of leaving out a required visit that is synchronised with another


@dataclass(frozen=True)
class Vehicle:
    """One worker shift (or one benchmark vehicle).

    ``start``/``end`` are node indices; ``open``/``close`` bound the time at
    the start and end nodes. ``timed_home`` says whether the legs from the
    start and to the end node take time in the schedule (a depot's do; a care
    worker's home commute shapes the route by cost but is not working time).
    """

    start: int
    end: int
    open: int = 0
    close: int = UNREACHABLE
    matrix: int = 0
    capacity: int | None = None
    fixed_cost: int = 0
    max_work: int | None = None
    timed_home: bool = True


@dataclass(frozen=True)
class Sync:
    """Visit ``second`` starts between ``low`` and ``high`` after ``first``.

    A double-up is ``low == high == 0``; both visits are done or neither.
    """

    first: int
    second: int
    low: int = 0
    high: int = 0


@dataclass
class RoutingProblem:
    """Visits and vehicles as integer arrays.

    ``travel[m][i, j]`` is the time from node i to node j in travel mode m;
    ``cost[m]`` the arc cost (defaults to ``travel``). Every node that is not
    a vehicle's start or end is a visit: it must start within
    ``[open, close]`` and lasts ``service``. ``penalty[node, vehicle]`` adds a
    cost when that vehicle does that visit (continuity); ``allowed`` restricts
    visits to some vehicles (skills, availability). ``drop_penalty`` lets the
    solver leave a visit undone at that cost (None: every visit is required).
    ``soft_close``/``tardiness_cost`` price lateness past a soft deadline. ``Vehicle.max_work``
    caps service plus travel between visits on one vehicle; ``work_limits`` caps it over a group
    of vehicles (one worker's shifts). ``target`` is each visit's preferred start: of the times
    the routes allow, the schedule keeps each visit as near it as it can (default: earliest).
    """

    travel: list[np.ndarray]
    service: np.ndarray
    open: np.ndarray
    close: np.ndarray
    vehicles: list[Vehicle]
    cost: list[np.ndarray] | None = None
    demand: np.ndarray | None = None
    allowed: dict[int, list[int]] = field(default_factory=dict)
    penalty: np.ndarray | None = None
    syncs: list[Sync] = field(default_factory=list)
    drop_penalty: int | None = None
    soft_close: np.ndarray | None = None
    tardiness_cost: int = 0
    work_limits: list[tuple[list[int], int]] = field(default_factory=list)
    target: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.service)

    def visits(self) -> np.ndarray:
        ends = {v.start for v in self.vehicles} | {v.end for v in self.vehicles}
        return np.array([n for n in range(self.size) if n not in ends], dtype=np.int64)


@dataclass(frozen=True)
class SearchSettings:
    """How hard and how to search; the defaults are the tuned ones (see
    benchmarks/README.md for what was tried)."""

    time_limit: float = 10.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    bandit: bool = True  # let a multi-armed bandit choose among the local-search operators
    iterated: bool = False  # iterated local search with SISR ruin and recreate instead
    ruin_size: int = 10
    insertion_lns: bool = True  # the insertion-heuristic LNS operators (slow; ILS ruins anyway)
    log: bool = False


@dataclass
class Solution:
    """Routes as lists of visit nodes per vehicle, with start times."""

    routes: list[list[int]]
    starts: dict[int, int]
    dropped: list[int]
    objective: int
    seconds: float
    status: str

    def vehicles_used(self) -> int:
        return sum(1 for r in self.routes if r)


def _transit(problem: RoutingProblem, vehicle: Vehicle, home_untimed: bool) -> np.ndarray:
    """Service at the origin plus travel; legs from the start and to the end node take no time
    when they are a commute rather than work."""
    t = problem.travel[vehicle.matrix].astype(np.int64) + problem.service.astype(np.int64)[:, None]
    if home_untimed:
        t[vehicle.start, :] = 0
        t[:, vehicle.end] = problem.service
    return t


def _register(routing, matrix: np.ndarray, cache: dict, key) -> int:
    if key not in cache:
        cache[key] = routing.RegisterTransitMatrix(matrix.tolist())
    return cache[key]


def build(problem: RoutingProblem):
    """Build the OR-Tools model; returns (manager, routing, time dimension)."""
    n = problem.size
    vehicles = problem.vehicles
    manager = pywrapcp.RoutingIndexManager(
        n, len(vehicles), [v.start for v in vehicles], [v.end for v in vehicles]
    )
    routing = pywrapcp.RoutingModel(manager)
    # Node order equals index order only for visits; build full index matrices.
    order = np.array([manager.IndexToNode(i) for i in range(routing.Size())]
                     + [manager.IndexToNode(routing.End(v)) for v in range(len(vehicles))])

    def by_index(matrix: np.ndarray) -> np.ndarray:
        return matrix[np.ix_(order, order)]

    costs = problem.cost or problem.travel
    cache: dict = {}
    for k, v in enumerate(vehicles):
        arc = costs[v.matrix].astype(np.int64)
        key = ("cost", v.matrix)
        if problem.penalty is not None and problem.penalty[:, k].any():
            arc = arc + problem.penalty[:, k][None, :]
            key = ("cost", v.matrix, problem.penalty[:, k].tobytes())
        routing.SetArcCostEvaluatorOfVehicle(_register(routing, by_index(arc), cache, key), k)
        if v.fixed_cost:
            routing.SetFixedCostOfVehicle(int(v.fixed_cost), k)

    transits = []
    for v in vehicles:
        key = ("time", v.matrix) + ((v.start, v.end) if not v.timed_home else ())
        transits.append(_register(routing, by_index(_transit(problem, v, not v.timed_home)), cache, key))
    shift_ends = [v.close for v in vehicles if v.close < UNREACHABLE]
    horizon = max([int(problem.close.max()) + int(problem.service.max())] + shift_ends) + 1
    routing.AddDimensionWithVehicleTransits(transits, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")

    for node in problem.visits():
        index = manager.NodeToIndex(int(node))
        time_dim.CumulVar(index).SetRange(int(problem.open[node]), int(problem.close[node]))
        if problem.soft_close is not None and problem.tardiness_cost:
            time_dim.SetCumulVarSoftUpperBound(index, int(problem.soft_close[node]),
                                               int(problem.tardiness_cost))
    for k, v in enumerate(vehicles):
        time_dim.CumulVar(routing.Start(k)).SetRange(int(v.open), int(min(v.close, horizon)))
        time_dim.CumulVar(routing.End(k)).SetRange(int(v.open), int(min(v.close, horizon)))

    if problem.demand is not None:
        demand = problem.demand.astype(np.int64)[order[: routing.Size()]]
        capacities = [int(v.capacity if v.capacity is not None else demand.sum()) for v in vehicles]
        unary = routing.RegisterUnaryTransitVector(demand.tolist())
        routing.AddDimensionWithVehicleCapacity(unary, 0, capacities, True, "load")

    if any(v.max_work is not None for v in vehicles) or problem.work_limits:
        work = [_register(routing, by_index(_transit(problem, v, True)), cache, ("time", v.matrix, v.start, v.end))
                for v in vehicles]
        cap = [int(v.max_work if v.max_work is not None else horizon) for v in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(work, 0, cap, True, "work")
        work_dim = routing.GetDimensionOrDie("work")
        for group, limit in problem.work_limits:
            routing.solver().Add(
                routing.solver().Sum([work_dim.CumulVar(routing.End(k)) for k in group]) <= int(limit))

    droppable = problem.drop_penalty is not None or bool(problem.syncs)
    for node, allowed in problem.allowed.items():
        # A domain, not SetAllowedVehiclesForIndex: that treats an empty list as "any vehicle".
        routing.VehicleVar(manager.NodeToIndex(int(node))).SetValues(
            ([-1] if droppable else []) + [int(a) for a in allowed])

    if droppable:
        # Synchronised visits are always droppable: insertion heuristics cannot place a pair at
        # once, and a required pair would leave them without a first solution.
        penalty = int(problem.drop_penalty if problem.drop_penalty is not None else UNSERVED)
        for node in problem.visits():
            routing.AddDisjunction([manager.NodeToIndex(int(node))], penalty)

    solver = routing.solver()
    for s in problem.syncs:
        a, b = manager.NodeToIndex(s.first), manager.NodeToIndex(s.second)
        lag = time_dim.CumulVar(b) - time_dim.CumulVar(a)
        # Binding only when both are done, so the search can place one and then the other;
        # a visit left without its partner is dropped after the search (see ``solve``).
        both = routing.ActiveVar(a) * routing.ActiveVar(b)
        solver.Add((lag - s.low) * both >= 0)
        solver.Add((s.high - lag) * both >= 0)
    return manager, routing, time_dim


def search_parameters(settings: SearchSettings):
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, settings.first_solution)
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, settings.metaheuristic)
    params.use_multi_armed_bandit_concatenate_operators = settings.bandit
    if not settings.insertion_lns:
        ops = params.local_search_operators
        for name in ("use_global_cheapest_insertion_path_lns", "use_local_cheapest_insertion_path_lns",
                     "use_relocate_path_global_cheapest_insertion_insert_unperformed",
                     "use_global_cheapest_insertion_visit_types_lns", "use_local_cheapest_insertion_visit_types_lns"):
            setattr(ops, name, 2)  # OptionalBoolean.BOOL_FALSE
    if settings.iterated:
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = settings.ruin_size
        sisr.avg_num_removed_visits = settings.ruin_size
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        sa.automatic_temperatures = True
        sa.cooling_schedule_strategy = 1
    params.time_limit.FromMilliseconds(int(settings.time_limit * 1000))
    if settings.solution_limit:
        params.solution_limit = settings.solution_limit
    params.log_search = settings.log
    return params


def solve(problem: RoutingProblem, settings: SearchSettings = SearchSettings(),
          initial: list[list[int]] | None = None) -> Solution:
    """Solve one problem within the settings' limits.

    ``initial`` gives each vehicle's visits (nodes, in order) of a feasible starting solution,
    such as the rota as it is: the search then improves on it instead of building from nothing,
    which matters when synchronised visits make insertion heuristics give up. If the routes are
    not feasible, the usual first-solution heuristic is used.
    """
    began = _time.perf_counter()
    manager, routing, time_dim = build(problem)
    params = search_parameters(settings)
    assignment = None
    if initial is not None:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(int(n)) for n in route] for route in initial], True)
        if start is not None:
            assignment = routing.SolveFromAssignmentWithParameters(start, params)
    if assignment is None and settings.iterated:
        assignment = routing.SolveWithIteratedLocalSearch(params)
    elif assignment is None:
        assignment = routing.SolveWithParameters(params)
    status = routing.status()
    names = {0: "not solved", 1: "success", 2: "partial", 3: "no solution", 4: "fail",
             5: "timeout", 6: "invalid", 7: "infeasible", 8: "optimal"}
    if assignment is None:
        return Solution([[] for _ in problem.vehicles], {}, list(map(int, problem.visits())),
                        0, _time.perf_counter() - began, names.get(status, str(status)))
    routes, earliest, latest, departs = [], {}, {}, []
    for k in range(len(problem.vehicles)):
        index, route = routing.Start(k), []
        departs.append(assignment.Min(time_dim.CumulVar(index)))
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            route.append(node)
            earliest[node] = assignment.Min(time_dim.CumulVar(index))
            latest[node] = assignment.Max(time_dim.CumulVar(index))
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    served = {n for r in routes for n in r}
    for s in problem.syncs:
        if (s.first in served) != (s.second in served):
            served -= {s.first, s.second}
    routes = [[n for n in r if n in served] for r in routes]
    dropped = [int(n) for n in problem.visits() if n not in served]
    starts = schedule(problem, routes, departs, earliest, latest)
    return Solution(routes, starts, dropped, assignment.ObjectiveValue(),
                    _time.perf_counter() - began, names.get(status, str(status)))


def schedule(problem: RoutingProblem, routes: list[list[int]], departs: list[int],
             earliest: dict[int, int], latest: dict[int, int]) -> dict[int, int]:
    """Start times along the routes, each visit as near its target as the routes allow.

    The solver gives each visit a range of feasible starts; choosing within it, in route order,
    keeps later visits feasible. Synchronised visits are pushed to agree and the pass repeated;
    should that fail, the earliest schedule (which the solver proved consistent) is used.
    """
    want = problem.target if problem.target is not None else None
    low = {n: int(min(max(want[n], earliest[n]), latest[n])) if want is not None else earliest[n]
           for n in earliest}
    syncs = [s for s in problem.syncs if s.first in low and s.second in low]
    for _ in range(len(low) + 1):
        starts = {}
        for k, route in enumerate(routes):
            v = problem.vehicles[k]
            free, prev = departs[k], v.start
            for n in route:
                leg = 0 if (prev == v.start and not v.timed_home) else int(problem.travel[v.matrix][prev, n])
                starts[n] = max(low[n], free + leg)
                free, prev = starts[n] + int(problem.service[n]), n
        moved = False
        for s in syncs:
            if starts[s.second] - starts[s.first] < s.low:
                low[s.second], moved = starts[s.first] + s.low, True
            elif starts[s.second] - starts[s.first] > s.high:
                low[s.first], moved = starts[s.second] - s.high, True
        if not moved:
            break
    if moved or any(starts[n] > latest[n] for n in starts):
        return {n: earliest[n] for n in starts}
    return starts
