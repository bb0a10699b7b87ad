"""The audit pipeline: visits → working time → pay per worker-period, visit checks and continuity →
findings, as plain data.

Nothing here prints or knows about the command line; ``carerota.report`` renders an AuditResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from carerota import rates
from carerota.checks.continuity import ContinuityPolicy, client_continuity, continuity_findings
from carerota.checks.visits import VisitPolicy, flag_visits
from carerota.errors import InputError, Problem
from carerota.findings import RULES, findings_frame
from carerota.load import Rota, lookup
from carerota.pay import PayPeriods, apply_floor, worker_periods
from carerota.rates import WageFloor
from carerota.travel import TravelModel
from carerota.worktime import GapRules, visit_times, working_time

CHECKS = ("pay", "visits", "continuity")


@dataclass(frozen=True)
class AuditSettings:
    floor: WageFloor = WageFloor("nlw")
    periods: PayPeriods = PayPeriods()
    rules: GapRules = GapRules()
    use_actual: bool = False
    travel: TravelModel = field(default_factory=TravelModel)
    as_of: date = field(default_factory=date.today)
    visit_policy: VisitPolicy = VisitPolicy()
    continuity: ContinuityPolicy = ContinuityPolicy()
    checks: tuple[str, ...] = CHECKS
    policy_source: str = "defaults"

    def __post_init__(self):
        unknown = set(self.checks) - set(CHECKS)
        if unknown or not self.checks:
            raise ValueError(f"expected checks from {', '.join(CHECKS)}, got {', '.join(self.checks) or 'none'}")


@dataclass
class AuditResult:
    summary: dict
    workers: pd.DataFrame  # one row per worker and pay reference period (WORKER_COLUMNS)
    clients: pd.DataFrame  # one row per client: continuity
    flags: pd.DataFrame  # one row per flagged visit and rule
    findings: pd.DataFrame  # every finding (findings.COLUMNS)
    notes: list[str]
    timeline: pd.DataFrame  # the visits with their times, legs and working time
    settings: AuditSettings

    @property
    def exit_code(self) -> int:
        return 1 if len(self.findings) else 0


WORKER_COLUMNS = [
    "worker_id", "period_start", "period_end", "visits", "contact_hours", "travel_hours",
    "waiting_hours", "working_hours", "pay", "effective_rate", "floor_rate", "shortfall", "arrears",
    "compliant", "floor_band", "age_known", "unpaid_travel_hours",
]
CLIENT_COLUMNS = ["client_id", "visits", "hours", "distinct_workers", "named_team", "team_inferred",
                  "team_share", "continuity_ok", "max_distinct_workers_per_week", "weeks"]


def locate(visits: pd.DataFrame, clients: pd.DataFrame | None) -> pd.DataFrame:
    """Fill each visit's lat/lon from the clients file where the rota row has none."""
    if clients is None:
        return visits
    v = visits.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    for col in ("lat", "lon"):
        missing = v[col].isna().to_numpy()
        if missing.all():  # homes only in the clients file: no row-by-row mask
            v[col] = lookup(v["client_id"], clients[col].astype("float64")).astype("float64")
        elif missing.any():
            v.loc[missing, col] = lookup(v["client_id"][missing], clients[col].astype("float64")).astype("float64")
    return v


def attributions(rota: Rota, tables: list[pd.DataFrame]) -> list[str]:
    """The attribution lines the postcode data's licence asks for, once each, from every file."""
    return list(dict.fromkeys(rota.attribution + [a for t in tables for a in t.attrs.get("attribution", [])]))


def clients_with_two_homes(visits: pd.DataFrame) -> list[str]:
    distinct = visits.groupby("client_id")[["lat", "lon"]].nunique().max(axis=1)
    return sorted(distinct.index[distinct > 1].astype(str))


def with_locations(result: AuditResult) -> AuditResult:
    """The result with each client's home (the one the audit used: its first in visit order) as
    ``lat`` and ``lon`` on its continuity row. Reports leave homes out unless asked: they are
    personal data, and a finding is evidence without them."""
    homes = result.timeline[["lat", "lon"]].groupby(result.timeline["client_id"].to_numpy()).first()
    clients = result.clients.copy()
    ids = clients["client_id"].to_numpy(dtype=object)
    clients["lat"], clients["lon"] = homes["lat"].reindex(ids).to_numpy(), homes["lon"].reindex(ids).to_numpy()
    return replace(result, clients=clients)


