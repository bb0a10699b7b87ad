"""Figures as they leave carerota: the rounding rules, the words of the charter scorecard and small
formatters, shared by every renderer (terminal, JSON, CSV, HTML) so that they all say the same.

No Rich here: ``report.py`` draws the terminal, ``html_report.py`` the page.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from carerota.tender import COMPONENTS

MONEY = ("pay", "shortfall", "arrears", "floor_rate", "total_pay", "total_shortfall", "total_arrears",
         "pay_cost_at_floor", "price_per_hour", "cost_floor_per_hour", "margin", "planned_cost_floor_per_hour",
         "planned_margin", "wage_floor_low", "wage_floor_high", *COMPONENTS)


def clean(value, key: str = ""):
    """A JSON-safe value: NaN → None, numpy scalars → Python, money 2 dp, other floats 4 dp."""
    if isinstance(value, dict):
        return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, key) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2 if key in MONEY else 4)
    return value


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Output rounding, vectorised: money to the penny, other floats to 4 places, dates as text."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2 if col in MONEY else 4)
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = iso_local(out[col])
        elif len(out) and isinstance(out[col].iloc[0], date):
            out[col] = out[col].astype(str)
    return out


def iso_local(times: pd.Series) -> np.ndarray:
    """UTC instants as ISO 8601 UK local time with its offset, e.g. 2026-07-01T08:00:00+01:00."""
    utc = times.dt.tz_convert(None).to_numpy().astype("datetime64[s]")
    local = times.dt.tz_convert("Europe/London").dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    offset = np.where((local - utc).astype("int64") == 3600, "+01:00", "+00:00")
    return np.char.add(np.datetime_as_string(local, unit="s"), offset)


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def hours(x: float) -> str:
    return f"{x:,.2f}"


def money(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"£{x:,.2f}"



def scorecard_rows(summary: dict) -> list[tuple[str, bool, str]]:
    """(promise, passed, headline) for each charter promise whose check ran: the rows of the terminal's
    scorecard, for the terminal and the page alike."""
    s, t = summary, summary["thresholds"]

    def n(rule: str) -> int:
        return s["findings_by_rule"].get(rule, 0)

    rows = []
    if s["worker_periods"] is not None:
        rows.append(("Wage floor with travel counted", s["worker_periods_below_floor"] == 0,
                     f"{s['worker_periods_below_floor']} of {s['worker_periods']} worker-periods below; "
                     f"shortfall {money(s['total_shortfall'])}"))
    if s["worker_periods"] is not None and "visits" in s["checks"]:
        rows.append(("Travel time scheduled and paid",
                     s["unpaid_travel_hours"] == 0 and n("travel-not-scheduled") == 0,
                     f"{hours(s['unpaid_travel_hours'])} h of travel unpaid; "
                     f"{n('travel-not-scheduled')} journeys given too little time"))
    if "visits" in s["checks"]:
        rows.append((f"Visits of at least {t['min_visit_minutes']:g} minutes",
                     n("short-visit") == 0 and n("short-actual-visit") == 0,
                     f"{n('short-visit')} planned short without agreement "
                     f"({s['short_visit_share']:.0%} of visits short, {s['agreed_short_visits']} agreed)"
                     + (f"; {n('short-actual-visit')} delivered short" if s["call_monitoring"] else "")))
        delivered = n("overlapping-visits") + n("clipped-visit") + n("late-start") + n("missed-check-in")
        rows.append(("Visits delivered as planned", delivered == 0,
                     f"{plural(n('overlapping-visits'), 'double booking')}"
                     + (f"; {n('clipped-visit')} clipped, {n('late-start')} late, "
                        f"{n('missed-check-in')} without check-in" if s["call_monitoring"] else
                        "; no call-monitoring times to check")))
    if s["clients_below_continuity"] is not None:
        rows.append((f"{t['continuity_target']:.0%} of care from a named team", s["clients_below_continuity"] == 0,
                     f"{s['clients_below_continuity']} of {s['clients']} clients below; median share "
                     f"{s['median_team_share']:.0%}; most workers in a week: "
                     + ", ".join(f"{c['client_id']} {c['max_distinct_workers_per_week']}"
                                 for c in s["clients_most_workers"][:3])))
    return rows


