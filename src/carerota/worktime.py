"""Working time of a home-care worker under the minimum-wage rules for time work.

Visit time, travel between visits and waiting between visits count; travel from home to the first
visit and from the last visit home does not, and neither does a genuine break. Which it is depends on
the gap between consecutive visits (see docs/method.md and GapRules).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carerota.load import LOCAL_TZ, SOURCE_FILE, lookup
from carerota.travel import TravelModel, leg_minutes

FIRST, OVERLAP, PAID, BREAK = "first", "overlap", "paid", "break"
LEGS = [FIRST, OVERLAP, PAID, BREAK]  # the categories of a visit's ``leg``


@dataclass(frozen=True)
class GapRules:
    """A gap of at most ``paid_gap`` minutes is working time in full (travel plus waiting); up to
    ``split_gap`` only the travel counts (a break taken on the way); longer starts a new shift."""

    paid_gap: float = 60
    split_gap: float = 180

    def __post_init__(self):
        if not 0 <= self.paid_gap <= self.split_gap:
            raise ValueError(
                f"expected 0 <= --paid-gap <= --split-gap, got {self.paid_gap:g} and {self.split_gap:g}")


def seconds(times: pd.Series) -> np.ndarray:
    """UTC instants as whole seconds since the epoch (NaT becomes the int64 minimum)."""
    return times.dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype("int64")


def local_dates(times: pd.Series) -> pd.Series:
    """The Europe/London calendar date of each UTC instant (naive midnight timestamps)."""
    return times.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()


def visit_times(visits: pd.DataFrame, *, use_actual: bool, client_codes: np.ndarray | None = None) -> pd.DataFrame:
    """Choose each visit's times (call monitoring where asked and complete, else planned), with the
    local date it starts on, and sort by worker and time: the order every later step relies on.
    The worker's and client's codes in id order are kept too (``id_codes``); ``client_codes``, the
    visits' client codes in id order, when the caller has them already."""
    has_actual = (visits["actual_start"].notna() & visits["actual_end"].notna()).to_numpy()
    used = has_actual & use_actual
    vstart = visits["actual_start"].where(used, visits["start"]) if use_actual else visits["start"]
    vend = visits["actual_end"].where(used, visits["end"]) if use_actual else visits["end"]
    worker, _ = pd.factorize(visits["worker_id"], sort=True)  # sorting codes, not strings
    client = pd.factorize(visits["client_id"], sort=True)[0] if client_codes is None else client_codes
    order = worker_time_order(worker, seconds(vstart), seconds(vend), visits["row"].to_numpy())
    in_order = bool((order == np.arange(len(order))).all())  # exports are often sorted already: no copy
    v = visits.copy(deep=False).reset_index(drop=True) if in_order else rows_in_order(visits, order)
    v["used_actual"], v["vstart"], v["vend"] = used[order], vstart.array.take(order), vend.array.take(order)
    v[CODES["worker_id"]], v[CODES["client_id"]] = worker[order], client[order]
    v["duration_s"] = (seconds(v["vend"]) - seconds(v["vstart"])).astype("float64")
    v["day"] = local_dates(v["vstart"])
    return v


CODES = {"worker_id": "worker_code", "client_id": "client_code"}  # kept by visit_times


