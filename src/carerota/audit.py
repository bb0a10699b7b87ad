"""The audit pipeline: visits → working time → pay per worker-period, visit checks and continuity →
findings, as plain data.

Nothing here prints or knows about the command line; ``carerota.report`` renders an AuditResult.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from carerota import rates
from carerota.checks.continuity import ContinuityPolicy, client_continuity, continuity_findings
from carerota.checks.visits import VisitPolicy, flag_visits
from carerota.errors import InputError, Problem
from carerota.findings import RULES, fixed, iso_dates, join, rule_codes, sorted_findings, stacked
from carerota.load import LOCAL_TZ, SOURCE_FILE, Rota, epoch_us, spread
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


def locate(visits: pd.DataFrame, clients: pd.DataFrame | None,
           coded: tuple[np.ndarray, pd.Index] | None = None) -> pd.DataFrame:
    """Fill each visit's lat/lon from the clients file where the rota row has none. ``coded``: the
    client ids as (codes, distinct ids), where the caller has them (``client_codes``)."""
    if clients is None:
        return visits
    missing = {col: visits[col].isna().to_numpy() for col in ("lat", "lon")}
    if not any(m.any() for m in missing.values()):
        return visits
    v = visits.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    codes, ids = coded or client_codes(v)
    homes = clients[["lat", "lon"]].astype("float64").reindex(ids.astype(object))
    for col, m in missing.items():
        v[col] = np.where(m, spread(homes[col].to_numpy(), codes, np.nan), v[col].to_numpy("float64"))
    return v


def attributions(rota: Rota, tables: list[pd.DataFrame]) -> list[str]:
    """The attribution lines the postcode data's licence asks for, once each, from every file."""
    return list(dict.fromkeys(rota.attribution + [a for t in tables for a in t.attrs.get("attribution", [])]))


def client_codes(visits: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """The visits' client ids as codes (in id order) and distinct ids, found once for ``locate``,
    ``clients_with_two_homes`` and ``visit_times`` (a million ids take 20-40 ms to hash)."""
    return pd.factorize(visits["client_id"], sort=True, use_na_sentinel=True)


def clients_with_two_homes(visits: pd.DataFrame, coded: tuple[np.ndarray, pd.Index] | None = None) -> list[str]:
    """Clients whose visits give more than one location (missing ones aside); ``coded`` as for
    ``locate``."""
    codes, ids = coded or client_codes(visits)
    by_client = visits[["lat", "lon"]].groupby(codes)
    low, high = by_client.min(), by_client.max()
    moved = ((low != high) & high.notna()).any(axis=1).to_numpy()
    return sorted(ids[low.index.to_numpy()[moved]].astype(str))


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
    messages: bool = True,
) -> AuditResult:
    """The whole audit on one machine: the per-worker steps on every worker at once, continuity on
    every client, then the findings and summary (``carerota.dask_engine`` runs the same steps on
    partitions of workers and of clients). Without ``messages`` the findings carry no message
    (``carerota batch`` only counts them)."""
    s = settings or AuditSettings()
    coded = client_codes(rota.visits) if travelled(s) else None  # wanted by both of these
    visits = locate(rota.visits, clients, coded)
    with ThreadPoolExecutor(1) as pool:  # a second core: the clients' homes are compared while the
        # visits are put in order, and continuity (which reads only the timed visits) runs beside the worker steps
        moved = pool.submit(clients_with_two_homes, visits, coded) if travelled(s) else None
        timed = visit_times(visits, use_actual=s.use_actual, client_codes=coded[0] if coded else None)
        continuity = pool.submit(client_stage, timed, clients, s)
        part = worker_stage(timed, workers=workers, payslips=payslips, s=s, name=rota.name, monitored=rota.monitored,
                            messages=messages)
        client_table = continuity.result()
    return assemble(rota, [t for t in (clients, workers, payslips) if t is not None], moved.result() if moved else [],
                    part, client_table, workers, s, messages=messages)


