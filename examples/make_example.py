"""Make the example week used by the README and the tests: rota.csv, clients.csv and workers.csv.

One week (Monday 2 to Sunday 8 November 2026) of a small home-care provider in Huddersfield: ten
care workers (W01-W10), forty clients (C01-C40), about seven hundred visits. It is built the way a
coordinator builds a rota: fixed runs of back-to-back visits with no time allowed for travel, each
run owned by one worker, two relief workers covering days off, a few swaps. So the data has the
problems carerota is for:

* travel between visits is unpaid for W01-W07 (paid per visit, or hourly for contact time only) and
  paid from a straight-line estimate for W08-W10;
* back-to-back visits across town, including zero-minute gaps between homes 4 km or more apart;
* one double-booking: a worker given two overlapping visits at different clients;
* imperfect continuity: three clients seen mostly by workers outside their named team, clients
  seen by eight different workers, five clients with no named team (for the tool to infer);
* call-monitoring times with clipped visits, late starts and missed check-ins;
* workers aged 19 and 20, to whom the lower minimum-wage rate applies.

Deterministic (numpy seed 20261102): running it again gives byte-identical files. Run it from the
project root as ``.venv/bin/python examples/make_example.py``; it writes next to itself, then reads
the files back, checks the properties above and prints a summary.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20261102
MONDAY = datetime(2026, 11, 2)  # local UK time; GMT all week
DAYS = range(7)

# Approximate centres of Huddersfield districts (lat, lon) and how many clients live in each.
DISTRICTS = {
    "Lindley": (53.6620, -1.8220, 2),
    "Salendine Nook": (53.6580, -1.8380, 2),
    "Longwood": (53.6485, -1.8420, 2),
    "Milnsbridge": (53.6413, -1.8262, 2),
    "Paddock": (53.6455, -1.8120, 2),
    "Marsh": (53.6500, -1.8065, 2),
    "Edgerton": (53.6560, -1.8030, 2),
    "Birkby": (53.6590, -1.7930, 2),
    "Fartown": (53.6620, -1.7810, 2),
    "Sheepridge": (53.6720, -1.7720, 2),
    "Deighton": (53.6690, -1.7530, 1),
    "Bradley": (53.6800, -1.7590, 2),
    "Rawthorpe": (53.6545, -1.7460, 1),
    "Dalton": (53.6487, -1.7527, 2),
    "Moldgreen": (53.6455, -1.7650, 2),
    "Waterloo": (53.6405, -1.7400, 2),
    "Almondbury": (53.6344, -1.7489, 2),
    "Newsome": (53.6270, -1.7800, 2),
    "Lockwood": (53.6325, -1.7945, 2),
    "Berry Brow": (53.6205, -1.7960, 2),
    "Crosland Moor": (53.6360, -1.8120, 2),
}
JITTER_KM = 0.3
LONG_HOP_KM = 3.5

WORKERS = {  # date of birth (ages on 2 November 2026 in comments), travel mode
    "W01": ("1971-04-18", "drive"),  # 55
    "W02": ("2007-05-09", "drive"),  # 19
    "W03": ("1985-09-27", "drive"),  # 41
    "W04": ("1963-03-02", "walk"),  # 63
    "W05": ("1992-12-03", "drive"),  # 33
    "W06": ("1978-07-30", "drive"),  # 48
    "W07": ("2006-03-21", "drive"),  # 20
    "W08": ("1988-11-14", "drive"),  # 37
    "W09": ("1999-06-05", "walk"),  # 27
    "W10": ("1966-10-08", "drive"),  # 60
}
WALK_KM = 1.7  # walkers' runs keep within this distance of the run's centre

# Parts of the day: M morning, L lunch, T tea, B bed.
PARTS = "MLTB"
# The runs the coordinator has built, named after the district each is centred on: the owner who
# works it and the parts of the day it covers.
LINES = {
    "Lindley": ("W01", "MLT"),
    "Fartown": ("W02", "MLT"),
    "Deighton": ("W03", "LTB"),
    "Marsh": ("W04", "MTB"),
    "Dalton": ("W06", "MTB"),
    "Almondbury": ("W07", "MLB"),
    "Lockwood": ("W09", "MLB"),
    "Milnsbridge": ("W10", "MLB"),
}
RELIEF = ("W05", "W08")  # cover the runs of owners on their days off
DAYS_OFF = {  # 0 = Monday; each day as many owners are off as relief workers are on
    "W01": (5, 6), "W02": (1,), "W03": (4, 5), "W04": (6,), "W05": (3,),
    "W06": (0, 1), "W07": (2,), "W08": (0, 2), "W09": (3,), "W10": (4,),
}
RANDOM_SWAPS = 5  # days on which two workers swap runs

FIRST_START = {"M": (420, 435, 450), "L": (705, 720, 735), "T": (960, 975, 990), "B": (1140, 1155)}
# Minutes between the end of one part of a run and the start of the next, and the limits on that start.
BREAK = {("M", "L"): (70, 120), ("L", "T"): (120, 170), ("T", "B"): (60, 100)}
START_WINDOW = {"L": (705, 750), "T": (945, 990), "B": (1140, 1170)}
GAPS = ((0, 5, 10, 15, 20, 30), (0.5, 0.2, 0.14, 0.1, 0.04, 0.02))

PACKAGES = (["MLTB"] * 9 + ["MLB"] * 5 + ["MTB"] * 4 + ["MB"] * 5 + ["MT"] * 5 + ["LB"] * 3
            + ["M"] * 4 + ["L"] * 3 + ["B"] * 2)
MENU = {  # (visit type, minutes, weight)
    "M": (("personal care", 30, 0.72), ("personal care", 45, 0.12), ("medication", 15, 0.12),
          ("personal care", 60, 0.04)),
    "L": (("meal", 30, 0.6), ("medication", 15, 0.35), ("welfare check", 15, 0.05)),
    "T": (("meal", 30, 0.6), ("medication", 15, 0.2), ("personal care", 30, 0.2)),
    "B": (("personal care", 30, 0.75), ("medication", 15, 0.2), ("personal care", 45, 0.05)),
}
ONLY_VISIT = {  # for clients with one visit a day
    "M": (("welfare check", 15, 0.5), ("personal care", 30, 0.5)),
    "L": (("welfare check", 15, 0.5), ("meal", 30, 0.5)),
    "B": (("medication", 15, 1.0),),
}

PER_VISIT = {15: "5.50", 30: "9.50", 45: "13.50", 60: "17.00"}  # W01-W04
CONTACT_RATE = "12.71"  # W05-W07: contact time only
TRAVEL_RATE = "13.45"  # W08-W10: contact time plus estimated travel
CIRCUITY, SPEED_KMH, MIN_TRAVEL, PENCE_PER_MILE = 1.3, 30, 2, 45
NEW_SHIFT = 180  # a gap longer than this (minutes) starts a new run

ROTA_HEADER = ["visit_id", "worker_id", "client_id", "start", "end", "actual_start", "actual_end",
               "lat", "lon", "visit_pay", "hourly_rate", "travel_pay", "mileage_pay", "visit_type",
               "agreed_short"]


@dataclass(eq=False)
class Call:
    """One visit in a run: the same time every day the client has care."""

    client: str
    part: str
    minutes: int
    kind: str
    gap: int  # planned minutes after the previous visit of the run ends
    agreed_short: bool = False
    double_up: bool = False
    squeezed: bool = False  # put in from across town with no time to get there
    line: str = ""
    not_before: int = 0  # earliest start: waiting for the other worker of a double-up
    start: int = 0  # minutes after midnight


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def walker(worker: str) -> bool:
    return WORKERS[worker][1] == "walk"


def centre(line: str) -> tuple[float, float]:
    return DISTRICTS[line][:2]


def pick(rng: np.random.Generator, items, k: int) -> list:
    """k distinct items, in a seeded random order."""
    items = list(items)
    return [items[i] for i in rng.choice(len(items), k, replace=False)]


def place_clients(rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    """Homes up to 300 m from their district's centre, 0.3-8 km from each other; ids shuffled."""
    spots = [d for d, (_, _, n) in DISTRICTS.items() for _ in range(n)]
    homes: list[tuple[float, float]] = []
    for d in spots:
        lat0, lon0, _ = DISTRICTS[d]
        while True:
            r, theta = JITTER_KM * math.sqrt(rng.random()), 2 * math.pi * rng.random()
            home = (round(lat0 + r * math.cos(theta) / 111.2, 5),
                    round(lon0 + r * math.sin(theta) / (111.2 * math.cos(math.radians(lat0))), 5))
            if all(0.3 <= km(home, h) <= 8 for h in homes):
                break
        homes.append(home)
    return {f"C{i + 1:02d}": homes[j] for i, j in enumerate(rng.permutation(len(spots)))}