def id_codes(v: pd.DataFrame, col: str) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(v[col], sort=True)`` for the worker or client ids of visits timed by
    ``visit_times``: the codes it kept are renumbered for the visits at hand (a part of them
    holds fewer ids), so the million ids are hashed once per audit, not once per step (20-35 ms
    each). Visits without them, or with a missing id, are factorised."""
    codes = v[CODES[col]].to_numpy() if CODES[col] in v else None
    if codes is None or not len(codes) or codes.min() < 0:
        return pd.factorize(v[col], sort=True)
    visit = np.full(int(codes.max()) + 1, -1)
    visit[codes] = np.arange(len(codes))  # a visit with each code (any one: they share the id)
    present = visit >= 0
    return (np.cumsum(present) - 1)[codes], pd.Index(v[col].array.take(visit[present]))


def rows_in_order(frame: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """``frame.take(order)`` with a fresh RangeIndex, column by column on two threads: numpy's and
    arrow's takes let go of the GIL, and most of a take's time is the fresh memory it fills."""
    with ThreadPoolExecutor(2) as pool:
        columns = list(pool.map(lambda col: frame[col].array.take(order), frame.columns))
    return pd.DataFrame(dict(zip(frame.columns, columns)), copy=False)


def worker_time_order(worker: np.ndarray, start: np.ndarray, end: np.ndarray, row: np.ndarray) -> np.ndarray:
    """``np.lexsort((row, end, start, worker))``, faster: worker and start packed in one integer
    (seconds from 1999 to 2099 times a million workers still fit in 63 bits) are sorted by a stable
    sort that runs through an export already in order, and only visits of one worker starting at
    the same second are ordered by end and row."""
    span = int(start.max()) - int(start.min()) + 1 if len(start) else 1  # Python ints: no overflow
    if len(start) == 0 or span * (int(worker.max()) + 1) >= 2**62:
        return np.lexsort((row, end, start, worker))
    packed = worker.astype("int64") * span + (start - start.min())
    order = np.argsort(packed, kind="stable")
    ordered = packed[order]
    tied = np.flatnonzero(ordered[1:] == ordered[:-1])
    if tied.size:
        at = np.union1d(tied, tied + 1)
        group = np.cumsum(np.r_[True, ordered[at][1:] != ordered[at][:-1]])
        pos = order[at]
        order[at] = pos[np.lexsort((pos, row[pos], end[pos], group))]
    return order


def working_time(
    v: pd.DataFrame, *, rules: GapRules, travel: TravelModel, modes: pd.Series, source: str
) -> tuple[pd.DataFrame, dict]:
    """Add travel, waiting, break and working seconds to visits prepared by ``visit_times``.

    ``modes`` maps worker_id to a travel mode (missing workers use the model's default). Travel and
    waiting belong to the visit they lead to; ``leg_travel_s`` is the whole journey, before a break
    caps what counts. Returns the visits and counts of how travel legs were found.
    """
    start, end = seconds(v["vstart"]), seconds(v["vend"])
    first_of_worker = np.ones(len(v), bool)  # visits are sorted by worker: a worker starts where the id changes
    ids = v["worker_id"].array
    first_of_worker[1:] = np.asarray(ids[1:] != ids[:-1], dtype=bool)
    worker = np.cumsum(first_of_worker) - 1
    running_end = pd.Series(end).groupby(worker).cummax().to_numpy()
    prev_end = np.roll(running_end, 1)
    gap = np.where(first_of_worker, np.iinfo("int64").max, start - prev_end)

    paid_limit, split_limit = rules.paid_gap * 60, rules.split_gap * 60
    leg = np.select([first_of_worker | (gap > split_limit), gap < 0, gap <= paid_limit], [0, 1, 2], 3).astype("int8")
    counted = leg != 0
    first_ids = ids[first_of_worker]
    mode_of_worker = lookup(pd.Series(first_ids), modes.astype(object), travel.default_mode)
    mode_names = pd.unique(np.append(mode_of_worker, travel.default_mode).astype(object))
    mode_codes = pd.Index(mode_names).get_indexer(mode_of_worker)[worker]
    new = {  # categories: a million short labels as text would cost more than all the arithmetic
        "leg": pd.Categorical.from_codes(leg, LEGS),
        "gap_s": np.where(counted, gap, np.nan),
        "prev_pos": np.where(counted, np.arange(len(v)) - 1, -1),  # the visit travelled from
        "travel_mode": pd.Categorical.from_codes(mode_codes, mode_names),
    }
    minutes, how = travel_between(v, counted, new["travel_mode"], travel, source)
    leg_s = np.zeros(len(v))
    leg_s[counted] = np.round(minutes * 60)

    overlap, paid, pause = (leg == LEGS.index(name) for name in (OVERLAP, PAID, BREAK))
    gap_pos = np.clip(np.where(counted, gap, 0), 0, None)
    travel_s = np.where(pause, np.minimum(leg_s, gap_pos), leg_s)
    waiting_s = np.where(paid, np.clip(gap_pos - leg_s, 0, None), 0.0)
    # Time in two overlapping visits is counted once: a worker cannot work two hours in one.
    contact_s = np.clip(end - np.where(overlap, np.maximum(start, prev_end), start), 0, None)
    new.update(travel_s=travel_s, waiting_s=waiting_s, break_s=np.where(pause, gap_pos - travel_s, 0.0),
               leg_travel_s=leg_s, contact_s=contact_s, working_s=contact_s + travel_s + waiting_s)
    return pd.concat([v.drop(columns=[c for c in new if c in v]), pd.DataFrame(new, index=v.index, copy=False)], axis=1), how


def travel_between(v: pd.DataFrame, counted: np.ndarray, travel_mode: pd.Categorical, travel: TravelModel,
                   source: str) -> tuple[np.ndarray, dict]:
    """Minutes of travel for each counted leg, worked out once per (from client, to client, mode).

    A client's home is the first location given for it; rows that disagree are reported.
    """
    client, names = id_codes(v, "client_id")
    mode, mode_names = travel_mode.codes, travel_mode.categories
    homes = v[["lat", "lon"]].groupby(client).first()
    lat = homes["lat"].reindex(range(len(names))).to_numpy()
    lon = homes["lon"].reindex(range(len(names))).to_numpy()
    frm, to, mo = np.roll(client, 1)[counted], client[counted], mode[counted]
    key = (frm.astype("int64") * len(names) + to) * len(mode_names) + mo
    first, inverse = distinct_keys(key)
    pairs = pd.DataFrame({
        "row": v["row"].to_numpy()[counted][first],
        **({"file": v[SOURCE_FILE].to_numpy()[counted][first]} if SOURCE_FILE in v else {}),
        "from_client": names.take(frm[first]), "to_client": names.take(to[first]),
        "from_lat": lat[frm[first]], "from_lon": lon[frm[first]],
        "to_lat": lat[to[first]], "to_lon": lon[to[first]],
        "mode": mode_names.take(mo[first]),
    }, copy=False)
    minutes, how = leg_minutes(pairs, travel, source)
    label_of_pair, labels = pd.factorize(how)
    counts = np.bincount(label_of_pair[inverse], minlength=len(labels))
    return minutes[inverse], {str(k): int(n) for k, n in sorted(zip(labels, counts)) if n}


def distinct_keys(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_index=True, return_inverse=True)`` without its sort of every key: the
    keys are hashed, and only the distinct ones (a few per cent of a rota's legs) are sorted."""
    codes, values = pd.factorize(key)
    order = np.argsort(values, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    seen = np.maximum.accumulate(codes) if len(codes) else codes
    first_seen = np.flatnonzero(np.diff(seen, prepend=-1) > 0)  # codes are numbered as first met
    return first_seen[order], rank[codes]