def travelled(s: AuditSettings) -> bool:
    """Whether the checks asked for need travel and working time."""
    return "pay" in s.checks or "visits" in s.checks


@dataclass
class WorkerStage:
    """What the per-worker steps give for a set of whole workers: each worker's visits in order with
    their working time, pay per period (before the floor is applied), flagged visits and totals."""

    timeline: pd.DataFrame
    totals: dict
    planned_times: int  # visits audited on planned times although actual times were asked for
    legs: dict  # how travel legs were found: {"matrix": n, "estimate": n}
    periods: pd.DataFrame | None  # worker_periods(), None when pay is not checked
    outside: pd.DataFrame  # visits outside every payslip period
    flags: pd.DataFrame


def worker_stage(visits: pd.DataFrame, *, workers: pd.DataFrame | None, payslips: pd.DataFrame | None,
                 s: AuditSettings, name: str, monitored: bool, messages: bool = True) -> WorkerStage:
    """Working time, pay periods and visit checks: each needs all of a worker's visits and nothing
    of any other worker's, so any set of whole workers can be audited apart (``visits`` located and
    timed by ``visit_times``)."""
    planned = int((~visits["used_actual"]).sum()) if s.use_actual else 0
    legs: dict = {}
    if travelled(s):
        modes = workers["travel_mode"].dropna() if workers is not None else pd.Series(dtype=object)
        visits, legs = working_time(visits, rules=s.rules, travel=s.travel, modes=modes, source=name)
    periods, outside = None, visits.iloc[0:0]
    if "pay" in s.checks:
        periods, outside = worker_periods(visits, s.periods, payslips, name)
    flags = pd.DataFrame()
    if "visits" in s.checks:
        flags = flag_visits(visits, s.visit_policy, monitored=monitored, travel=True, messages=messages)
    return WorkerStage(visits, visit_totals(visits, s), planned, legs, periods, outside, flags)


def client_stage(visits: pd.DataFrame, clients: pd.DataFrame | None, s: AuditSettings) -> pd.DataFrame:
    """Continuity: needs all of a client's visits (timed) and nothing of any other client's."""
    if "continuity" not in s.checks:
        return pd.DataFrame(columns=CLIENT_COLUMNS)
    return client_continuity(visits, clients, s.continuity)[CLIENT_COLUMNS]


def assemble(rota: Rota, tables: list[pd.DataFrame], moved: list[str], part: WorkerStage,
             client_table: pd.DataFrame, workers: pd.DataFrame | None, s: AuditSettings, *,
             messages: bool = True) -> AuditResult:
    """The findings, notes and summary from the stages' results (merged, when they ran apart)."""
    notes = list(rota.notes) + [n for t in tables for n in t.attrs.get("notes", [])]
    attribution = attributions(rota, tables)
    for name, rows in rota.skipped_by_file().items():
        notes.append(f"{name}: skipped {len(rows)} empty row(s): "
                     + ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else ""))
    if part.planned_times:
        notes.append(f"{part.planned_times} visit(s) have no complete check-in and "
                     "check-out: planned times used.")
    if moved:
        notes.append(f"{len(moved)} client(s) have more than one location in {rota.name} "
                     f"({', '.join(moved[:8])}{' ...' if len(moved) > 8 else ''}): the first was used.")
    if part.legs.get("estimate"):
        notes.append(f"{part.legs['estimate']} travel leg(s) estimated from distance (no travel matrix entry).")

    with ThreadPoolExecutor(1) as pool:  # continuity's findings are worded beside pay's
        continuity = (pool.submit(lambda: sorted_findings(continuity_findings(client_table, s.continuity, messages)))
                      if "continuity" in s.checks else None)
        table, parts = pay_stage(rota, part, workers, s, notes, messages)
        parts.append(part.flags.rename(columns={"minutes": "amount"}))  # flagged in the findings' order already
        if continuity is not None:
            parts.append(continuity.result())

    findings = stacked(parts)
    summary = summarise(part.totals, table, client_table, findings, s, rows_skipped=len(rota.skipped_rows),
                        monitored=rota.monitored)
    summary["visits_outside_payslips"] = len(part.outside)
    if attribution:
        summary["attribution"] = attribution
    return AuditResult(summary, table, client_table, part.flags, findings, notes, part.timeline, s)