def audit(
    rota: Rota,
    *,
    clients: pd.DataFrame | None = None,
    workers: pd.DataFrame | None = None,
    payslips: pd.DataFrame | None = None,
    settings: AuditSettings | None = None,
) -> AuditResult:
    s = settings or AuditSettings()
    tables = [t for t in (clients, workers) if t is not None]
    notes = list(rota.notes) + [n for t in tables for n in t.attrs.get("notes", [])]
    attribution = attributions(rota, tables)
    if rota.skipped_rows:
        notes.append(f"{rota.name}: skipped {len(rota.skipped_rows)} empty row(s): "
                     + ", ".join(map(str, rota.skipped_rows[:10])) + (" ..." if len(rota.skipped_rows) > 10 else ""))
    visits = visit_times(locate(rota.visits, clients), use_actual=s.use_actual)
    if s.use_actual and (~visits["used_actual"]).any():
        notes.append(f"{int((~visits['used_actual']).sum())} visit(s) have no complete check-in and "
                     "check-out: planned times used.")

    travelled = "pay" in s.checks or "visits" in s.checks
    if travelled:
        moved = clients_with_two_homes(visits)
        if moved:
            notes.append(f"{len(moved)} client(s) have more than one location in {rota.name} "
                         f"({', '.join(moved[:8])}{' ...' if len(moved) > 8 else ''}): the first was used.")
        modes = workers["travel_mode"].dropna() if workers is not None else pd.Series(dtype=object)
        visits, how = working_time(visits, rules=s.rules, travel=s.travel, modes=modes, source=rota.name)
        if how.get("estimate"):
            notes.append(f"{how['estimate']} travel leg(s) estimated from distance (no travel matrix entry).")

    parts, outside = [], 0
    table = pd.DataFrame(columns=WORKER_COLUMNS)
    if "pay" in s.checks:
        wp, left_out = worker_periods(visits, s.periods, payslips, rota.name)
        outside = len(left_out)
        if outside:
            notes.append(f"{outside} visit(s) fall outside every payslip period of their worker and are "
                         "not in the pay figures (workers: "
                         + ", ".join(sorted(left_out["worker_id"].astype(str).unique())[:10]) + ").")
        try:
            wp = apply_floor(wp, workers, s.floor, s.as_of)
        except ValueError as err:
            raise InputError(Problem(rota.name, str(err))) from None
        notes.extend(floor_notes(wp, s))
        table = worker_table(wp)
        parts.append(pay_findings(table))

    flags = pd.DataFrame()
    if "visits" in s.checks:
        flags = flag_visits(visits, s.visit_policy, monitored=rota.monitored, travel=True)
        parts.append(flags.rename(columns={"minutes": "amount"}))

    client_table = pd.DataFrame(columns=CLIENT_COLUMNS)
    if "continuity" in s.checks:
        client_table = client_continuity(visits, clients, s.continuity)[CLIENT_COLUMNS]
        parts.append(continuity_findings(client_table, s.continuity))

    findings = findings_frame(parts)
    summary = summarise(visits, table, client_table, findings, rota, s, travelled)
    summary["visits_outside_payslips"] = outside
    if attribution:
        summary["attribution"] = attribution
    return AuditResult(summary, table, client_table, flags, findings, notes, visits, s)


def floor_notes(wp: pd.DataFrame, s: AuditSettings) -> list[str]:
    notes = []
    unknown = sorted(wp.loc[~wp["age_known"], "worker_id"].astype(str).unique())
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


def pay_findings(table: pd.DataFrame) -> pd.DataFrame:
    below = table[~table["compliant"]]
    if below.empty:
        return below

    def pounds(col: str) -> pd.Series:
        return below[col].map("£{:,.2f}".format)

    return pd.DataFrame({
        "rule": "below-wage-floor",
        "worker_id": below["worker_id"],
        "period_start": below["period_start"].map(date.isoformat),
        "period_end": below["period_end"].map(date.isoformat),
        "amount": below["shortfall"],
        "message": below["worker_id"] + " was paid " + pounds("pay") + " for "
        + below["working_hours"].map("{:.2f}".format) + " working hours (" + below["period_start"].astype(str)
        + " to " + below["period_end"].astype(str) + "): " + pounds("effective_rate") + " an hour against a floor of "
        + pounds("floor_rate") + "; shortfall " + pounds("shortfall"),
    })


