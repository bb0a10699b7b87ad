"""Pay per worker and pay reference period against the wage floor: shortfall and arrears.

The minimum-wage test is pay in the pay reference period ÷ hours worked in it ≥ the rate in force on
the period's first day; hours may be averaged within a period, never across periods (NMW Regulations
2015 regs 6-7). Money is summed unrounded and rounded half-up to the penny once per worker-period, in
integer pence, so totals equal the sum of the rows shown.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from carerota.errors import Problems
from carerota.rates import NoRate, WageFloor, age_on, floor_rates

PERIOD_KINDS = ("week", "fortnight", "month")
FIRST_MONDAY = date(2024, 1, 1)  # any Monday: weeks start on Mondays unless anchored


@dataclass(frozen=True)
class PayPeriods:
    """Pay reference periods: weekly, fortnightly or monthly, optionally anchored on a start date."""

    kind: str = "week"
    anchor: date | None = None

    def __post_init__(self):
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"expected --period to be one of {', '.join(PERIOD_KINDS)}, got {self.kind!r}")


def to_pence(pounds) -> np.ndarray:
    """Round £ to whole pence, half up, ignoring float noise below a millionth of a penny."""
    return np.floor(np.round(np.asarray(pounds, dtype="float64") * 100, 6) + 0.5).astype("int64")


def month_start(day: date, anchor_day: int) -> date:
    """The latest date on or before ``day`` that falls on ``anchor_day`` (clipped to month end)."""
    year, month = day.year, day.month
    start = date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))
    if start > day:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        start = date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))
    return start


def period_bounds(dates: pd.Series, periods: PayPeriods) -> tuple[pd.Series, pd.Series]:
    """First and last day of the pay reference period holding each date (computed once per date)."""
    unique = pd.Series(dates.dropna().unique())
    if unique.empty:
        empty = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[us]")
        return empty, empty.copy()
    days = [d.date() for d in pd.to_datetime(unique)]
    if periods.kind == "month":
        anchor_day = periods.anchor.day if periods.anchor else 1
        starts = [month_start(d, anchor_day) for d in days]
        ends = [month_start(s + timedelta(days=31), anchor_day) - timedelta(days=1) for s in starts]
    else:
        length = 7 if periods.kind == "week" else 14
        anchor = periods.anchor or (
            FIRST_MONDAY if periods.kind == "week" else min(days) - timedelta(days=min(days).weekday())
        )
        starts = [anchor + timedelta(days=((d - anchor).days // length) * length) for d in days]
        ends = [s + timedelta(days=length - 1) for s in starts]
    lookup = pd.DataFrame({"start": pd.to_datetime(starts), "end": pd.to_datetime(ends)},
                          index=pd.to_datetime(unique))
    return (dates.map(lookup["start"]).astype("datetime64[us]"),
            dates.map(lookup["end"]).astype("datetime64[us]"))


def visit_pay(visits: pd.DataFrame, source: str) -> pd.Series:
    """Pay for each visit: ``visit_pay``, else ``hourly_rate`` × visit hours; plus ``travel_pay``.

    Mileage is an expense and never counts towards minimum-wage pay (NMW Regulations 2015 reg 10).
    A visit with no pay at all is an input error: treating it as unpaid could invent a shortfall.
    """
    by_hour = visits["hourly_rate"] * visits["duration_s"] / 3600
    pay = visits["visit_pay"].where(visits["visit_pay"].notna(), by_hour)
    missing = pay.isna().to_numpy()
    if missing.any():
        problems = Problems()
        problems.add_rows(source, visits["row"][missing], "visit_pay/hourly_rate",
                          [""] * int(missing.sum()), "expected visit_pay or hourly_rate for the visit")
        problems.hint("Give each visit its pay, or the workers' payslips with --payslips.")
        problems.raise_if_any()
    return pay + visits["travel_pay"].fillna(0.0)


SUMS = ("contact_s", "travel_s", "waiting_s", "working_s", "unpaid_travel_s")


def worker_periods(visits: pd.DataFrame, periods: PayPeriods, payslips: pd.DataFrame | None,
                   source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum each worker's visits, time and pay per pay reference period.

    ``visits`` come from ``worktime`` (with their local ``day``). Periods come from ``periods``, or
    from the payslips when given (their pay replaces the rota's).
    Returns the worker-periods and the visits that fell outside every payslip (reported, not lost).
    """
    v = visits.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    unpaid = v["travel_pay"].isna() | (v["travel_pay"] == 0)
    v["unpaid_travel_s"] = np.where(unpaid, v["travel_s"], 0.0)
    if payslips is None:
        v["period_start"], v["period_end"] = period_bounds(v["day"], periods)
        v["pay"] = visit_pay(v, source)
        outside = v.iloc[0:0]
    else:
        v, outside = match_payslips(v, payslips)
    grouped = v.groupby(["worker_id", "period_start", "period_end"], sort=True)
    wp = grouped[list(SUMS)].sum()
    wp.insert(0, "visits", grouped.size())
    if payslips is None:
        wp["pay"] = grouped["pay"].sum()
    else:
        slips = payslips.set_index(["worker_id", "period_start", "period_end"])["pay"]
        wp = wp.reindex(wp.index.union(slips.index), fill_value=0)
        wp["pay"] = slips.reindex(wp.index).to_numpy()
    return wp.reset_index(), outside


