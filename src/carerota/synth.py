"""Synthetic home-care rotas that look like real ones, for trying carerota and for benchmarks.

The rota is built the way a coordinator builds one. Clients live in overlapping neighbourhood
patches and have care packages of one to four calls a day at fixed times. Each patch's calls for one
part of the day are swept into runs around the patch, back to back with little or no time for
travel. Runs are paired into early, late and split-shift lines; each line has an owner who works five
days in seven, and relief workers cover the days off. Double-up calls go on runs staffed by two
workers. Call-monitoring times then follow the travel the rota left out. So lateness, clipped visits,
pay below the wage floor and poor continuity come from the shape of the rota instead of being
sprinkled on at random.

Everything is vectorised with numpy (a million visits take seconds): Python loops run over patches,
days, parts of the day and the like, never over visits, clients or workers. The output depends only
on the spec: the same spec and seed give byte-identical files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carerota.synth_presets import MAX_CLIENTS_PER_WORKER
from carerota.travel import CIRCUITY, SPEED_KMH, distance_km

LONDON, LONDON_KM = (51.5074, -0.1278), 25.0  # Charing Cross; Greater London lies within about 25 km

# Parts of the day: Morning, Lunch, Tea, Bed.
PARTS = "MLTB"
M, L, T, B = range(4)
FIRST_START = np.array([420, 705, 960, 1140])  # 07:00, 11:45, 16:00, 19:00; a run starts up to 30 min later
WINDOW = np.array([270, 165, 150, 165])  # weights for sharing runs among parts: runs of minutes this long;
# tea and bed runs are kept shortest so that a busy patch overruns into late lunches, not midnight
BREAK = 15  # least minutes between the two runs of a line
LATEST, EARLY = 22 * 60 + 30, 75  # a line that would end later starts up to EARLY minutes sooner
GAPS = (np.array([0, 5, 10, 15]), np.array([0.5, 0.2, 0.17, 0.13]))  # planned minutes between visits
MEAN_GAP = float(GAPS[0] @ GAPS[1])
LONG_HOP_KM = 2.0  # for a hop this long coordinators leave the straight-line drive (except for bad hops)

VISIT_TYPES = ("personal care", "medication", "meal", "welfare check")
CARE, MEDS, MEAL, WELFARE = range(4)
MENU = {  # part → (visit type, minutes, weight) for clients with two or more calls a day
    M: ((CARE, 30, 0.62), (CARE, 45, 0.14), (MEDS, 15, 0.16), (CARE, 60, 0.08)),
    L: ((MEAL, 30, 0.58), (MEDS, 15, 0.34), (WELFARE, 15, 0.08)),
    T: ((MEAL, 30, 0.60), (MEDS, 15, 0.22), (CARE, 30, 0.18)),
    B: ((CARE, 30, 0.72), (MEDS, 15, 0.22), (CARE, 45, 0.06)),
}
ONLY_VISIT = {  # the same for clients with one call a day
    M: ((WELFARE, 15, 0.40), (CARE, 30, 0.45), (CARE, 45, 0.15)),
    L: ((WELFARE, 15, 0.50), (MEAL, 30, 0.50)),
    B: ((MEDS, 15, 0.60), (CARE, 30, 0.40)),
}
CALLS_A_DAY = np.array([0.15, 0.25, 0.25, 0.35])  # one, two, three, four calls
PACKAGES = {  # calls a day → (parts, weight)
    1: (("M", 0.40), ("L", 0.25), ("B", 0.35)),
    2: (("MB", 0.60), ("MT", 0.20), ("LB", 0.20)),
    3: (("MLB", 0.45), ("MTB", 0.35), ("MLT", 0.20)),
    4: (("MLTB", 1.0),),
}
DOUBLE_SHARE = 0.055  # clients who need two carers (a hoist) ...
DOUBLE_PARTS = (("MB", 0.60), ("M", 0.25), ("B", 0.15))  # ... at these calls
DOUBLE_MINUTES = {M: (45, 60), B: (30, 45)}
DOUBLE_RUN_MINUTES = 210  # a double run's length, which sets how many double lines there are
AGREED_SHORT = 1 / 3  # of 15-minute calls, agreed with the client as short
EVERY_DAY = 0.85  # clients with care every day; the rest on set weekdays:
WEEKLY = (((0, 1, 2, 3, 4), 0.4), ((0, 2, 4), 0.2), ((1, 3, 5), 0.1), ((), 0.3))  # () = all but one day
AWAY_PER_WEEK = 0.025  # chance a client is in hospital or respite for a stretch, per week of rota
AWAY_DAYS = (2, 14)

WORKERS_PER_PATCH = 10
SCATTER = 1.5  # client homes: patch centre + Gaussian of sd SCATTER × radius / √patches, so patches
# overlap: a provider holds a share of an area's packages, taken as the council offers them, not every
# home in a tidy neighbourhood. Calibrated on travel: 200 workers drive 1.5 miles a visit in a town of
# 5 km radius, 2.6 in Leeds, 3.5 around Truro, where UK providers' scheduling data average 3.06 miles
# a visit (The Access Group, The Hidden Dynamics of Homecare, 2018)
SCATTER_MIN_KM, SCATTER_MAX_KM = 0.5, 4.0  # ... at least half a km; at most a few villages, beyond which
# a provider would open another branch
OWNER_SHARE = 5 / 7  # workers who own a line; the rest are relief ...
LINE_MINUTES = 420  # ... unless the work needs more lines of this length (fewer relief: understaffed)
CLIENTS_PER_WORKER = 2.5  # a full but workable day: mornings done by about 11:30, bed calls by 22:30
ABSENCE = 0.01  # a sickness spell starting on a worker-day ...
ABSENCE_DAYS = (1, 5)  # ... lasting this many days: about 3% of worker-days lost
NEAR_PATCHES = 3  # relief may cover a patch this many places away in patch order
DAY, EVENING = 1, 2  # an owner of a day line may cover an evening line on the same day, and vice versa
DAY_ENDS, EVENING_STARTS = 15 * 60 + 30, 15 * 60 + 45
BAD_HOP_SHARE, BAD_HOP_KM = 0.03, 6.0  # calls swapped into a run across the patch or from the next
# patch (across town, not across the county: at most this far)
UNTIDY_RAD, UNTIDY_KM = 0.4, 0.4  # sd of noise on a call's bearing and distance when runs are swept:
# runs grow as clients come and go, so they overlap and zig-zag rather than tile the patch
DOUBLE_BOOKING_SHARE = 0.002  # per worker-day (at least one): a visit given to a worker already at
# another client at that time
WALK_SHARE, WALKABLE_HOP_KM = 0.12, 1.0  # owners of compact runs who walk
LONDON_TRANSIT = 0.6  # in London, of the workers who do not walk, those who go by bus or Tube (an
# assumption: many London care workers do not drive)
MODES = ("drive", "walk", "transit")
DRIVE, WALK, TRANSIT = range(3)
MODE_KMH = np.array([SPEED_KMH[m] for m in MODES])
MODE_CIRCUITY = np.array([CIRCUITY[m] for m in MODES])

ARRIVAL_SD = 3.0  # minutes early or late when nothing delays the worker
TRAFFIC_SD = 0.3  # log-sd of real travel ÷ estimate
DELIVERED = (np.array([-3, -2, -1, 0, 1, 2, 3, 4]), np.array([0.03, 0.05, 0.07, 0.35, 0.2, 0.15, 0.1, 0.05]))
CLIPPED, CLIP_TO = 0.16, (0.5, 0.85)  # visits cut short, to this share of planned
OVERRUN, OVERRUN_MIN = 0.015, (10, 45)  # a fall, a GP called: the visit runs over
MISSED = 0.02  # no check-in or check-out recorded

PER_VISIT = {15: 5.50, 30: 9.50, 45: 13.50, 60: 17.00}  # £ a visit by planned minutes
HOURLY = np.array([12.71, 12.80, 12.95, 13.20])  # £ an hour
SCHEMES = np.array([0.40, 0.35, 0.25])  # per visit, contact hours only, hourly with travel paid
PER_VISIT_PAY, CONTACT_PAY, TRAVEL_PAID = range(3)
SHIFT_GAP = 180  # a longer gap ends a shift: no travel pay or mileage across it
MILEAGE = 0.45  # £ a mile for drivers (an expense, not pay)
KM_PER_MILE = 1.609344
YOUNG, AGES = 0.04, (21, 67)  # share aged 18-20, and the range of the others
NO_TEAM = 0.05  # clients with no named team (carerota infers one)

KM_PER_DEGREE = 111.2
MAX_RADIUS_KM = 100.0  # a county at most: beyond it the flat-earth placing of homes stops being good enough


class SpecError(ValueError):
    """A spec value out of range; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SynthSpec:
    """What to generate: a provider of ``workers`` care workers and ``clients`` clients (two and a
    half per worker when None) within ``radius_km`` of ``centre``, over ``weeks`` weeks from ``start``."""

    workers: int = 50
    clients: int | None = None
    weeks: int = 1
    start: date = date(2026, 11, 2)
    centre: tuple[float, float] = (53.645, -1.785)
    radius_km: float = 5.0
    seed: int = 1

    def __post_init__(self):
        lat, lon = self.centre
        for name, ok, expected in (
            ("workers", self.workers >= 1, "at least 1"),
            ("clients", self.clients is None or 1 <= self.clients <= MAX_CLIENTS_PER_WORKER * self.workers,
             f"at least 1 and at most {MAX_CLIENTS_PER_WORKER} per worker ({MAX_CLIENTS_PER_WORKER * self.workers})"),
            ("weeks", self.weeks >= 1, "at least 1"),
            ("radius_km", 0 < self.radius_km <= MAX_RADIUS_KM, f"a distance above 0 and at most {MAX_RADIUS_KM:g} km"),
            ("centre", -85 <= lat <= 85 and -180 <= lon <= 180, "a latitude within ±85 and a longitude within ±180"),
            ("seed", self.seed >= 0, "0 or more"),
        ):
            if not ok:
                raise SpecError(name, f"expected {expected}, got {getattr(self, name)}")

    @property
    def n_clients(self) -> int:
        return round(CLIENTS_PER_WORKER * self.workers) if self.clients is None else self.clients

    @property
    def days(self) -> int:
        return 7 * self.weeks

    @property
    def london(self) -> bool:
        return float(distance_km(*self.centre, *LONDON)) <= LONDON_KM