def most_faces(clients: pd.DataFrame, n: int = 5) -> list[dict]:
    """The clients who saw the most different workers in one week: what families complain of."""
    if clients.empty:
        return []
    ids = clients["client_id"].astype(str).to_numpy(dtype=str)
    weekly, distinct = (clients[c].to_numpy("int64") for c in ("max_distinct_workers_per_week", "distinct_workers"))
    top = np.lexsort((ids, -distinct, -weekly))[:n]  # the keys alone are sorted: the table holds lists
    return [{"client_id": str(ids[i]), "max_distinct_workers_per_week": int(weekly[i]),
             "distinct_workers": int(distinct[i])} for i in top]


def summarise(visits: pd.DataFrame, table: pd.DataFrame, clients: pd.DataFrame, findings: pd.DataFrame,
              rota: Rota, s: AuditSettings, travelled: bool) -> dict:
    """Headline figures; shares and ratios are None where their denominator is zero or the check
    that produces them did not run."""
    contact = float(visits["contact_s"].sum()) if travelled else float(visits["duration_s"].sum())
    travel = float(visits["travel_s"].sum()) if travelled else None
    waiting = float(visits["waiting_s"].sum()) if travelled else None
    working = float(visits["working_s"].sum()) if travelled else None
    pay = "pay" in s.checks
    below = ~table["compliant"].astype(bool)
    planned_min = (visits["end"] - visits["start"]).dt.total_seconds() / 60
    short = planned_min < s.visit_policy.min_visit
    counts = findings["rule"].value_counts()

    def hours(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 3600

    def pence(col: str) -> float | None:
        """A money total as the exact sum of the rows' pence."""
        return int(np.round(table[col].astype(float) * 100).sum()) / 100 if pay else None

    return {
        "visits": int(len(visits)),
        "workers": int(visits["worker_id"].nunique()),
        "clients": int(visits["client_id"].nunique()),
        "first_visit": visits["vstart"].min().tz_convert("Europe/London").isoformat(),
        "last_visit": visits["vend"].max().tz_convert("Europe/London").isoformat(),
        "worker_periods": int(len(table)) if pay else None,
        "worker_periods_below_floor": int(below.sum()) if pay else None,
        "workers_below_floor": int(table.loc[below, "worker_id"].nunique()) if pay else None,
        "contact_hours": contact / 3600,
        "travel_hours": hours(travel),
        "waiting_hours": hours(waiting),
        "working_hours": hours(working),
        "unpaid_travel_hours": float(table["unpaid_travel_hours"].sum()) if pay else None,
        "travel_share": travel / working if working else None,
        "travel_minutes_per_contact_hour": (travel / 60) / (contact / 3600) if travelled and contact else None,
        "total_pay": pence("pay"),
        "total_shortfall": pence("shortfall"),
        "total_arrears": pence("arrears"),
        "short_visit_share": float(short.mean()) if len(visits) else None,
        "agreed_short_visits": int((short & visits["agreed_short"].astype(bool)).sum()),
        "clients_below_continuity": int((~clients["continuity_ok"].astype(bool)).sum()) if len(clients) else None,
        "median_team_share": float(clients["team_share"].median()) if len(clients) else None,
        "max_distinct_workers_per_week": int(clients["max_distinct_workers_per_week"].max()) if len(clients) else None,
        "clients_most_workers": most_faces(clients),
        "findings": int(len(findings)),
        "findings_by_rule": {rule: int(counts.get(rule, 0)) for rule, meta in RULES.items()
                             if meta[1] in s.checks},
        "rows_skipped": len(rota.skipped_rows),
        "checks": list(s.checks),
        "call_monitoring": rota.monitored,
        "wage_floor": s.floor.label,
        "pay_period": s.periods.kind,
        "times": "actual" if s.use_actual else "planned",
        "as_of": s.as_of.isoformat(),
        "thresholds": {
            "paid_gap_minutes": s.rules.paid_gap,
            "split_gap_minutes": s.rules.split_gap,
            "min_visit_minutes": s.visit_policy.min_visit,
            "clip_tolerance_minutes": s.visit_policy.clip_tolerance,
            "late_after_minutes": s.visit_policy.late_after,
            "continuity_target": s.continuity.target,
            "team_size": s.continuity.team_size,
        },
        "policy_source": s.policy_source,
    }