def gap(rng: np.random.Generator) -> int:
    return int(rng.choice(GAPS[0], p=GAPS[1]))


def plan_care(rng: np.random.Generator, clients: list[str]):
    """Each client's visits, the three double-up clients, and clients' days without care."""
    package = {c: PACKAGES[i] for c, i in zip(clients, rng.permutation(len(PACKAGES)))}
    # Two workers with the hoist: mornings and bedtimes for two clients, mornings only for one.
    doubles = dict.fromkeys(pick(rng, [c for c in clients if package[c] == "MLTB"], 2), "MB")
    doubles |= dict.fromkeys(pick(rng, [c for c in clients if package[c] == "MB"], 1), "M")
    calls = []
    for c in clients:
        for part in package[c]:
            if part in doubles.get(c, ""):
                calls.append(Call(c, part, 60 if part == "M" else 45, "personal care", gap(rng),
                                  double_up=True))
                continue
            menu = ONLY_VISIT[part] if len(package[c]) == 1 else MENU[part]
            kind, minutes, _ = menu[rng.choice(len(menu), p=[w for *_, w in menu])]
            calls.append(Call(c, part, minutes, kind, gap(rng)))
    short = [call for call in calls if call.minutes == 15]
    for call in pick(rng, short, round(len(short) / 3)):
        call.agreed_short = True
    off = {c: (5, 6) for c in pick(rng, [c for c in clients if len(package[c]) == 1], 2)}
    for i, c in enumerate(pick(rng, [c for c in clients if c not in doubles and c not in off], 3)):
        first = int(rng.integers(6))
        off[c] = (first, first + 1) if i == 2 else (first,)  # the last one is in respite for two days
    return calls, package, doubles, off


