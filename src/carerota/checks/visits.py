"""Visit checks: short, clipped, late and unchecked visits, travel the rota leaves no time for, and
double bookings.

Citizens UK's care charter and NICE NG21 ask for visits of at least 30 minutes unless a shorter one is
agreed in advance; UNISON's Ethical Care Charter asks that visits are not rushed and travel time is
scheduled. Each flagged visit is one row: its rule and the minutes involved.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carerota.findings import RULE_POSITION, RULES, join, number, sort_order, text
from carerota.worktime import OVERLAP, id_codes, seconds


@dataclass(frozen=True)
class VisitPolicy:
    min_visit: float = 30  # minutes
    clip_tolerance: float = 5  # minutes
    late_after: float = 30  # minutes


FLAG_COLUMNS = ["visit_id", "worker_id", "client_id", "row", "rule", "minutes", "start", "message"]
# Flags are listed as the findings list them: by rule (in this order), then worker, client and row.
FLAG_ORDER = tuple(rule for rule, (_, promise, _) in RULES.items() if promise == "visits")


def minutes_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Minutes from ``earlier`` to ``later``; NaN where either is missing."""
    both = (later.notna() & earlier.notna()).to_numpy()
    with np.errstate(over="ignore"):  # NaT is int64's minimum: its differences are dropped
        return np.where(both, (seconds(later) - seconds(earlier)) / 60, np.nan)


def flag_visits(v: pd.DataFrame, policy: VisitPolicy, *, monitored: bool, travel: bool,
                messages: bool = True) -> pd.DataFrame:
    """Flag visits breaking a visit promise. ``v`` comes from worktime (sorted, with legs when
    ``travel``); ``monitored`` says whether the rota has call-monitoring columns at all. Without
    ``messages`` the message column is empty: a batch only counts the flags, and the text of a
    million of them is a good part of the work."""
    ids = {col: text(v[col]) for col in ("visit_id", "worker_id", "client_id")}
    row, start = v["row"].to_numpy(), v["start"].dt.tz_convert(None).to_numpy()  # naive UTC: no Timestamp objects
    flags = []

    def listing() -> np.ndarray:
        """The visits' positions in the findings' order (worker, client, row; stable): each rule's
        flags taken in it are the audit's findings as they are, not a million rows moved again."""
        return sort_order([v["row"].fillna(-1).to_numpy("int64"), id_codes(v, "client_id")[0],
                           id_codes(v, "worker_id")[0]])

    def flagged(mask: np.ndarray, rule: str, minutes: np.ndarray, message) -> pd.DataFrame:
        in_order = order.result()
        rows = in_order[mask[in_order]]
        taken = pa.array(rows)
        return pd.DataFrame({
            **{col: pd.Series(ids[col].take(taken), dtype="string") for col in ids},
            "row": row[rows], "rule": rule, "minutes": np.round(minutes[rows], 2), "start": start[rows],
            "message": join(*message(rows, who(rows))) if messages else None,
        }, copy=False)  # fresh arrays: no copy into one block

    def add(mask: np.ndarray, rule: str, minutes: np.ndarray, message) -> None:
        """``message(rows, who)`` gives the message pieces for the flagged positions ``rows``."""
        if mask.any():
            flags.append(pool.submit(flagged, mask, rule, minutes, message))

    def who(rows: np.ndarray):
        return who_all.result().take(pa.array(rows))

    floor = policy.min_visit
    # each rule's flags are taken and worded on two cores: arrow lets go of the GIL. The order and
    # the visits' descriptions ('V12 (W1 at C3)', taken for the flagged positions) come first, found
    # while the rules' masks are worked out here
    with ThreadPoolExecutor(2) as pool:
        order = pool.submit(listing)
        if messages:
            who_all = pool.submit(pc.binary_join_element_wise, ids["visit_id"], " (", ids["worker_id"], " at ",
                                  ids["client_id"], ")", "")
        if travel:  # often the most flags: worded first, so the two threads finish together
            add_travel_flags(v, add, who)
        planned = minutes_between(v["end"], v["start"])
        actual = minutes_between(v["actual_end"], v["actual_start"])
        agreed = v["agreed_short"].to_numpy(bool)
        add((planned < floor) & ~agreed, "short-visit", planned,
            lambda r, w: (w, " is planned for ", number(planned[r]), f" minutes, under {floor:g}, "
                          "and not agreed as short"))
        if monitored:
            checked_in = v["actual_start"].notna().to_numpy()
            add(checked_in & (planned >= floor) & (actual < floor) & ~agreed, "short-actual-visit", actual,
                lambda r, w: (w, " lasted ", number(actual[r]), f" minutes by call monitoring, under {floor:g}"))
            cut = planned - actual
            add(cut > policy.clip_tolerance, "clipped-visit", cut,
                lambda r, w: (w, " lasted ", number(actual[r]), " of ", number(planned[r]), " planned minutes (",
                              number(cut[r]), " cut)"))
            late = minutes_between(v["actual_start"], v["start"])
            add(late > policy.late_after, "late-start", late,
                lambda r, w: (w, " started ", number(late[r]), " minutes late"))
            add(~checked_in, "missed-check-in", planned, lambda r, w: (w, " has no call-monitoring check-in"))
        flags = sorted((f.result() for f in flags), key=lambda f: RULE_POSITION[f["rule"].iat[0]])
    if not flags:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    out = pd.concat(flags, ignore_index=True)[FLAG_COLUMNS]
    out["start"] = pd.to_datetime(out["start"], utc=True)
    return out


def add_travel_flags(v: pd.DataFrame, add, who) -> None:
    """Double bookings, and planned gaps shorter than the journey by at least a whole minute."""
    prev = v["prev_pos"].to_numpy()
    has_prev = prev >= 0
    prev_end = v["end"].iloc[np.where(has_prev, prev, 0)].reset_index(drop=True)
    gap = minutes_between(v["start"], prev_end)
    overlap_min = -v["gap_s"].to_numpy() / 60
    add((v["leg"] == OVERLAP).to_numpy(), "overlapping-visits", overlap_min,
        lambda r, w: (w, " is booked while ", who(prev[r]), " is still on: ", number(overlap_min[r]),
                      " minutes overlap"))
    journey = v["leg_travel_s"].to_numpy() / 60
    missing = journey - gap
    short = has_prev & (v["leg"] != OVERLAP).to_numpy() & (gap >= 0) & (missing >= 1)
    add(short, "travel-not-scheduled", missing,
        lambda r, w: (w, " follows ", who(prev[r]), " after ", number(gap[r]), " minutes but the journey takes ",
                      number(journey[r]), ": ", number(missing[r]), " minutes of travel not scheduled"))
