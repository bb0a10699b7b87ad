"""The audit pipeline: visits → working time → pay per worker-period → findings, as plain data.

Nothing here prints or knows about the command line; ``carerota.report`` renders an AuditResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from carerota import rates
from carerota.errors import InputError, Problem
from carerota.findings import Finding
from carerota.load import Rota
from carerota.pay import PayPeriods, apply_floor, worker_periods
from carerota.rates import WageFloor
from carerota.travel import TravelModel
from carerota.worktime import OVERLAP, GapRules, working_time


@dataclass(frozen=True)
class AuditSettings:
    floor: WageFloor = WageFloor("nlw")
    periods: PayPeriods = PayPeriods()
    rules: GapRules = GapRules()
    use_actual: bool = False
    travel: TravelModel = field(default_factory=TravelModel)
    as_of: date = field(default_factory=date.today)


@dataclass
class AuditResult:
    summary: dict
    workers: pd.DataFrame  # one row per worker and pay reference period (see WORKER_COLUMNS)
    findings: list[Finding]
    notes: list[str]
    visits: pd.DataFrame  # the visits with their working time, for further checks and reports
    settings: AuditSettings

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


WORKER_COLUMNS = [
    "worker_id", "period_start", "period_end", "visits", "contact_hours", "travel_hours",
    "waiting_hours", "working_hours", "pay", "effective_rate", "floor_rate", "shortfall", "arrears",
    "compliant", "floor_band", "age_known", "unpaid_travel_hours",
]


def locate(visits: pd.DataFrame, clients: pd.DataFrame | None) -> pd.DataFrame:
    """Fill each visit's lat/lon from the clients file where the rota row has none."""
    if clients is None:
        return visits
    v = visits.copy()
    for col in ("lat", "lon"):
        v[col] = v[col].fillna(v["client_id"].map(clients[col]))
    return v


def clients_with_two_homes(visits: pd.DataFrame) -> list[str]:
    distinct = visits.groupby("client_id")[["lat", "lon"]].nunique().max(axis=1)
    return sorted(distinct.index[distinct > 1].astype(str))


def audit(
    rota: Rota,
    *,
    clients: pd.DataFrame | None = None,
    workers: pd.DataFrame | None = None,
    payslips: pd.DataFrame | None = None,
    settings: AuditSettings | None = None,
) -> AuditResult:
    s = settings or AuditSettings()
    notes = list(rota.notes)
    if rota.skipped_rows:
        notes.append(f"{rota.name}: skipped {len(rota.skipped_rows)} empty row(s): "
                     + ", ".join(map(str, rota.skipped_rows[:10])) + (" ..." if len(rota.skipped_rows) > 10 else ""))
    modes = workers["travel_mode"].dropna() if workers is not None else pd.Series(dtype=object)
    located = locate(rota.visits, clients)
    moved = clients_with_two_homes(located)
    if moved:
        notes.append(f"{len(moved)} client(s) have more than one location in {rota.name} "
                     f"({', '.join(moved[:8])}{' ...' if len(moved) > 8 else ''}): the first was used.")
    visits, how = working_time(located, use_actual=s.use_actual, rules=s.rules, travel=s.travel,
                               modes=modes, source=rota.name)
    if s.use_actual:
        planned = int((~visits["used_actual"]).sum())
        if planned:
            notes.append(f"{planned} visit(s) have no complete check-in and check-out: planned times used.")
    if how.get("estimate"):
        notes.append(f"{how['estimate']} travel leg(s) estimated from distance (no travel matrix entry).")

    wp, outside = worker_periods(visits, s.periods, payslips, rota.name)
    if len(outside):
        notes.append(f"{len(outside)} visit(s) fall outside every payslip period of their worker and "
                     "are not in the pay figures (workers: " + ", ".join(sorted(outside["worker_id"].unique())[:10]) + ").")
    try:
        wp = apply_floor(wp, workers, s.floor, s.as_of)
    except ValueError as err:
        raise InputError(Problem(rota.name, str(err))) from None
    notes.extend(floor_notes(wp, workers, s))

    table = worker_table(wp)
    findings = pay_findings(table) + overlap_findings(visits)
    summary = summarise(visits, table, s)
    summary["rows_skipped"] = len(rota.skipped_rows)
    summary["visits_outside_payslips"] = len(outside)
    return AuditResult(summary, table, findings, notes, visits, s)