def assign_part(part: str, calls: list[Call], homes) -> dict[str, list[Call]]:
    """Share one part of the day's visits among the runs covering it, nearest run first."""
    lines = [line for line, (_, parts) in LINES.items() if part in parts]
    todo = [c for c in calls if c.part == part]
    runs: dict[str, list[Call]] = {line: [] for line in lines}
    done: set[int] = set()
    pairs = sorted((km(centre(line), homes[c.client]), i, line)
                   for i, c in enumerate(todo) for line in lines)
    walk = [line for line in lines if walker(LINES[line][0])]
    drive = [line for line in lines if line not in walk]
    for stage in (walk, drive):  # walkers choose first, from clients near the centre of their run
        cap = math.ceil((len(todo) - len(done)) / (len(lines) if stage is walk else len(drive)))
        for dist, i, line in pairs:
            if line in stage and i not in done and len(runs[line]) < cap and (
                    line not in walk or dist <= WALK_KM):
                runs[line].append(todo[i])
                done.add(i)
    for line, run in runs.items():  # nearest neighbour, from the visit nearest the run's centre
        here, ordered = centre(line), []
        while run:
            nearest = min(run, key=lambda c: km(here, homes[c.client]))
            run.remove(nearest)
            ordered.append(nearest)
            here = homes[nearest.client]
        runs[line] = ordered
    return runs


def squeeze_in(runs: dict[str, list[Call]], homes, off) -> None:
    """Move a client from across town into another run, straight after a visit 4+ km away with no gap."""
    options = []
    for line, run in runs.items():
        for other, other_run in runs.items():
            if other == line or walker(LINES[line][0]) or walker(LINES[other][0]):
                continue
            for j, moved in enumerate(other_run):
                for p in range(1, len(run) - 1):
                    if moved.double_up or run[p].double_up or moved.client in off or run[p].client in off:
                        continue
                    d = km(homes[run[p].client], homes[moved.client])
                    if d >= 4.2:  # into the shortest run that can take one
                        options.append((len(run), abs(d - 5), line, other, j, p))
    *_, line, other, j, p = min(options)
    moved = runs[other].pop(j)
    moved.gap, moved.squeezed = 0, True
    runs[line].insert(p + 1, moved)


def allow_for_long_hops(runs: dict[str, list[Call]], homes) -> None:
    """Coordinators do leave a few minutes for a hop across town, except the squeezed-in visit."""
    for run in runs.values():
        for before, c in zip(run, run[1:]):
            if not c.squeezed and km(homes[before.client], homes[c.client]) > LONG_HOP_KM:
                c.gap = max(c.gap, 10)