@dataclass
class Synthetic:
    """The generated files as tables: one row per worker per visit, the clients, the workers."""

    rota: pd.DataFrame
    clients: pd.DataFrame
    workers: pd.DataFrame


# --- small vectorised helpers ------------------------------------------------------------------------

def group_first(keys: np.ndarray) -> np.ndarray:
    """Index of the first element of each element's run of equal keys (keys sorted)."""
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.maximum.accumulate(np.where(first, np.arange(len(keys)), 0))


def cumsum_within(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running total of ``x`` restarting at each group (``first`` from group_first)."""
    total = np.cumsum(x)
    return total - total[first] + x[first]


def cummax_within(x: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running maximum of ``x`` restarting at each group: each group is lifted above the last."""
    group = np.cumsum(first == np.arange(len(x)))
    lift = group * (np.abs(x).max() * 2 + 1 if len(x) else 0)
    return np.maximum.accumulate(x + lift) - lift


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers in proportion to ``weights`` that add up to ``total`` (largest remainders)."""
    w = np.asarray(weights, dtype="float64")
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype="int64")
    quota = total * w / w.sum()
    out = np.floor(quota).astype("int64")
    out[np.argsort(out - quota, kind="stable")[: total - out.sum()]] += 1
    return out


def pick(rng: np.random.Generator, options, n: int) -> np.ndarray:
    """``n`` draws from options whose last item is a weight: the index of the option drawn."""
    weights = np.array([w for *_, w in options], dtype="float64")
    return rng.choice(len(options), n, p=weights / weights.sum())


def to_latlon(x: np.ndarray, y: np.ndarray, centre: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Kilometres east and north of the centre → latitude and longitude rounded to 5 places (~1 m)."""
    lat0, lon0 = centre
    lat = np.round(lat0 + y / KM_PER_DEGREE, 5)
    lon = np.round(lon0 + x / (KM_PER_DEGREE * math.cos(math.radians(lat0))), 5)
    return lat, lon


# --- the town: patches and homes ---------------------------------------------------------------------

@dataclass
class Town:
    patch_x: np.ndarray  # km east of the centre, patches numbered along a serpentine
    patch_y: np.ndarray
    client_patch: np.ndarray
    client_x: np.ndarray
    client_y: np.ndarray
    client_lat: np.ndarray
    client_lon: np.ndarray
    sigma: float  # scatter of homes around their patch centre, km


def place(spec: SynthSpec, rng: np.random.Generator) -> Town:
    """Patch centres uniform over the disc; homes clustered around them, the same number per patch.
    Patches are numbered along a serpentine across the town so nearby numbers are nearby places."""
    k = max(1, round(spec.workers / WORKERS_PER_PATCH))
    r = spec.radius_km * np.sqrt(rng.random(k))
    theta = 2 * np.pi * rng.random(k)
    x, y = r * np.cos(theta), r * np.sin(theta)
    bands = max(1, round(math.sqrt(k)))
    band = np.minimum(((y + spec.radius_km) / (2 * spec.radius_km) * bands).astype("int64"), bands - 1)
    order = np.lexsort((np.where(band % 2 == 0, x, -x), band))
    x, y = x[order], y[order]
    n = spec.n_clients
    patch = np.arange(n) * k // n
    sigma = min(max(SCATTER * spec.radius_km / math.sqrt(k), SCATTER_MIN_KM), SCATTER_MAX_KM)
    cx = x[patch] + rng.normal(0, sigma, n)
    cy = y[patch] + rng.normal(0, sigma, n)
    lat, lon = to_latlon(cx, cy, spec.centre)
    return Town(x, y, patch, cx, cy, lat, lon, sigma)


# --- care packages -----------------------------------------------------------------------------------

@dataclass
class Calls:
    """The calls of the daily template, one per client and part of the day (double-ups once)."""

    client: np.ndarray
    part: np.ndarray
    minutes: np.ndarray
    kind: np.ndarray
    agreed_short: np.ndarray
    double: np.ndarray
    care: np.ndarray  # (clients, days): the client has care that day


def plan_care(spec: SynthSpec, rng: np.random.Generator) -> Calls:
    """Each client's package (parts of the day, length and kind of each call, double-ups), and the
    days they have care: every day for most, set weekdays for some, a stretch away for a few."""
    n = spec.n_clients
    per_day = rng.choice(4, n, p=CALLS_A_DAY) + 1
    parts = np.zeros((n, 4), bool)
    for count, options in PACKAGES.items():
        who = np.flatnonzero(per_day == count)
        chosen = pick(rng, options, len(who))
        for i, (letters, _) in enumerate(options):
            for letter in letters:
                parts[who[chosen == i], PARTS.index(letter)] = True

    double_parts = np.zeros((n, 4), bool)
    eligible = np.flatnonzero((per_day >= 2) & (parts[:, M] | parts[:, B]))
    if len(eligible):
        who = np.sort(rng.choice(eligible, min(len(eligible), round(DOUBLE_SHARE * n)), replace=False))
        chosen = pick(rng, DOUBLE_PARTS, len(who))
        wanted = np.array([[p in letters for p in PARTS] for letters, _ in DOUBLE_PARTS])[chosen]
        got = wanted & parts[who]
        got[~got.any(1)] = parts[who][~got.any(1)] & np.isin(np.arange(4), (M, B))
        double_parts[who] = got

    client, part = np.nonzero(parts)
    double = double_parts[client, part]
    minutes = np.zeros(len(client), "int64")
    kind = np.zeros(len(client), "int64")
    only = per_day[client] == 1
    for p in range(4):
        for menu, sel in ((MENU[p], ~only), (ONLY_VISIT.get(p), only)):
            idx = np.flatnonzero((part == p) & sel & ~double)
            if menu is None or not len(idx):
                continue
            chosen = pick(rng, menu, len(idx))
            minutes[idx] = np.array([m for _, m, _ in menu])[chosen]
            kind[idx] = np.array([k for k, _, _ in menu])[chosen]
        idx = np.flatnonzero((part == p) & double)
        if len(idx):
            minutes[idx] = rng.choice(DOUBLE_MINUTES[p], len(idx))
            kind[idx] = CARE
    agreed = (minutes == 15) & (rng.random(len(client)) < AGREED_SHORT)

    weekly = np.ones((n, 7), bool)
    some_days = np.flatnonzero(rng.random(n) >= EVERY_DAY)
    chosen = pick(rng, WEEKLY, len(some_days))
    for i, (days, _) in enumerate(WEEKLY):
        who = some_days[chosen == i]
        if days:
            weekly[who] = np.isin(np.arange(7), days)
        else:
            weekly[who, rng.integers(0, 7, len(who))] = False
    weekday = (spec.start.weekday() + np.arange(spec.days)) % 7
    care = weekly[:, weekday]
    away = np.flatnonzero(rng.random(n) < min(0.5, AWAY_PER_WEEK * spec.weeks))
    first = rng.integers(0, spec.days, len(away))
    last = first + rng.integers(*AWAY_DAYS, len(away), endpoint=True)
    day = np.arange(spec.days)
    care[away] &= ~((day >= first[:, None]) & (day < last[:, None]))
    return Calls(client, part, minutes, kind, agreed, double, care)


# --- runs and lines ----------------------------------------------------------------------------------

def staffing(workers: int, patches: int, calls: Calls) -> tuple[int, int]:
    """How many seats (owners) and double lines: 5/7 of the workers own a line, or more if the single
    calls need more lines of LINE_MINUTES; a double line per DOUBLE_RUN_MINUTES of double-up calls
    in the busier of morning and bed. A provider too small to staff a double line gives those calls
    to one carer (calls.double is cleared)."""
    work = calls.minutes + MEAN_GAP
    lines = max(patches, math.ceil(work[~calls.double].sum() / LINE_MINUTES))
    groups = max((math.ceil(work[calls.double & (calls.part == p)].sum() / DOUBLE_RUN_MINUTES) for p in (M, B)),
                 default=0)
    groups = max(0, min(groups, (workers - lines) // 2, (workers - patches) // 2))
    if not groups:
        calls.double[:] = False
    return min(workers, max(1, round(OWNER_SHARE * workers), lines + 2 * groups)), groups


@dataclass
class Runs:
    """Runs (one part of the day, visited in order) and the lines they make (a worker's day)."""

    call_run: np.ndarray
    call_pos: np.ndarray
    call_bad_hop: np.ndarray
    run_line: np.ndarray
    run_order: np.ndarray  # 0: the line's first run of the day, 1: its second
    run_part: np.ndarray
    run_patch: np.ndarray
    line_patch: np.ndarray
    line_seats: np.ndarray  # 2 for a double line


def part_runs(lines: int, calls: np.ndarray, load: np.ndarray) -> np.ndarray:
    """How many runs of each part a patch with ``lines`` lines has: one for each part with calls,
    then in proportion to the part's load (D'Hondt), never more than one per line or per call."""
    runs = (calls > 0).astype("int64")
    cap = np.minimum(calls, lines)
    for _ in range(2 * lines - int(runs.sum())):
        score = np.where(runs < cap, load / (runs + 1), -1.0)
        best = int(np.argmax(score))
        if score[best] < 0:
            break
        runs[best] += 1
    return runs


def pair_runs(runs: np.ndarray) -> list[tuple[int, ...]]:
    """Runs paired into lines: early (M, L) and late (T, B) where the numbers allow, split shifts
    (M with T or B) for the rest, a lone run where nothing is left to pair it with."""
    early, late = int(min(runs[M], runs[L])), int(min(runs[T], runs[B]))

    def rest() -> np.ndarray:
        return runs - np.array([early, early, late, late])

    while 2 * rest().max() > rest().sum() + 1:  # one part left over: free runs it can pair with
        if rest().argmax() in (M, L) and late:
            late -= 1
        elif rest().argmax() in (T, B) and early:
            early -= 1
        else:
            break
    lines = [(M, L)] * early + [(T, B)] * late
    left = rest().tolist()
    while sum(left):
        a, b = sorted(range(4), key=lambda p: -left[p])[:2]
        pair = (a, b) if left[b] else (a,)
        for p in pair:
            left[p] -= 1
        lines.append(tuple(sorted(pair)))
    return lines


def build_runs(rng: np.random.Generator, town: Town, calls: Calls, seats: int, groups: int) -> Runs:
    """Lines for each patch (in proportion to its work, ``seats`` in all), runs swept around the
    patch, and ``groups`` double lines, each across a group of neighbouring patches; a few calls
    swapped into far-off runs."""
    k = len(town.patch_x)
    patch = town.client_patch[calls.client]
    single = ~calls.double
    work = calls.minutes + MEAN_GAP
    n_calls = np.zeros((k, 4), "int64")
    np.add.at(n_calls, (patch[single], calls.part[single]), 1)
    load = np.zeros((k, 4))
    np.add.at(load, (patch[single], calls.part[single]), work[single])
    load /= WINDOW

    # lines per patch: enough to give every part with calls a run, the rest in proportion to load
    need = (np.count_nonzero(n_calls, axis=1) + 1) // 2
    budget = max(0, seats - 2 * groups - int(need.sum()))
    lines = np.minimum(need + apportion(budget, load.sum(1)), n_calls.sum(1))

    run_line, run_order, run_part, run_patch = [], [], [], []
    line_patch, run_count = [], np.zeros((k, 4), "int64")
    for p in range(k):
        if not lines[p]:
            continue
        counter, slot = [0] * 4, {}
        for parts in pair_runs(part_runs(int(lines[p]), n_calls[p], load[p])):
            for order, part in enumerate(parts):
                slot[part, counter[part]] = (len(line_patch), order)
                counter[part] += 1
            line_patch.append(p)
        for part in range(4):
            for j in range(counter[part]):
                run_line.append(slot[part, j][0])
                run_order.append(slot[part, j][1])
                run_part.append(part)
                run_patch.append(p)
            run_count[p, part] = counter[part]
    run_base = (np.cumsum(run_count.ravel()) - run_count.ravel()).reshape(k, 4)
    line_seats = [1] * len(line_patch)

    call_run = np.zeros(len(calls.client), "int64")
    call_pos = np.zeros(len(calls.client), "int64")
    # singles: sort each patch's calls of a part by (untidy) bearing from a random start, cut into
    # runs of equal work, and visit each run from the centre outwards (every other run inwards)
    s = np.flatnonzero(single)
    dx = town.client_x[calls.client[s]] - town.patch_x[patch[s]]
    dy = town.client_y[calls.client[s]] - town.patch_y[patch[s]]
    bearing = 2 * np.pi * rng.random(k)
    angle = np.mod(np.arctan2(dy, dx) - bearing[patch[s]] + rng.normal(0, UNTIDY_RAD, len(s)), 2 * np.pi)
    order = np.lexsort((angle, calls.part[s], patch[s]))
    s, dist = s[order], (np.hypot(dx, dy) + rng.normal(0, UNTIDY_KM, len(s)))[order]
    group = patch[s] * 4 + calls.part[s]
    first = group_first(group)
    done = cumsum_within(work[s], first) - work[s] / 2
    total = np.bincount(group, work[s], minlength=4 * k)[group]
    runs_here = run_count.ravel()[group]
    j = np.minimum((done / total * runs_here).astype("int64"), runs_here - 1)
    call_run[s] = run_base.ravel()[group] + j
    order = np.lexsort((np.where(j % 2 == 0, dist, -dist), call_run[s]))
    call_pos[s[order]] = np.arange(len(s)) - group_first(call_run[s][order])

    # doubles: clients split into groups of neighbouring patches, one double line per group
    d = np.flatnonzero(calls.double)
    if len(d):
        who, at = np.unique(calls.client[d], return_inverse=True)
        per_client = np.bincount(at, work[d])
        order = np.lexsort((np.arctan2(town.client_y[who], town.client_x[who]), town.client_patch[who]))
        done = np.empty(len(who))
        done[order] = np.cumsum(per_client[order]) - per_client[order] / 2
        client_group = np.minimum((done / per_client.sum() * groups).astype("int64"), groups - 1)
        double_run = np.full((groups, 4), -1)
        for g in range(groups):
            members = who[client_group == g]
            if not len(members):
                continue
            here = np.isin((M, B), calls.part[d][client_group[at] == g])
            parts = [p for p, has in zip((M, B), here) if has]
            middle = members[len(members) // 2]
            for order_in_line, part in enumerate(parts):
                double_run[g, part] = len(run_line)
                run_line.append(len(line_patch))
                run_order.append(order_in_line)
                run_part.append(part)
                run_patch.append(int(town.client_patch[middle]))
            line_patch.append(int(town.client_patch[middle]))
            line_seats.append(2)
        call_run[d] = double_run[client_group[at], calls.part[d]]
        rank = np.lexsort((np.arctan2(town.client_y[calls.client[d]], town.client_x[calls.client[d]]),
                           town.client_patch[calls.client[d]], call_run[d]))
        call_pos[d[rank]] = np.arange(len(d)) - group_first(call_run[d][rank])

    # bad hops: swap a few calls with a call of the same part across the patch or next door
    n_bad = round(BAD_HOP_SHARE * len(s) / 2)
    a = rng.choice(s, n_bad, replace=False) if n_bad else np.zeros(0, "int64")
    near = np.clip(patch[a] + rng.integers(-1, 2, len(a)), 0, k - 1)
    key = near * 4 + calls.part[a]
    start = np.searchsorted(group, key)
    size = np.searchsorted(group, key, side="right") - start
    ok = size > 0
    b = s[start[ok] + (rng.random(ok.sum()) * size[ok]).astype("int64")]
    a = a[ok]
    seen = np.bincount(np.concatenate([a, b]), minlength=len(calls.client))
    apart = distance_km(town.client_lat[calls.client[a]], town.client_lon[calls.client[a]],
                        town.client_lat[calls.client[b]], town.client_lon[calls.client[b]])
    keep = (a != b) & (seen[a] == 1) & (seen[b] == 1) & (apart <= BAD_HOP_KM)
    a, b = a[keep], b[keep]
    call_run[a], call_run[b] = call_run[b], call_run[a].copy()
    call_pos[a], call_pos[b] = call_pos[b], call_pos[a].copy()
    bad = np.zeros(len(calls.client), bool)
    bad[a] = bad[b] = True
    return Runs(call_run, call_pos, bad, np.array(run_line), np.array(run_order), np.array(run_part),
                np.array(run_patch), np.array(line_patch), np.array(line_seats))


def time_runs(rng: np.random.Generator, runs: Runs, calls: Calls, town: Town) -> tuple[np.ndarray, np.ndarray]:
    """Start times of the template (minutes after midnight), the same every day: each run starts at
    a set time (a line's second run after its first has ended; both sooner if the line would end
    after LATEST) and goes back to back, with planned gaps that are mostly zero. Also each call's hop
    from the one before it in its run, km."""
    order = np.lexsort((runs.call_pos, runs.call_run))
    run = runs.call_run[order]
    first = group_first(run)
    is_first = first == np.arange(len(run))
    client = calls.client[order]
    prev = np.roll(client, 1)
    hop = np.where(is_first, 0.0, distance_km(town.client_lat[prev], town.client_lon[prev],
                                              town.client_lat[client], town.client_lon[client]))
    gap = np.where(is_first, 0, rng.choice(GAPS[0], len(run), p=GAPS[1]))
    allowed = np.rint(hop / SPEED_KMH["drive"] * 12) * 5  # straight line, to the nearest 5 minutes
    gap = np.where((hop > LONG_HOP_KM) & ~runs.call_bad_hop[order], np.maximum(gap, allowed), gap).astype("int64")
    minutes = calls.minutes[order]
    offset = cumsum_within(minutes + gap, first) - minutes
    n_runs = len(runs.run_line)
    length = np.zeros(n_runs, "int64")
    np.maximum.at(length, run, offset + minutes)

    start = FIRST_START[runs.run_part] + 5 * rng.integers(0, 7, n_runs)
    first_run = np.full(len(runs.line_patch), -1)
    firsts = np.flatnonzero(runs.run_order == 0)
    first_run[runs.run_line[firsts]] = firsts
    seconds = np.flatnonzero(runs.run_order == 1)
    before = first_run[runs.run_line[seconds]]
    end = start[before] + length[before] + BREAK
    over = np.where(end > start[seconds], end + length[seconds] - LATEST, 0)  # only if the second waits
    start[before] -= np.clip(-(-over // 5) * 5, 0, EARLY)
    after = -(-(start[before] + length[before] + BREAK) // 5) * 5
    start[seconds] = np.maximum(after, np.minimum(start[seconds], (LATEST - length[seconds]) // 5 * 5))

    call_start = np.empty(len(run), "int64")
    call_start[order] = start[run] + offset
    call_hop = np.empty(len(run))
    call_hop[order] = hop
    return call_start, call_hop


# --- workers and who works each line each day --------------------------------------------------------

@dataclass
class Crew:
    """Seats (a line has one, a double line two), their owners, and the workers."""

    seat_line: np.ndarray
    seat_patch: np.ndarray
    seat_owner: np.ndarray
    seat_half: np.ndarray  # DAY: the line ends by DAY_ENDS, EVENING: starts from EVENING_STARTS, else 0
    worker_patch: np.ndarray
    relief: np.ndarray  # the worker covers others' days off rather than owning a line
    off: np.ndarray  # (workers, 7): weekly days off, by weekday
    absent: np.ndarray  # (workers, days): sickness
    mode: np.ndarray  # index into MODES


def match(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``a`` and ``b`` (both sorted) paired by equal key, first with first."""
    n = max(len(a), len(b)) + 1
    _, ia, ib = np.intersect1d(a * n + np.arange(len(a)) - group_first(a),
                               b * n + np.arange(len(b)) - group_first(b), assume_unique=True,
                               return_indices=True)
    return ia, ib


def hire(spec: SynthSpec, rng: np.random.Generator, patches: int, runs: Runs, calls: Calls,
         call_start: np.ndarray, call_hop: np.ndarray) -> Crew:
    """Each patch's workers: the owners of its seats, then relief in proportion. Owners' two days off
    are staggered across the patch; relief take theirs on the days fewest owners are off. Owners of
    the most compact runs walk; in London many of the others take the bus."""
    w, k = spec.workers, patches
    seat_line = np.repeat(np.arange(len(runs.line_patch)), runs.line_seats)
    seat_line = seat_line[np.argsort(runs.line_patch[seat_line], kind="stable")]
    seat_patch = runs.line_patch[seat_line]
    owners = np.bincount(seat_patch, minlength=k)
    relief = apportion(w - len(seat_line), owners)
    size = owners + relief
    patch_start = np.cumsum(size) - size
    # a place per owner and relief worker; only a tiny provider has more seats than workers, and
    # then a worker owns more than one
    place_patch = np.repeat(np.arange(k), size)
    rank = np.arange(len(place_patch)) - patch_start[place_patch]
    seat_owner = (patch_start[seat_patch] + np.arange(len(seat_line)) - group_first(seat_patch)) % w
    worker_patch, worker_rank = place_patch[:w], rank[:w]
    is_relief = worker_rank >= owners[worker_patch]

    shift = rng.integers(0, 7, k)
    off = np.zeros((w, 7), bool)
    owner = np.flatnonzero(~is_relief)
    day = (worker_rank[owner] + shift[worker_patch[owner]]) % 7
    off[owner, day] = off[owner, (day + 1) % 7] = True
    surplus = relief[:, None] - np.array([np.bincount(worker_patch[owner][off[owner, d]], minlength=k)
                                          for d in range(7)]).T
    for j in range(int(relief.max()) if k else 0):
        ps = np.flatnonzero(relief > j)
        pair = surplus[ps] + np.roll(surplus[ps], -1, axis=1) + 0.1 * rng.random((len(ps), 7))
        day = pair.argmax(1)
        surplus[ps, day] -= 1
        surplus[ps, (day + 1) % 7] -= 1
        who = patch_start[ps] + owners[ps] + j
        off[who, day] = off[who, (day + 1) % 7] = True

    spells = np.argwhere(rng.random((w, spec.days)) < ABSENCE)
    ends = np.minimum(spells[:, 1] + rng.integers(*ABSENCE_DAYS, len(spells), endpoint=True), spec.days)
    change = np.zeros((w, spec.days + 1), "int64")
    np.add.at(change, (spells[:, 0], spells[:, 1]), 1)
    np.add.at(change, (spells[:, 0], ends), -1)
    absent = np.cumsum(change, axis=1)[:, : spec.days] > 0

    call_line = runs.run_line[runs.call_run]
    hop = np.bincount(call_line, call_hop, len(runs.line_patch)) / np.maximum(
        np.bincount(call_line, minlength=len(runs.line_patch)), 1)
    single_seat = np.flatnonzero(runs.line_seats[seat_line] == 1)
    compact = single_seat[np.argsort(hop[seat_line[single_seat]], kind="stable")]
    compact = compact[hop[seat_line[compact]] <= WALKABLE_HOP_KM][: round(WALK_SHARE * w)]
    mode = np.full(w, DRIVE)
    if spec.london:
        mode[rng.random(w) < LONDON_TRANSIT] = TRANSIT
    mode[seat_owner[compact]] = WALK

    first, last = np.full(len(runs.line_patch), 24 * 60), np.zeros(len(runs.line_patch), "int64")
    np.minimum.at(first, call_line, call_start)
    np.maximum.at(last, call_line, call_start + calls.minutes)
    half = np.where(last <= DAY_ENDS, DAY, np.where(first >= EVENING_STARTS, EVENING, 0))[seat_line]
    return Crew(seat_line, seat_patch, seat_owner, half, worker_patch, is_relief, off, absent, mode)


def cover(today: np.ndarray, seats: np.ndarray, workers: np.ndarray, seat_key: np.ndarray,
          worker_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give ``seats`` to ``workers`` with the same key (both sorted by it), first with first, in
    ``today``; the seats and workers left over."""
    a, b = match(seat_key, worker_key)
    today[seats[a]] = workers[b]
    return np.delete(seats, a), np.delete(workers, b)


def staff_days(spec: SynthSpec, crew: Crew) -> np.ndarray:
    """Who works each seat each day (seats × days): the owner, or when the owner is off, relief of
    the patch, then relief from a nearby patch, then the owner of a day line for an evening line (or
    the reverse) in the patch, then any relief at all; failing those the owner works the day off."""
    w = len(crew.worker_patch)
    owns = np.zeros(w, "int64")
    owns[crew.seat_owner] = crew.seat_half
    staff = np.repeat(crew.seat_owner[:, None], spec.days, axis=1)
    weekday = (spec.start.weekday() + np.arange(spec.days)) % 7
    for d in range(spec.days):
        today = staff[:, d]  # a view: assignments land in staff
        away = crew.off[:, weekday[d]] | crew.absent[:, d]
        need = np.flatnonzero(away[crew.seat_owner])
        free = np.flatnonzero(crew.relief & ~away)
        spare = np.flatnonzero(~crew.relief & ~away)
        for shift in (0, *np.ravel([(s, -s) for s in range(1, NEAR_PATCHES + 1)])):
            need, free = cover(today, need, free, crew.seat_patch[need] + shift, crew.worker_patch[free])
        for half, other in ((DAY, EVENING), (EVENING, DAY)):
            mine, theirs = need[crew.seat_half[need] == half], spare[owns[spare] == other]
            left, unused = cover(today, mine, theirs, crew.seat_patch[mine], crew.worker_patch[theirs])
            need = np.setdiff1d(need, np.setdiff1d(mine, left), assume_unique=True)
            spare = np.setdiff1d(spare, np.setdiff1d(theirs, unused), assume_unique=True)
        n = min(len(need), len(free))
        today[need[:n]] = free[:n]
    return staff


# --- visits, call monitoring and pay -----------------------------------------------------------------

def visit_rows(spec: SynthSpec, rng: np.random.Generator, calls: Calls, runs: Runs, crew: Crew,
               staff: np.ndarray, call_start: np.ndarray, numbers: tuple[np.ndarray, np.ndarray]) -> dict:
    """One row per seat, call and day the client has care, with a few visits given to a worker who
    is at another client at that time (double bookings); sorted by worker, start and client."""
    worker_no, client_no = numbers
    n_lines = len(runs.line_patch)
    line_seat = np.full(n_lines, len(crew.seat_line))
    np.minimum.at(line_seat, crew.seat_line, np.arange(len(crew.seat_line)))
    call_line = runs.run_line[runs.call_run]
    per_call = runs.line_seats[call_line]
    slot_call = np.repeat(np.arange(len(call_line)), per_call)
    slot_seat = line_seat[call_line[slot_call]] + np.arange(len(slot_call)) - np.repeat(np.cumsum(per_call) - per_call,
                                                                                        per_call)
    slot, day = np.nonzero(calls.care[calls.client[slot_call]])
    call, seat = slot_call[slot], slot_seat[slot]
    worker = staff[seat, day]

    # double bookings: of two visits at the same time in one patch and part of the day, give the
    # second to the first's worker as well
    start = day * 1440 + call_start[call]
    run = runs.call_run[call]
    by_time = np.lexsort((start, runs.run_part[run], runs.run_patch[run]))
    a, b = by_time[:-1], by_time[1:]
    clash = np.flatnonzero((runs.run_patch[run[a]] == runs.run_patch[run[b]])
                           & (runs.run_part[run[a]] == runs.run_part[run[b]])
                           & (start[b] < start[a] + calls.minutes[call[a]]) & (worker[a] != worker[b])
                           & ~calls.double[call[a]] & ~calls.double[call[b]])
    days_worked = len(np.unique(worker * spec.days + day))
    moved = rng.choice(clash, min(len(clash), max(1, round(DOUBLE_BOOKING_SHARE * days_worked))), replace=False)
    worker[b[moved]] = worker[a[moved]]

    order = np.lexsort((client_no[calls.client[call]], start, worker_no[worker]))
    return {"call": call[order], "seat": seat[order], "day": day[order], "worker": worker[order],
            "start": start[order]}


def monitor(rng: np.random.Generator, days: int, rows: dict, calls: Calls, crew: Crew) -> tuple[np.ndarray, np.ndarray]:
    """Check-in and check-out (minutes from the first day's midnight; NaN when missed). A worker
    arrives at the planned time give or take, unless the last visit and the real journey make them
    later: a_i = max(planned_i + noise, a_(i-1) + delivered_(i-1) + travel_i) within a worker's day,
    solved in closed form with a running maximum."""
    n = len(rows["call"])
    call, worker = rows["call"], rows["worker"]
    planned = calls.minutes[call]
    first = group_first(worker * days + rows["day"])
    is_first = first == np.arange(n)
    mode = crew.mode[worker]
    speed, circuity = MODE_KMH[mode], MODE_CIRCUITY[mode]
    km = rows["km"]
    travel = np.where(is_first, 0.0, km * circuity / speed * 60
                      * rng.lognormal(-TRAFFIC_SD ** 2 / 2, TRAFFIC_SD, n))

    u = rng.random(n)
    delivered = planned + rng.choice(DELIVERED[0], n, p=DELIVERED[1])
    clipped = u < CLIPPED
    delivered[clipped] = np.rint(planned[clipped] * rng.uniform(*CLIP_TO, clipped.sum()))
    over = (u >= CLIPPED) & (u < CLIPPED + OVERRUN)
    delivered[over] = planned[over] + rng.integers(*OVERRUN_MIN, over.sum(), endpoint=True)
    delivered = np.maximum(delivered, 2)

    arrive = rows["start"] + np.clip(np.rint(rng.normal(0, ARRIVAL_SD, n)), -10, 10)
    step = np.where(is_first, 0.0, np.roll(delivered, 1) + travel)
    reach = cumsum_within(step, first)
    actual_start = np.rint(reach + cummax_within(arrive - reach, first))
    actual_end = actual_start + delivered
    missed = rng.random(n) < MISSED
    actual_start[missed] = actual_end[missed] = np.nan
    return actual_start, actual_end


def legs(rows: dict, calls: Calls, town: Town) -> None:
    """Each row's distance from the worker's previous visit (km; 0 for the first), and whether that
    was in the same shift: a planned gap of at most SHIFT_GAP minutes."""
    client, worker = calls.client[rows["call"]], rows["worker"]
    n = len(client)
    prev = np.roll(client, 1)
    same = np.zeros(n, bool)
    same[1:] = worker[1:] == worker[:-1]
    end = rows["start"] + calls.minutes[rows["call"]]
    rows["km"] = np.where(same, distance_km(town.client_lat[prev], town.client_lon[prev], town.client_lat[client],
                                            town.client_lon[client]), 0.0)
    rows["in_shift"] = same & (rows["start"] - np.roll(end, 1) <= SHIFT_GAP)


def pay(spec: SynthSpec, rng: np.random.Generator, rows: dict, calls: Calls, crew: Crew) -> dict[str, np.ndarray]:
    """Pay columns by each worker's scheme: per visit; hourly for contact time only; or hourly with
    travel paid on the provider's estimate (straight line, whole minutes, so short of the real
    journey). Drivers get mileage for legs within a shift."""
    scheme = rng.choice(3, spec.workers, p=SCHEMES)[rows["worker"]]
    rate = rng.choice(HOURLY, spec.workers)[rows["worker"]]
    minutes = calls.minutes[rows["call"]]
    mode = crew.mode[rows["worker"]]
    km = np.where(rows["in_shift"], rows["km"], 0.0)
    estimate = np.rint(km / MODE_KMH[mode] * 60)
    per_visit = np.zeros(61)
    per_visit[list(PER_VISIT)] = list(PER_VISIT.values())
    return {
        "visit_pay": np.where(scheme == PER_VISIT_PAY, per_visit[minutes], np.nan),
        "hourly_rate": np.where(scheme == PER_VISIT_PAY, np.nan, rate),
        "travel_pay": np.where(scheme == TRAVEL_PAID, np.round(estimate * rate / 60, 2), np.nan),
        "mileage_pay": np.where(mode == DRIVE, np.round(km * CIRCUITY["drive"] / KM_PER_MILE * MILEAGE, 2), np.nan),
    }


def named_teams(rng: np.random.Generator, rows: dict, calls: Calls, crew: Crew, names: pa.Array,
                n_clients: int) -> pa.Array:
    """Each client's named team: up to three owners of the lines that visit them (most hours first)
    and the relief worker who covers them most; none for a few clients, so carerota infers one."""
    client, worker = calls.client[rows["call"]], rows["worker"]
    w = len(crew.worker_patch)
    pair, at = np.unique(client * w + worker, return_inverse=True)
    minutes = np.bincount(at, calls.minutes[rows["call"]])
    owner = np.zeros(len(pair), bool)
    np.logical_or.at(owner, at, worker == crew.seat_owner[rows["seat"]])
    c, who = pair // w, pair % w
    order = np.lexsort((who, -minutes, ~owner, c))
    rank = np.arange(len(order)) - group_first((c * 2 + ~owner)[order])
    keep = order[np.where(owner[order], rank < 3, rank < 1)]
    keep = keep[np.lexsort((names.take(pa.array(who[keep])).to_numpy(zero_copy_only=False), c[keep]))]
    position = np.arange(len(keep)) - group_first(c[keep])
    columns = []
    for p in range(4):
        index = np.full(n_clients, -1)
        index[c[keep][position == p]] = who[keep][position == p]
        columns.append(names.take(pa.array(index, mask=index < 0)))
    # members fill positions from the left, so empty ones trail ("skip" would drop all-null rows)
    team = pc.utf8_rtrim(pc.binary_join_element_wise(*columns, ";", null_handling="replace"), characters=";")
    return pc.if_else(pa.array(rng.random(n_clients) < NO_TEAM), "", team)


# --- tables and files --------------------------------------------------------------------------------

def ids(prefix: str, n: int, order: np.ndarray | None = None) -> pa.Array:
    """prefix + number zero-padded to the width of n: W01..W50, C00001..C15000."""
    numbers = np.arange(1, n + 1) if order is None else order + 1
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), len(str(n)), padding="0")
    return pc.binary_join_element_wise(prefix, text, "")


def text(values) -> pd.Series:
    return pd.Series(pd.array(values, dtype="str"))


def synthesise(spec: SynthSpec) -> Synthetic:
    """Generate a provider's rota, clients and workers from ``spec`` (deterministic in the seed)."""
    rng = np.random.default_rng(spec.seed)
    town = place(spec, rng)
    calls = plan_care(spec, rng)
    seats, groups = staffing(spec.workers, len(town.patch_x), calls)
    runs = build_runs(rng, town, calls, seats, groups)
    call_start, call_hop = time_runs(rng, runs, calls, town)
    crew = hire(spec, rng, len(town.patch_x), runs, calls, call_start, call_hop)
    staff = staff_days(spec, crew)
    worker_no = rng.permutation(spec.workers)
    client_no = rng.permutation(spec.n_clients)
    rows = visit_rows(spec, rng, calls, runs, crew, staff, call_start, (worker_no, client_no))
    legs(rows, calls, town)
    actual_start, actual_end = monitor(rng, spec.days, rows, calls, crew)
    money = pay(spec, rng, rows, calls, crew)

    worker_names = ids("W", spec.workers, worker_no)  # by internal index
    client_names = ids("C", spec.n_clients, client_no)
    visit, _ = pd.factorize(rows["call"].astype("int64") * spec.days + rows["day"])
    first = np.datetime64(spec.start, "m")

    def when(minutes: np.ndarray) -> pd.Series:
        return pd.Series((first + minutes.astype("timedelta64[m]")).astype("datetime64[s]"))

    call = rows["call"]
    rota = pd.DataFrame({
        "visit_id": text(ids("V", int(visit.max()) + 1 if len(visit) else 1, visit)),
        "worker_id": text(worker_names.take(pa.array(rows["worker"]))),
        "client_id": text(client_names.take(pa.array(calls.client[call]))),
        "start": when(rows["start"]),
        "end": when(rows["start"] + calls.minutes[call]),
        "actual_start": when(np.where(np.isnan(actual_start), np.iinfo("int64").min, actual_start).astype("int64")),
        "actual_end": when(np.where(np.isnan(actual_end), np.iinfo("int64").min, actual_end).astype("int64")),
        **money,
        "visit_type": text(pa.array(VISIT_TYPES).take(pa.array(calls.kind[call]))),
        "agreed_short": calls.agreed_short[call],
    })

    team = named_teams(rng, rows, calls, crew, worker_names, spec.n_clients)
    by_client = np.argsort(client_no)
    clients = pd.DataFrame({
        "client_id": text(client_names.take(pa.array(by_client))),
        "lat": town.client_lat[by_client], "lon": town.client_lon[by_client],
        "named_team": text(team.take(pa.array(by_client))),
    })

    by_worker = np.argsort(worker_no)
    young = rng.random(spec.workers) < YOUNG
    age = np.where(young, rng.integers(18, 21, spec.workers), rng.integers(AGES[0], AGES[1] + 1, spec.workers))
    born = np.datetime64(spec.start, "D") - np.floor(age * 365.2425 + rng.uniform(2, 360, spec.workers)).astype(
        "timedelta64[D]")
    sigma = 1.5 * town.sigma
    home_lat, home_lon = to_latlon(town.patch_x[crew.worker_patch] + rng.normal(0, sigma, spec.workers),
                                   town.patch_y[crew.worker_patch] + rng.normal(0, sigma, spec.workers), spec.centre)
    workers = pd.DataFrame({
        "worker_id": text(worker_names.take(pa.array(by_worker))),
        "date_of_birth": pd.Series(born[by_worker].astype("datetime64[s]")),
        "travel_mode": text(pa.array(MODES).take(pa.array(crew.mode[by_worker]))),
        "london": np.full(spec.workers, spec.london),
        "home_lat": home_lat[by_worker], "home_lon": home_lon[by_worker],
    })
    return Synthetic(rota, clients, workers)


MONEY = ("visit_pay", "hourly_rate", "travel_pay", "mileage_pay")
DATES = ("date_of_birth",)
HHMM = pa.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)])


def decimals(x: np.ndarray, places: int) -> pa.Array:
    """Numbers with a fixed number of decimal places (9.50, -1.78500); NaN becomes an empty cell."""
    missing = np.isnan(x)
    scaled = np.rint(np.where(missing, 0, x) * 10 ** places).astype("int64")
    whole, part = np.divmod(np.abs(scaled), 10 ** places)
    sign = pc.if_else(pa.array(scaled < 0), "-", "")
    return pc.binary_join_element_wise(sign, pc.cast(pa.array(whole, mask=missing), pa.string()), ".",
                                       pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), places, padding="0"), "")


def clock(times: pd.Series, with_time: bool) -> pa.Array:
    """Naive date-times as "YYYY-MM-DD HH:MM" (or the date alone) by integer arithmetic on minutes:
    strftime on a million rows would take seconds."""
    minutes = times.to_numpy().astype("datetime64[m]")
    missing = np.isnat(minutes)
    day, minute = np.divmod(np.where(missing, 0, minutes.astype("int64")), 1440)
    first, last = (day[~missing].min(), day.max()) if (~missing).any() else (0, 0)
    dates = pa.array(np.datetime_as_string(np.arange(first, last + 1).astype("datetime64[D]")))
    out = dates.take(pa.array(np.where(missing, 0, day - first), mask=missing))
    return pc.binary_join_element_wise(out, HHMM.take(pa.array(minute)), " ") if with_time else out


def cells(frame: pd.DataFrame) -> pa.Table:
    """The table as the text of its CSV cells."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = clock(column, with_time=name not in DATES)
        elif pd.api.types.is_bool_dtype(column):
            out[name] = pc.if_else(pa.array(column.to_numpy()), "true", "false")
        elif pd.api.types.is_float_dtype(column):
            out[name] = decimals(column.to_numpy(), 2 if name in MONEY else 5)
        else:
            out[name] = pa.array(column, from_pandas=True)
    return pa.table(out)


def write(synthetic: Synthetic, folder: str | Path) -> list[Path]:
    """Write rota.csv, clients.csv and workers.csv to ``folder`` (created if missing); their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("rota", synthetic.rota), ("clients", synthetic.clients), ("workers", synthetic.workers)):
        path = folder / f"{name}.csv"
        with open(path, "wb") as f:
            f.write((",".join(frame.columns) + "\n").encode())
            pacsv.write_csv(cells(frame), f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        paths.append(path)
    return paths