def floor_notes(wp: pd.DataFrame, workers: pd.DataFrame | None, s: AuditSettings) -> list[str]:
    notes = []
    unknown = sorted(wp.loc[~wp["age_known"], "worker_id"].unique())
    if s.floor.scheme != "fixed" and unknown:
        notes.append(
            f"Age unknown for {len(unknown)} worker(s) ({', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}): "
            "assumed 21 or over, on the top rate (give age or date_of_birth with --workers).")
    late = wp.loc[[not rates.rate_is_known(s.floor, d.date()) for d in pd.to_datetime(wp["period_start"])]]
    if len(late):
        notes.append(
            f"{len(late)} pay period(s) start after {rates.known_until()[s.floor.scheme]}, past the last "
            f"{s.floor.label} rate carerota knows: the latest known rate was used. Update carerota or "
            "give the rate with --wage AMOUNT.")
    if not rates.rate_is_known(s.floor, s.as_of):
        notes.append(f"--as-of {s.as_of} is past the last known rate: arrears use the latest known rate.")
    return notes


def worker_table(wp: pd.DataFrame) -> pd.DataFrame:
    """Worker-period rows under their output names, hours and £ as floats (pence made exact)."""
    out = pd.DataFrame({
        "worker_id": wp["worker_id"].astype(str),
        "period_start": pd.to_datetime(wp["period_start"]).dt.date,
        "period_end": pd.to_datetime(wp["period_end"]).dt.date,
        "visits": wp["visits"].astype("int64"),
    })
    for name in ("contact", "travel", "waiting", "working", "unpaid_travel"):
        out[f"{name}_hours"] = wp[f"{name}_s"] / 3600
    out["pay"] = wp["pay_p"] / 100
    out["effective_rate"] = wp["effective_rate"]
    out["floor_rate"] = wp["floor_rate"]
    out["shortfall"] = wp["shortfall_p"] / 100
    out["arrears"] = wp["arrears_p"] / 100
    out["compliant"] = wp["compliant"].astype(bool)
    out["floor_band"] = wp["floor_band"]
    out["age_known"] = wp["age_known"].astype(bool)
    return out[WORKER_COLUMNS].sort_values(["worker_id", "period_start"]).reset_index(drop=True)


def pay_findings(table: pd.DataFrame) -> list[Finding]:
    below = table[~table["compliant"]]
    return [
        Finding(
            "below-wage-floor",
            f"{r.worker_id} was paid £{r.pay:,.2f} for {r.working_hours:.2f} working hours "
            f"({r.period_start} to {r.period_end}): £{r.effective_rate:.2f} an hour against a floor of "
            f"£{r.floor_rate:.2f}; shortfall £{r.shortfall:,.2f}",
            worker_id=r.worker_id, period_start=r.period_start.isoformat(),
            period_end=r.period_end.isoformat(), amount=r.shortfall,
        )
        for r in below.itertuples()
    ]


def overlap_findings(visits: pd.DataFrame) -> list[Finding]:
    clash = visits[visits["leg"] == OVERLAP]
    return [
        Finding(
            "overlapping-visits",
            f"{r.worker_id} is booked at {r.client_id} ({r.visit_id}) while still at visit "
            f"{visits['visit_id'].iat[r.prev_pos]}: {-r.gap_s / 60:.0f} minutes overlap",
            worker_id=r.worker_id, client_id=r.client_id, visit_id=r.visit_id, row=int(r.row),
            amount=round(-r.gap_s / 60, 2),
        )
        for r in clash.itertuples()
    ]


def summarise(visits: pd.DataFrame, table: pd.DataFrame, s: AuditSettings) -> dict:
    """Headline figures; shares and ratios are None where their denominator is zero."""
    contact, travel = float(visits["contact_s"].sum()), float(visits["travel_s"].sum())
    waiting, working = float(visits["waiting_s"].sum()), float(visits["working_s"].sum())
    below = ~table["compliant"]
    return {
        "visits": int(len(visits)),
        "workers": int(visits["worker_id"].nunique()),
        "clients": int(visits["client_id"].nunique()),
        "first_visit": visits["vstart"].min().tz_convert("Europe/London").isoformat(),
        "last_visit": visits["vend"].max().tz_convert("Europe/London").isoformat(),
        "worker_periods": int(len(table)),
        "worker_periods_below_floor": int(below.sum()),
        "workers_below_floor": int(table.loc[below, "worker_id"].nunique()),
        "contact_hours": contact / 3600,
        "travel_hours": travel / 3600,
        "waiting_hours": waiting / 3600,
        "working_hours": working / 3600,
        "unpaid_travel_hours": float(table["unpaid_travel_hours"].sum()),
        "travel_share": travel / working if working else None,
        "travel_minutes_per_contact_hour": (travel / 60) / (contact / 3600) if contact else None,
        "total_pay": int(np.round(table["pay"] * 100).sum()) / 100,
        "total_shortfall": int(np.round(table["shortfall"] * 100).sum()) / 100,
        "total_arrears": int(np.round(table["arrears"] * 100).sum()) / 100,
        "wage_floor": s.floor.label,
        "pay_period": s.periods.kind,
        "times": "actual" if s.use_actual else "planned",
        "paid_gap_minutes": s.rules.paid_gap,
        "split_gap_minutes": s.rules.split_gap,
        "as_of": s.as_of.isoformat(),
    }
