"""The routing model on instances small enough to solve by hand or by brute force."""

from itertools import permutations, product

import numpy as np
import pytest

from carerota.routing import RoutingProblem, SearchSettings, Sync, Vehicle, solve

FAST = SearchSettings(time_limit=1)


def line_problem(xs, vehicles=2, **kw) -> RoutingProblem:
    """Depot at 0 and visits at integer points on a line: travel is the distance."""
    pts = np.array([0, *xs])
    travel = np.abs(pts[:, None] - pts[None, :]).astype(np.int64)
    n = len(pts)
    vs = [Vehicle(start=0, end=0) for _ in range(vehicles)]
    return RoutingProblem(travel=[travel], service=np.zeros(n, np.int64), open=np.zeros(n, np.int64),
                          close=np.full(n, 10**6, np.int64), vehicles=vs, **kw)


def brute_force(travel: np.ndarray, visits: list[int], vehicles: int) -> int:
    best = None
    for owner in product(range(vehicles), repeat=len(visits)):
        total = 0
        for k in range(vehicles):
            mine = [v for v, o in zip(visits, owner) if o == k]
            if not mine:
                continue
            total += min(travel[0, p[0]] + sum(travel[a, b] for a, b in zip(p, p[1:])) + travel[p[-1], 0]
                         for p in permutations(mine))
        best = total if best is None else min(best, total)
    return int(best)


def test_line_instance_reaches_the_hand_computed_optimum():
    # Visits at -5, -3, 4, 6, 7: one vehicle goes left (10), one goes right (14); total 24.
    p = line_problem([-5, -3, 4, 6, 7])
    s = solve(p, FAST)
    assert s.objective == 24 == brute_force(p.travel[0], [1, 2, 3, 4, 5], 2)


def test_random_instance_matches_brute_force():
    rng = np.random.default_rng(7)
    xy = rng.integers(0, 100, size=(7, 2))
    travel = np.round(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))).astype(np.int64)
    n = len(xy)
    p = RoutingProblem(travel=[travel], service=np.zeros(n, np.int64), open=np.zeros(n, np.int64),
                       close=np.full(n, 10**6, np.int64), vehicles=[Vehicle(0, 0), Vehicle(0, 0)])
    assert solve(p, FAST).objective == brute_force(travel, list(range(1, n)), 2)


def test_time_windows_force_the_longer_order():
    # Visits at 10 and 20; the far one must start by 25, the near one not before 40.
    p = line_problem([10, 20], vehicles=1)
    p.open[1], p.close[2] = 40, 25
    s = solve(p, FAST)
    assert s.routes[0] == [2, 1]
    assert s.starts[2] <= 25 and s.starts[1] >= 40
    assert s.objective == 20 + 10 + 10


def test_service_time_and_waiting_are_in_the_schedule():
    p = line_problem([10, 20], vehicles=1)
    p.service[:] = [0, 30, 30]
    p.close[1], p.open[2] = 50, 100
    s = solve(p, FAST)
    assert s.routes[0] == [1, 2]
    assert s.starts[1] == 10 and s.starts[2] == 100  # arrives at 50, waits until 100


def test_capacity_splits_the_visits():
    p = line_problem([1, 2, 3, 4], vehicles=2, demand=np.array([0, 1, 1, 1, 1]))
    p.vehicles[:] = [Vehicle(0, 0, capacity=2), Vehicle(0, 0, capacity=2)]
    s = solve(p, FAST)
    assert sorted(len(r) for r in s.routes) == [2, 2]


def test_allowed_vehicles_are_respected_even_when_costly():
    p = line_problem([1, 2], vehicles=2, allowed={1: [1], 2: [0]})
    s = solve(p, FAST)
    assert s.routes == [[2], [1]]


def test_double_up_starts_together_on_two_vehicles():
    # Nodes 1 and 2 are the same client (x=10) needing two workers; node 3 is at x=30 and opens at 0.
    p = line_problem([10, 10, 30], vehicles=2)
    p.service[:] = [0, 20, 20, 5]
    p.open[1] = p.open[2] = 15
    p.syncs.append(Sync(1, 2))
    s = solve(p, FAST)
    owner = {n: k for k, r in enumerate(s.routes) for n in r}
    assert owner[1] != owner[2]
    assert s.starts[1] == s.starts[2] >= 15


