"""Visit checks: short, clipped, late and unchecked visits, travel the rota leaves no time for, and
double bookings.

Citizens UK's care charter and NICE NG21 ask for visits of at least 30 minutes unless a shorter one is
agreed in advance; UNISON's Ethical Care Charter asks that visits are not rushed and travel time is
scheduled. Each flagged visit is one row: its rule and the minutes involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carerota.worktime import OVERLAP, seconds


@dataclass(frozen=True)
class VisitPolicy:
    min_visit: float = 30  # minutes
    clip_tolerance: float = 5  # minutes
    late_after: float = 30  # minutes


FLAG_COLUMNS = ["visit_id", "worker_id", "client_id", "row", "rule", "minutes", "start", "message"]


def minutes_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Minutes from ``earlier`` to ``later``; NaN where either is missing."""
    both = (later.notna() & earlier.notna()).to_numpy()
    out = np.full(len(later), np.nan)
    out[both] = (seconds(later[both]) - seconds(earlier[both])) / 60
    return out


def fmt(x: np.ndarray) -> pd.Series:
    """Minutes for messages: whole numbers without a decimal point."""
    return pd.Series(np.round(x, 1)).astype(str).str.replace(r"\.0$", "", regex=True)


def flag_visits(v: pd.DataFrame, policy: VisitPolicy, *, monitored: bool, travel: bool) -> pd.DataFrame:
    """Flag visits breaking a visit promise. ``v`` comes from worktime (sorted, with legs when
    ``travel``); ``monitored`` says whether the rota has call-monitoring columns at all."""
    planned = minutes_between(v["end"], v["start"])
    actual = minutes_between(v["actual_end"], v["actual_start"])
    who = v["visit_id"].astype(str) + " (" + v["worker_id"].astype(str) + " at " + v["client_id"].astype(str) + ")"
    agreed = v["agreed_short"].to_numpy(bool)
    flags = []

    def add(mask: np.ndarray, rule: str, minutes: np.ndarray, message: pd.Series) -> None:
        if mask.any():
            flags.append(pd.DataFrame({
                "visit_id": v["visit_id"][mask], "worker_id": v["worker_id"][mask],
                "client_id": v["client_id"][mask], "row": v["row"][mask], "rule": rule,
                "minutes": np.round(minutes[mask], 2), "start": v["start"][mask],
                "message": message[mask],
            }))

    floor = policy.min_visit
    add((planned < floor) & ~agreed, "short-visit", planned,
        who + " is planned for " + fmt(planned) + f" minutes, under {floor:g}, and not agreed as short")
    if monitored:
        checked_in = v["actual_start"].notna().to_numpy()
        add(checked_in & (planned >= floor) & (actual < floor) & ~agreed, "short-actual-visit", actual,
            who + " lasted " + fmt(actual) + f" minutes by call monitoring, under {floor:g}")
        cut = planned - actual
        add(cut > policy.clip_tolerance, "clipped-visit", cut,
            who + " lasted " + fmt(actual) + " of " + fmt(planned) + " planned minutes (" + fmt(cut) + " cut)")
        late = minutes_between(v["actual_start"], v["start"])
        add(late > policy.late_after, "late-start", late, who + " started " + fmt(late) + " minutes late")
        add(~checked_in, "missed-check-in", planned, who + " has no call-monitoring check-in")
    if travel:
        add_travel_flags(v, add, who)
    if not flags:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return pd.concat(flags, ignore_index=True)[FLAG_COLUMNS]


def add_travel_flags(v: pd.DataFrame, add, who: pd.Series) -> None:
    """Double bookings, and planned gaps shorter than the journey by at least a whole minute."""
    prev = v["prev_pos"].to_numpy()
    has_prev = prev >= 0
    prev_end = v["end"].iloc[np.where(has_prev, prev, 0)].reset_index(drop=True)
    prev_who = who.iloc[np.where(has_prev, prev, 0)].reset_index(drop=True)
    gap = minutes_between(v["start"], prev_end)
    overlap = (v["leg"] == OVERLAP).to_numpy()
    add(overlap, "overlapping-visits", -v["gap_s"].to_numpy() / 60,
        who + " is booked while " + prev_who + " is still on: " + fmt(-v["gap_s"].to_numpy() / 60)
        + " minutes overlap")
    journey = v["leg_travel_s"].to_numpy() / 60
    missing = journey - gap
    short = has_prev & ~overlap & (gap >= 0) & (missing >= 1)
    add(short, "travel-not-scheduled", missing,
        who + " follows " + prev_who + " after " + fmt(gap) + " minutes but the journey takes "
        + fmt(journey) + ": " + fmt(missing) + " minutes of travel not scheduled")