def match_payslips(visits: pd.DataFrame, payslips: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put each visit in the payslip period of its worker that contains its date."""
    slips = payslips[["worker_id", "period_start", "period_end"]].sort_values("period_start")
    v = visits.sort_values("day").reset_index(drop=True)
    v["day"] = v["day"].astype("datetime64[us]")
    slips = slips.astype({"period_start": "datetime64[us]", "period_end": "datetime64[us]"})
    matched = pd.merge_asof(v, slips, left_on="day", right_on="period_start", by="worker_id")
    inside = (matched["day"] <= matched["period_end"]).to_numpy()
    return matched.loc[inside], matched.loc[~inside]


def age_and_london(workers: pd.DataFrame | None, worker_id: pd.Series, on: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each row's worker's age on its date (from date_of_birth, else ``age``; NaN if unknown) and
    London flag, aligned with ``worker_id``."""
    age = pd.Series(np.nan, index=worker_id.index)
    london = pd.Series(False, index=worker_id.index)
    if workers is None or not len(workers):
        return age, london
    w = workers.reindex(worker_id.astype(str)).reset_index(drop=True)
    w.index = worker_id.index
    on = pd.to_datetime(on)
    from_dob = age_on(w["date_of_birth"], on) if w["date_of_birth"].notna().any() else age
    return from_dob.where(w["date_of_birth"].notna(), w["age"]), w["london"].fillna(False).astype(bool)


def apply_floor(wp: pd.DataFrame, workers: pd.DataFrame | None, floor: WageFloor,
                as_of: date) -> pd.DataFrame:
    """Floor rate, effective rate, shortfall and arrears for each worker-period.

    Age is taken on the period's first day (from date_of_birth, else the ``age`` column). Arrears
    follow the National Minimum Wage Act 1998 s.17(4): the higher of the shortfall A and A ÷ R1 × R2,
    where R1 is the rate for the period and R2 the rate for the same worker at ``as_of``.
    """
    wp = wp.copy()
    starts = pd.to_datetime(wp["period_start"])
    age, london = age_and_london(workers, wp["worker_id"], starts)
    wp["age_known"] = age.notna()
    then = floor_rates(floor, starts, age, london)
    try:
        now = floor_rates(floor, pd.Series(pd.Timestamp(as_of), index=wp.index), age, london)
    except NoRate as err:
        raise NoRate(err.scheme, err.first, as_of, as_of=True) from None
    wp["floor_rate"], wp["floor_band"], wp["floor_rate_now"] = then["rate"].to_numpy(), then["band"].to_numpy(), now["rate"].to_numpy()

    hours = wp["working_s"] / 3600
    wp["effective_rate"] = (wp["pay"] / hours).where(hours > 0)
    rate_p, rate_now_p = to_pence(wp["floor_rate"]), to_pence(wp["floor_rate_now"])
    due_p = rate_p * wp["working_s"].to_numpy() / 3600
    shortfall_p = np.clip(to_pence(due_p / 100 - wp["pay"].to_numpy()), 0, None)
    uplifted_p = (2 * shortfall_p * rate_now_p + rate_p) // (2 * rate_p)
    wp["pay_p"] = to_pence(wp["pay"])
    wp["shortfall_p"] = shortfall_p
    wp["arrears_p"] = np.maximum(shortfall_p, uplifted_p)
    wp["compliant"] = shortfall_p == 0
    return wp
