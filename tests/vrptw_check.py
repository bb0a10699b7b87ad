"""An independent VRPTW feasibility checker for .sol files (DIMACS convention).

Written apart from the planner and the benchmark reader on purpose: it parses the instance
itself and recomputes every arc and every arrival, so a solution is judged by the data, not
by the solver's word. Arc = floor(10 · Euclidean distance) tenths; travel time = distance;
service at the customer; waiting allowed; every route back at the depot by its due date.
"""

from __future__ import annotations

import math
from pathlib import Path


def read_instance(path: Path) -> dict:
    lines = [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]
    head, section, data = {}, None, {}
    for ln in lines:
        if ln.endswith("SECTION"):
            section = ln
            data[section] = []
        elif section is None or (":" in ln and not ln[0].isdigit()):
            key, _, value = ln.partition(":")
            head[key.strip()] = value.strip()
            section = None
        elif ln != "EOF":
            data[section].append(ln.split())
    xy = {int(r[0]) - 1: (float(r[1]), float(r[2])) for r in data["NODE_COORD_SECTION"]}
    demand = {int(r[0]) - 1: int(r[1]) for r in data["DEMAND_SECTION"]}
    window = {int(r[0]) - 1: (int(r[1]), int(r[2])) for r in data["TIME_WINDOW_SECTION"]}
    flat = int(float(head.get("SERVICE_TIME", 0)))
    service = ({int(r[0]) - 1: int(r[1]) for r in data["SERVICE_TIME_SECTION"]}
               if "SERVICE_TIME_SECTION" in data else {n: flat for n in xy})
    return {"xy": xy, "demand": demand, "window": window, "service": service,
            "capacity": int(head["CAPACITY"]), "vehicles": int(head["VEHICLES"])}


def arc(inst: dict, a: int, b: int) -> int:
    (x1, y1), (x2, y2) = inst["xy"][a], inst["xy"][b]
    return math.floor(10 * math.sqrt((x1 - x2) ** 2 + (y1 - y2) ** 2) + 1e-9)


def check(instance: Path, solution: Path) -> tuple[list[str], float, int]:
    """Problems found (empty when feasible), recomputed cost, and routes used."""
    inst = read_instance(instance)
    routes, stated = [], None
    for ln in Path(solution).read_text().splitlines():
        if ln.startswith("Route"):
            routes.append([int(x) for x in ln.split(":", 1)[1].split()])
        elif ln.startswith("Cost"):
            stated = float(ln.split()[1])
    problems, seen, total = [], [], 0
    due0 = inst["window"][0][1] * 10
    for k, route in enumerate(routes, 1):
        if sum(inst["demand"][c] for c in route) > inst["capacity"]:
            problems.append(f"route {k}: load over capacity {inst['capacity']}")
        t, prev = 0, 0
        for c in route:
            if c not in inst["window"] or c == 0:
                problems.append(f"route {k}: {c} is not a customer")
                continue
            t += arc(inst, prev, c)
            total += arc(inst, prev, c)
            ready, due = (w * 10 for w in inst["window"][c])
            t = max(t, ready)
            if t > due:
                problems.append(f"route {k}: customer {c} starts at {t / 10} after its due time {due / 10}")
            t += inst["service"][c] * 10
            prev = c
        t += arc(inst, prev, 0)
        total += arc(inst, prev, 0)
        if t > due0:
            problems.append(f"route {k}: back at the depot at {t / 10} after {due0 / 10}")
        seen += route
    customers = set(inst["window"]) - {0}
    if sorted(seen) != sorted(customers):
        missing, twice = customers - set(seen), {c for c in seen if seen.count(c) > 1}
        problems.append(f"customers missing {sorted(missing)[:10]}, served twice {sorted(twice)[:10]}")
    if len(routes) > inst["vehicles"]:
        problems.append(f"{len(routes)} routes for {inst['vehicles']} vehicles")
    if stated is None or abs(stated - total / 10) > 0.05:
        problems.append(f"stated cost {stated} but the routes cost {total / 10:.1f}")
    return problems, total / 10, len(routes)