def time_runs(runs: dict[str, list[Call]], starts: dict[str, int], pairs) -> None:
    """Start times: back to back with the planned gaps; both workers of a double-up start together."""
    for run in runs.values():
        for c in run:
            c.not_before = 0
    while True:
        for line, run in runs.items():
            t = starts[line]
            for i, c in enumerate(run):
                if i:
                    t = run[i - 1].start + run[i - 1].minutes + c.gap
                c.start = max(t, c.not_before)
        apart = [(a, b) for a, b in pairs if a.start != b.start]
        if not apart:
            return
        for a, b in apart:
            a.not_before = b.not_before = max(a.start, b.start)


def add_second_workers(rng, runs: dict[str, list[Call]], starts, homes) -> list[tuple[Call, Call]]:
    """Put each double-up visit into a second run too, where it costs least detour and waiting."""
    pairs: list[tuple[Call, Call]] = []
    for first in [c for run in runs.values() for c in run if c.double_up]:
        time_runs(runs, starts, pairs)
        second = dataclasses.replace(first, gap=gap(rng))
        options = []
        for line, run in runs.items():
            if first in run or (walker(LINES[line][0])
                                and km(centre(line), homes[first.client]) > WALK_KM):
                continue
            busy = 60 * sum(c.double_up for c in run)
            for p in range(len(run) + 1):
                before, after = run[p - 1] if p else None, run[p] if p < len(run) else None
                arrive = before.start + before.minutes + second.gap if before else starts[line]
                there = homes[first.client]
                detour = ((km(homes[before.client], there) if before else 0)
                          + (km(there, homes[after.client]) if after else 0)
                          - (km(homes[before.client], homes[after.client]) if before and after else 0))
                options.append((busy + abs(arrive - first.start) + 10 * detour, line, p))
        _, line, p = min(options)
        runs[line].insert(p, second)
        pairs.append((first, second))
    return pairs