def pay_stage(rota: Rota, part: WorkerStage, workers: pd.DataFrame | None, s: AuditSettings, notes: list[str],
              messages: bool) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The worker-period table with the floor applied, and its findings (sorted); notes are added to
    ``notes``."""
    parts: list[pd.DataFrame] = []
    table = pd.DataFrame(columns=WORKER_COLUMNS)
    if part.periods is not None:
        if len(part.outside):
            notes.append(f"{len(part.outside)} visit(s) fall outside every payslip period of their worker and are "
                         "not in the pay figures (workers: "
                         + ", ".join(sorted(part.outside["worker_id"].astype(str).unique())[:10]) + ").")
        try:
            wp = apply_floor(part.periods, workers, s.floor, s.as_of)
        except rates.NoRate as err:
            raise InputError(no_rate_problem(rota.name, part.timeline, err)) from None
        notes.extend(floor_notes(wp, s))
        table = worker_table(wp)
        parts.append(sorted_findings(pay_findings(table, messages)))
    return table, parts


def no_rate_problem(source: str, timeline: pd.DataFrame, err: rates.NoRate) -> Problem:
    """The wage floor has no rate for a date. When the date is a pay period's, the rota's earliest
    visit is named: it lies in the earliest period, the first without a rate (the Dask engine keeps
    no rows in its timeline: there, the file only)."""
    if err.as_of or timeline.empty or not {"row", "start"} <= set(timeline.columns):
        return Problem(source, str(err))
    first = timeline.loc[timeline["start"].idxmin()]
    when = first["start"].tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return Problem(str(first.get(SOURCE_FILE, source)), str(err), int(first["row"]), "start", when)


def floor_notes(wp: pd.DataFrame, s: AuditSettings) -> list[str]:
    notes = []
    unknown = sorted(wp.loc[~wp["age_known"], "worker_id"].astype(str).unique())
    if s.floor.scheme != "fixed" and unknown:
        notes.append(
            f"Age unknown for {len(unknown)} worker(s) ({', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}): "
            "assumed 21 or over, on the top rate (give age or date_of_birth with --workers).")
    starts = pd.to_datetime(wp["period_start"])
    known = {start: rates.rate_is_known(s.floor, start.date()) for start in starts.unique()}  # a few dates
    late = wp.loc[~starts.map(known).to_numpy(bool)]
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


def pay_findings(table: pd.DataFrame, messages: bool = True) -> pd.DataFrame:
    below = table[~table["compliant"]]
    if below.empty:
        return below
    start, end = iso_dates(below["period_start"]), iso_dates(below["period_end"])
    out = pd.DataFrame({
        "rule": "below-wage-floor",
        "worker_id": below["worker_id"],
        "period_start": pd.Series(start, index=below.index, dtype="str"),
        "period_end": pd.Series(end, index=below.index, dtype="str"),
        "amount": below["shortfall"],
        "message": None,
    })
    if messages:
        def pounds(col: str) -> pa.Array:
            return fixed(below[col], 2, thousands=True, prefix="£")

        out["message"] = join(
            below["worker_id"], " was paid ", pounds("pay"), " for ", fixed(below["working_hours"], 2),
            " working hours (", start, " to ", end, "): ", pounds("effective_rate"), " an hour against a floor of ",
            pounds("floor_rate"), "; shortfall ", pounds("shortfall")).set_axis(below.index)
    return out


def most_faces(clients: pd.DataFrame, n: int = 5) -> list[dict]:
    """The clients who saw the most different workers in one week: what families complain of."""
    if clients.empty:
        return []
    ids = clients["client_id"].astype(str).to_numpy(dtype=str)
    weekly, distinct = (clients[c].to_numpy("int64") for c in ("max_distinct_workers_per_week", "distinct_workers"))
    top = np.lexsort((ids, -distinct, -weekly))[:n]  # the keys alone are sorted: the table holds lists
    return [{"client_id": str(ids[i]), "max_distinct_workers_per_week": int(weekly[i]),
             "distinct_workers": int(distinct[i])} for i in top]


TOTALLED = ("worker_id", "client_id", "start", "end", "vstart", "vend", "duration_s", "agreed_short",
            "contact_s", "travel_s", "waiting_s", "working_s")  # the visits' columns visit_totals reads


def visit_totals(visits: pd.DataFrame, s: AuditSettings) -> dict:
    """The visit figures the summary adds up: sums, counts and extremes, so the totals of parts with
    different workers add up to the whole (``merge_totals``). ``visit_totals_by`` gives the same for
    many parts at once (tested against this); for one part this is three times faster (a million
    visits: 0.05 s against 0.15 s), and the single audit runs it on every visit."""
    seconds_of = {col: float(np.nansum(visits[col].to_numpy("float64"))) if col in visits else None
                  for col in ("contact_s", "travel_s", "waiting_s", "working_s")}  # numpy: a batch sums 200 files
    planned_us = epoch_us(visits["end"]) - epoch_us(visits["start"])
    short = planned_us / 1e6 / 60 < s.visit_policy.min_visit
    return {
        "visits": int(len(visits)),
        "workers": int(visits["worker_id"].nunique()),
        "clients": int(visits["client_id"].nunique()),
        "duration_s": float(np.nansum(visits["duration_s"].to_numpy("float64"))),
        **seconds_of,
        "first": visits["vstart"].min(),  # NaT when there are no visits
        "last": visits["vend"].max(),
        "short": int(short.sum()),
        "agreed_short": int((short & visits["agreed_short"].to_numpy(bool)).sum()),
    }


def visit_totals_by(visits: pd.DataFrame, s: AuditSettings, part: np.ndarray, n: int) -> list[dict]:
    """``visit_totals`` of each of ``n`` parts of the visits (``part``: each visit's part number, 0 to
    n - 1) at once, by sums per part: a batch totals each of two hundred files, where a call per
    file cost more than the files' audit. The figures are counts and sums of seconds: travel is whole
    seconds, and so are visits timed to the second, which add up the same in any order (a time
    given to a fraction of a second could differ in its last bit, far below the reports' rounding)."""
    part = np.asarray(part, dtype="int64")

    def per_part(values) -> np.ndarray:  # nansum of each part
        return np.bincount(part, weights=np.nan_to_num(np.asarray(values, dtype="float64")), minlength=n)

    def distinct(ids: pd.Series) -> np.ndarray:  # nunique of each part
        codes, uniques = pd.factorize(ids)
        width = len(uniques) + 1
        pairs = np.unique(part[codes >= 0] * width + codes[codes >= 0])
        return np.bincount(pairs // width, minlength=n)

    seconds_of = {col: per_part(visits[col].to_numpy("float64")) if col in visits else None
                  for col in ("contact_s", "travel_s", "waiting_s", "working_s")}
    short = (epoch_us(visits["end"]) - epoch_us(visits["start"])) / 1e6 / 60 < s.visit_policy.min_visit
    count = np.bincount(part, minlength=n)
    workers, clients = distinct(visits["worker_id"]), distinct(visits["client_id"])
    duration = per_part(visits["duration_s"].to_numpy("float64"))
    shorts, agreed = per_part(short), per_part(short & visits["agreed_short"].to_numpy(bool))
    first = visits["vstart"].groupby(part).min().reindex(range(n))  # NaT for a part without visits
    last = visits["vend"].groupby(part).max().reindex(range(n))
    return [{
        "visits": int(count[k]), "workers": int(workers[k]), "clients": int(clients[k]),
        "duration_s": float(duration[k]),
        **{col: None if sums is None else float(sums[k]) for col, sums in seconds_of.items()},
        "first": first.iloc[k], "last": last.iloc[k], "short": int(shorts[k]), "agreed_short": int(agreed[k]),
    } for k in range(n)]


def merge_totals(parts: list[dict], clients: int) -> dict:
    """The totals of parts holding different workers; ``clients`` is counted by the caller, as a
    client may be visited by workers of several parts."""
    out = {key: (None if any(p[key] is None for p in parts) else sum(p[key] for p in parts))
           for key in parts[0] if key not in ("first", "last")}
    out["first"] = min((p["first"] for p in parts if pd.notna(p["first"])), default=pd.NaT)
    out["last"] = max((p["last"] for p in parts if pd.notna(p["last"])), default=pd.NaT)
    out["clients"] = clients
    return out


def summarise(totals: dict, table: pd.DataFrame, clients: pd.DataFrame, findings: pd.DataFrame,
              s: AuditSettings, *, rows_skipped: int, monitored: bool) -> dict:
    """Headline figures; shares and ratios are None where their denominator is zero or the check
    that produces them did not run."""
    travel_counted = travelled(s)
    contact = totals["contact_s"] if travel_counted else totals["duration_s"]
    travel = totals["travel_s"] if travel_counted else None
    waiting = totals["waiting_s"] if travel_counted else None
    working = totals["working_s"] if travel_counted else None
    pay = "pay" in s.checks
    below = ~table["compliant"].to_numpy(bool)
    rule, names = rule_codes(findings["rule"])
    counts = dict(zip(names, np.bincount(rule, minlength=len(names)).tolist()))

    def hours(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 3600

    def pence(col: str) -> float | None:
        """A money total as the exact sum of the rows' pence."""
        return int(np.round(table[col].to_numpy("float64") * 100).sum()) / 100 if pay else None

    return {
        "visits": totals["visits"],
        "workers": totals["workers"],
        "clients": totals["clients"],
        "first_visit": totals["first"].tz_convert("Europe/London").isoformat(),
        "last_visit": totals["last"].tz_convert("Europe/London").isoformat(),
        "worker_periods": int(len(table)) if pay else None,
        "worker_periods_below_floor": int(below.sum()) if pay else None,
        "workers_below_floor": len(pd.unique(table["worker_id"].to_numpy(object)[below])) if pay else None,
        "contact_hours": contact / 3600,
        "travel_hours": hours(travel),
        "waiting_hours": hours(waiting),
        "working_hours": hours(working),
        "unpaid_travel_hours": float(table["unpaid_travel_hours"].sum()) if pay else None,
        "travel_share": travel / working if working else None,
        "travel_minutes_per_contact_hour": (travel / 60) / (contact / 3600) if travel_counted and contact else None,
        "total_pay": pence("pay"),
        "total_shortfall": pence("shortfall"),
        "total_arrears": pence("arrears"),
        "short_visit_share": totals["short"] / totals["visits"] if totals["visits"] else None,
        "agreed_short_visits": totals["agreed_short"],
        "clients_below_continuity": int((~clients["continuity_ok"].astype(bool)).sum()) if len(clients) else None,
        "median_team_share": float(clients["team_share"].median()) if len(clients) else None,
        "max_distinct_workers_per_week": int(clients["max_distinct_workers_per_week"].max()) if len(clients) else None,
        "clients_most_workers": most_faces(clients),
        "findings": int(len(findings)),
        "findings_by_rule": {rule: int(counts.get(rule, 0)) for rule, meta in RULES.items()
                             if meta[1] in s.checks},
        "rows_skipped": rows_skipped,
        "checks": list(s.checks),
        "call_monitoring": monitored,
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