def test_sequential_visit_keeps_its_delay():
    p = line_problem([10, 10], vehicles=2)
    p.service[:] = [0, 5, 5]
    p.syncs.append(Sync(1, 2, low=30, high=40))
    s = solve(p, FAST)
    assert 30 <= s.starts[2] - s.starts[1] <= 40


def test_impossible_visit_is_dropped_and_reported_not_lost():
    p = line_problem([10, 500], vehicles=1, drop_penalty=10**6)
    p.vehicles[0] = Vehicle(0, 0, open=0, close=100)
    s = solve(p, FAST)
    assert s.routes == [[1]] and s.dropped == [2]


def test_lone_double_up_partner_is_dropped_too():
    # Only one vehicle, so the pair can never be done together: both are dropped.
    p = line_problem([10, 10, 20], vehicles=1, drop_penalty=10**6)
    p.service[:] = [0, 20, 20, 0]
    p.syncs.append(Sync(1, 2))
    s = solve(p, FAST)
    assert sorted(s.dropped) == [1, 2] and s.routes == [[3]]


def test_untimed_home_legs_cost_but_take_no_time():
    # Home at x=100 (node 0); the visit at x=10 must start by 5: reachable only because the
    # commute is outside working time. Its cost still counts in the objective.
    pts = np.array([100, 10, 20])
    travel = np.abs(pts[:, None] - pts[None, :]).astype(np.int64)
    p = RoutingProblem(travel=[travel], service=np.zeros(3, np.int64), open=np.zeros(3, np.int64),
                       close=np.array([0, 5, 100]), vehicles=[Vehicle(0, 0, 0, 200, timed_home=False)])
    s = solve(p, FAST)
    assert s.routes == [[1, 2]] and s.starts[1] <= 5
    assert s.objective == 90 + 10 + 80


def test_starts_keep_to_their_targets_where_the_route_allows():
    # Visits at x=10 (by 35 at the latest) and x=20, wanted at 50 and 20, 10 minutes each. Only
    # the order 1, 2 is feasible; the first starts as late as it may (35), the second as soon as
    # it can be reached (35 + 10 + 10 = 55).
    p = line_problem([10, 20], vehicles=1)
    p.service[:] = [0, 10, 10]
    p.close[1] = 35
    p.target = np.array([0, 50, 20])
    s = solve(p, FAST)
    assert s.routes[0] == [1, 2]
    assert (s.starts[1], s.starts[2]) == (35, 55)


def test_continuity_penalty_moves_a_visit_to_the_team_worker():
    p = line_problem([1, 50], vehicles=2)
    p.vehicles[:] = [Vehicle(0, 0), Vehicle(0, 0)]
    p.penalty = np.zeros((3, 2), np.int64)
    p.penalty[1, 0] = p.penalty[2, 0] = 1000  # vehicle 0 is outside both clients' teams
    s = solve(p, FAST)
    assert s.routes[0] == [] and sorted(s.routes[1]) == [1, 2]


def test_work_limit_over_two_shifts_of_one_worker():
    p = line_problem([10, 20, 30], vehicles=3, drop_penalty=10**6)
    p.service[:] = [0, 60, 60, 60]
    p.vehicles[:] = [Vehicle(0, 0, max_work=10**6, timed_home=False)] * 2 + [Vehicle(0, 0, timed_home=False)]
    p.work_limits.append(([0, 1], 100))
    p.penalty = np.zeros((4, 3), np.int64)
    p.penalty[1:, 2] = 10**5  # vehicle 2 is expensive, so 0 and 1 take what the limit allows
    s = solve(p, FAST)
    assert len(s.routes[0]) + len(s.routes[1]) == 1
    assert not s.dropped


@pytest.mark.parametrize("limit", [1, 5])
def test_solution_limit_gives_the_same_answer_twice(limit):
    rng = np.random.default_rng(3)
    xs = list(rng.integers(-50, 50, size=12))
    settings = SearchSettings(time_limit=30, solution_limit=limit)
    a, b = solve(line_problem(xs, vehicles=3), settings), solve(line_problem(xs, vehicles=3), settings)
    assert a.routes == b.routes and a.objective == b.objective