def first_start(rng, part: str, previous: tuple[str, int] | None) -> int:
    """When a run's part of the day starts: after a break from its previous part, or at a set time."""
    if previous and (previous[0], part) in BREAK:
        lo, hi = BREAK[previous[0], part]
        low, high = START_WINDOW[part]
        return min(max(-(-(previous[1] + int(rng.integers(lo, hi + 1))) // 5) * 5, low), high)
    return int(rng.choice(FIRST_START[part]))


def build_runs(rng, calls: list[Call], homes, off) -> list[Call]:
    """Every run's visits with their times, double-ups as two calls; the same every day."""
    template: list[Call] = []
    previous: dict[str, tuple[str, int]] = {}
    for part in PARTS:
        runs = assign_part(part, calls, homes)
        if part == "M":
            squeeze_in(runs, homes, off)
        starts = {line: first_start(rng, part, previous.get(line)) for line in runs}
        pairs = add_second_workers(rng, runs, starts, homes)
        allow_for_long_hops(runs, homes)
        time_runs(runs, starts, pairs)
        for line, run in runs.items():
            for c in run:
                c.line = line
            template += run
            if run:
                previous[line] = (part, run[-1].start + run[-1].minutes)
    return template


def staff_week(rng) -> list[dict[str, str]]:
    """Who works each run each day: owners, relief on owners' days off, and a few swaps."""
    week = []
    for d in DAYS:
        rota = {line: owner for line, (owner, _) in LINES.items()}
        uncovered = [line for line, owner in rota.items() if d in DAYS_OFF[owner]]
        cover = [w for w in RELIEF if d not in DAYS_OFF[w]]
        assert len(uncovered) == len(cover), f"day {d}: {uncovered} need cover, {cover} on"
        for line, w in zip(uncovered, pick(rng, cover, len(cover))):
            rota[line] = w
        week.append(rota)
    for _ in range(RANDOM_SWAPS):
        rota = week[int(rng.integers(7))]
        a, b = pick(rng, [line for line, w in rota.items() if not walker(w)], 2)
        rota[a], rota[b] = rota[b], rota[a]
    return week


def seen_by(client: str, template, week, off) -> set[str]:
    return {week[d][c.line] for d in DAYS if d not in off.get(client, ())
            for c in template if c.client == client}


def spread(rng, template, week, off, package, doubles) -> str:
    """Swap runs on a few more days until one four-visit client has been seen by eight workers."""
    def lines_of(c):
        return {call.line for call in template if call.client == c}

    candidates = [c for c in package if package[c] == "MLTB" and c not in doubles and c not in off]
    client = min(candidates, key=lambda c: (-len(lines_of(c)), -len(seen_by(c, template, week, off)), c))

    def one_more() -> bool:
        before = len(seen_by(client, template, week, off))
        for d in rng.permutation(7):
            rota = week[d]
            for line in sorted(lines_of(client)):
                for other in LINES:
                    if other == line or walker(rota[line]) or walker(rota[other]):
                        continue
                    rota[line], rota[other] = rota[other], rota[line]
                    if len(seen_by(client, template, week, off)) > before:
                        return True
                    rota[line], rota[other] = rota[other], rota[line]
        return False

    while len(seen_by(client, template, week, off)) < 8:
        assert one_more(), "no swap adds a worker"
    return client


def double_book(template, week, off, homes, avoid: str, day: int = 3) -> dict:
    """On Thursday give one visit to a driver who is already at another client at that time."""
    today = [(c, week[day][c.line]) for c in template if day not in off.get(c.client, ())]
    options = []
    for w in sorted({w for _, w in today if not walker(w)}):
        mine = sorted((c for c, who in today if who == w), key=lambda c: c.start)
        for i, c in enumerate(mine):
            free_from = mine[i + 1].start if i + 1 < len(mine) else 24 * 60
            for other, who in today:
                if (who != w and not other.double_up and other.client not in (c.client, avoid)
                        and c.start < other.start < c.start + c.minutes
                        and other.start + other.minutes <= free_from):
                    options.append((km(homes[c.client], homes[other.client]), w, other.client, other))
    _, w, _, moved = min(options, key=lambda o: o[:3])
    return {(day, moved): w}


def money(x: float) -> str:
    return str(Decimal(repr(x)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def make_rows(rng, template, week, off, moved, homes) -> list[dict]:
    """One row per worker per visit, with pay and call-monitoring times, sorted by worker and start."""
    visits = []
    for d in DAYS:
        for c in template:
            if d not in off.get(c.client, ()):
                visits.append((moved.get((d, c), week[d][c.line]), d * 1440 + c.start, c))
    visits.sort(key=lambda v: (v[0], v[1], v[2].client))
    rows = []
    for i, (w, start, c) in enumerate(visits):
        prev = visits[i - 1] if i else None
        same_run = (prev is not None and prev[0] == w
                    and start - (prev[1] + prev[2].minutes) <= NEW_SHIFT)
        leg_km = km(homes[prev[2].client], homes[c.client]) * CIRCUITY if same_run else 0.0
        n = int(w[1:])
        rows.append({
            "worker_id": w, "client_id": c.client, "s": start, "e": start + c.minutes, "c": c,
            "lat": f"{homes[c.client][0]:.5f}", "lon": f"{homes[c.client][1]:.5f}",
            "visit_pay": PER_VISIT[c.minutes] if n <= 4 else "",
            "hourly_rate": "" if n <= 4 else CONTACT_RATE if n <= 7 else TRAVEL_RATE,
            "travel_pay": "" if n <= 7 else money(
                float(TRAVEL_RATE) * max(MIN_TRAVEL, leg_km / SPEED_KMH * 60) / 60 if same_run else 0),
            "mileage_pay": "" if walker(w) else money(leg_km / 1.609344 * PENCE_PER_MILE / 100),
            "visit_type": c.kind, "agreed_short": "true" if c.agreed_short else "false",
        })
    monitor(rng, rows)
    for i, r in enumerate(rows):
        r["visit_id"] = f"V{i + 1:04d}"
        for key, m in (("start", r["s"]), ("end", r["e"]), ("actual_start", r["actual_start"]),
                       ("actual_end", r["actual_end"])):
            r[key] = "" if m is None else f"{MONDAY + timedelta(minutes=m):%Y-%m-%d %H:%M}"
    return rows


def monitor(rng, rows: list[dict]) -> None:
    """Check-in and check-out times: mostly within five minutes; some clipped, late or missing."""
    n = len(rows)
    room = [rows[i + 1]["s"] - r["e"] if i + 1 < n and rows[i + 1]["worker_id"] == r["worker_id"]
            else 1440 for i, r in enumerate(rows)]
    late = set(pick(rng, [i for i in range(n) if room[i] >= 70], round(0.03 * n)))
    odd = pick(rng, [i for i in range(n) if i not in late], round(0.10 * n))
    missed, clipped = set(odd[:round(0.02 * n)]), set(odd[round(0.02 * n):])

    def jitter() -> int:
        return int(np.clip(np.rint(rng.normal(0, 2.5)), -5, 5))

    prev_end = None
    for i, r in enumerate(rows):
        if i and rows[i - 1]["worker_id"] != r["worker_id"]:
            prev_end = None
        minutes = r["c"].minutes
        if i in missed:
            r["actual_start"] = r["actual_end"] = None
            continue
        if i in late:
            a_s = r["s"] + int(rng.integers(35, 61))
            a_e = a_s + max(10, minutes - int(rng.integers(0, 11)))
        elif i in clipped:
            a_s = r["s"] + int(rng.integers(-3, 3))
            a_e = r["e"] - int(rng.integers(6, min(15, minutes - 5) + 1))
        else:
            a_s, a_e = r["s"] + jitter(), r["e"] + jitter()
        if prev_end is not None and a_s < prev_end:  # cannot check in before checking out
            a_s = prev_end
        r["actual_start"], r["actual_end"] = a_s, max(a_e, a_s + 2)
        prev_end = r["actual_end"]


def name_teams(rng, rows, clients, spread_client, doubles) -> dict[str, str]:
    """Named teams: the workers who mostly visit, but stale for three clients and blank for five."""
    counts = {c: Counter() for c in clients}
    for r in rows:
        counts[r["client_id"]][r["worker_id"]] += 1
    regular = [c for c in clients if c not in (spread_client, *doubles)]
    stale = sorted(pick(rng, [c for c in regular if counts[c].total() >= 14], 3))
    blank = sorted(pick(rng, [c for c in regular if c not in stale], 5))
    teams = {}
    for c in clients:
        ranked = sorted(counts[c], key=lambda w: (-counts[c][w], w))
        if c in blank:
            team = []
        elif c in stale:  # last month's team: drivers who hardly see the client now
            rare = [w for w in WORKERS if not walker(w) and counts[c][w] <= 0.15 * counts[c].total()]
            team = pick(rng, rare, int(rng.integers(2, 4)))
        elif c == spread_client:
            team = ranked[:3]
        else:
            team, covered = [], 0
            for w in ranked:
                if len(team) >= 4 or (len(team) >= 2 and covered >= 0.8 * counts[c].total()):
                    break
                team.append(w)
                covered += counts[c][w]
        teams[c] = ";".join(sorted(team))
    return teams


def write_csv(name: str, header: list[str], rows) -> None:
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def check_and_summarise() -> None:
    """Read the files back, assert the properties the example promises, print what is in it."""
    rota = pd.read_csv(HERE / "rota.csv", parse_dates=["start", "end", "actual_start", "actual_end"],
                       dtype={"agreed_short": str})
    clients = pd.read_csv(HERE / "clients.csv", dtype=str).set_index("client_id")
    rota["minutes"] = (rota["end"] - rota["start"]).dt.total_seconds() / 60
    rota["day"] = rota["start"].dt.strftime("%a")
    assert 650 <= len(rota) <= 800
    print(f"{len(rota)} visits, {rota['client_id'].nunique()} clients, {rota['worker_id'].nunique()} workers")
    days = list(pd.unique(rota.sort_values("start")["day"]))
    print("\nVisits per worker per day:")
    print(rota.pivot_table(index="worker_id", columns="day", values="visit_id", aggfunc="count")
          .reindex(columns=days).fillna(0).astype(int).to_string())
    print("\nVisit lengths (minutes):", rota["minutes"].value_counts().sort_index().to_dict())
    print("Visit types:", rota["visit_type"].value_counts().to_dict(),
          "| agreed short:", int((rota["agreed_short"] == "true").sum()), "of",
          int((rota["minutes"] == 15).sum()), "15-minute visits")
    doubles = rota.groupby(["client_id", "start"]).filter(lambda g: len(g) > 1)
    print(f"Double-up visits: {len(doubles) // 2} pairs at clients {sorted(doubles['client_id'].unique())}")

    late = (rota["actual_start"] - rota["start"]).dt.total_seconds() / 60 >= 35
    clipped = ~late & ((rota["end"] - rota["actual_end"]).dt.total_seconds() / 60 >= 6)
    missed = rota["actual_start"].isna()
    print(f"Call monitoring: {int(clipped.sum())} clipped, {int(late.sum())} late starts, "
          f"{int(missed.sum())} with no check-in")
    print("Contact hours per worker:", (rota.groupby("worker_id")["minutes"].sum() / 60).round(2).to_dict())

    rota["prev_end"] = rota.groupby("worker_id")["end"].shift()
    rota["prev_client"] = rota.groupby("worker_id")["client_id"].shift()
    rota["prev_id"] = rota.groupby("worker_id")["visit_id"].shift()
    rota["gap"] = (rota["start"] - rota["prev_end"]).dt.total_seconds() / 60
    overlaps = rota[rota["gap"] < 0]
    assert len(overlaps) == 1, overlaps
    o = overlaps.iloc[0]
    print(f"\nDouble-booking: {o['worker_id']} has {o['prev_id']} ({o['prev_client']}) and "
          f"{o['visit_id']} ({o['client_id']}) overlapping on {o['start']:%a %d %b}")
    homes = {c: (float(r["lat"]), float(r["lon"])) for c, r in clients.iterrows()}
    same_run = rota["gap"].between(0, NEW_SHIFT)
    rota["leg_km"] = [km(homes[a], homes[b]) if ok else np.nan
                      for a, b, ok in zip(rota["prev_client"], rota["client_id"], same_run)]
    gaps = rota.loc[same_run, "gap"]
    print("Gaps within runs (minutes):", pd.cut(gaps, [-1, 0, 15, 50, 69, 150, 180],
                                              labels=["0", "1-15", "16-50", "51-69", "70-150", "151-180"])
          .value_counts().sort_index().to_dict(), f"| new shifts: {int((rota['gap'] > NEW_SHIFT).sum())}")
    print("Legs within runs (km):",
          rota["leg_km"].describe()[["count", "min", "50%", "max"]].round(2).to_dict())
    impossible = rota[(rota["gap"] == 0) & (rota["leg_km"] >= 4)]
    assert len(impossible) >= 1
    print("Impossible gaps (0 minutes, >= 4 km): "
          + ", ".join(f"{p}->{v} ({w}, {d:.1f} km)" for p, v, w, d in
                      zip(impossible["prev_id"], impossible["visit_id"], impossible["worker_id"],
                          impossible["leg_km"])))
    all_km = [km(homes[a], homes[b]) for a in homes for b in homes if a < b]
    print(f"Distances between homes: {min(all_km):.2f}-{max(all_km):.2f} km")

    seen = rota.groupby("client_id")["worker_id"].nunique()
    assert seen.max() >= 8
    named = clients["named_team"].dropna().str.split(";")
    outside = rota[rota["client_id"].isin(named.index)].groupby("client_id").apply(
        lambda g: (~g["worker_id"].isin(named[g.name])).mean(), include_groups=False)
    assert (outside > 0.5).sum() >= 3
    print(f"\nMost workers at one client: {seen.idxmax()} with {seen.max()} "
          f"(named team {clients.loc[seen.idxmax(), 'named_team']})")
    print("Clients mostly seen outside their named team:",
          {c: f"{share:.0%}" for c, share in outside.items() if share > 0.5})
    print("Clients with no named team:", sorted(set(clients.index) - set(named.index)))
    print("Distinct workers per client:", seen.value_counts().sort_index().to_dict())


def main() -> None:
    rng = np.random.default_rng(SEED)
    homes = place_clients(rng)
    clients = sorted(homes)
    calls, package, doubles, off = plan_care(rng, clients)
    template = build_runs(rng, calls, homes, off)
    week = staff_week(rng)
    spread_client = spread(rng, template, week, off, package, doubles)
    moved = double_book(template, week, off, homes, avoid=spread_client)
    rows = make_rows(rng, template, week, off, moved, homes)
    teams = name_teams(rng, rows, clients, spread_client, doubles)

    write_csv("rota.csv", ROTA_HEADER, ([r[k] for k in ROTA_HEADER] for r in rows))
    write_csv("clients.csv", ["client_id", "lat", "lon", "named_team"],
              ([c, f"{homes[c][0]:.5f}", f"{homes[c][1]:.5f}", teams[c]] for c in clients))
    write_csv("workers.csv", ["worker_id", "date_of_birth", "travel_mode", "london"],
              ([w, dob, mode, "false"] for w, (dob, mode) in WORKERS.items()))
    check_and_summarise()


if __name__ == "__main__":
    main()
