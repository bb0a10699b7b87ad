"""Can a bid's hourly price pay care workers the wage floor once travel is paid?

The cost floor of a bid is what its visits cost per contact hour when every hour of working time
(contact, travel between visits, paid waiting) is paid at the wage floor, with the employer's
statutory on-costs, training and sickness cover, mileage and the running costs and surplus of a care
business on top: the structure of the Homecare Association's Minimum Price for Homecare. Defaults
come from ``data/cost_model.csv`` (dated, with sources); any of them can be overridden.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from carerota.audit import AuditSettings, audit
from carerota.errors import InputError, Problem, Problems
from carerota.config import with_travel_matrix
from carerota.load import Rota, load_clients, load_rota, load_workers
from carerota.read import Reading, read_text
from carerota.rates import WageFloor, floor_rates
from carerota.travel import matrix_values
from carerota.worktime import FIRST

KM_PER_MILE = 1.609344
VERDICTS = ("sustainable", "below cost")
# £ per contact hour, in the order they add up to the cost floor.
COMPONENTS = ("contact_pay", "travel_pay", "waiting_pay", "training", "sickness", "holiday_pay", "employer_ni",
              "pension", "mileage", "overheads", "surplus")
BID_COLUMNS = ["bid_id", "price_per_hour", "contact_hours", "travel_hours_per_contact_hour", "cost_floor_per_hour",
               "margin", "verdict"]


@cache
def cost_table() -> pd.DataFrame:
    with files("carerota").joinpath("data/cost_model.csv").open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, parse_dates=["effective_from"])
    return table.sort_values(["parameter", "effective_from"]).reset_index(drop=True)


def parameter_names() -> list[str]:
    return sorted(cost_table()["parameter"].unique())


@dataclass(frozen=True)
class CostModel:
    """The cost model's parameters on a date, with where each came from."""

    values: dict[str, float]
    sources: dict[str, str]

    def __getitem__(self, name: str) -> float:
        return self.values[name]


def cost_model(on: date, overrides: dict[str, float] | None = None) -> CostModel:
    """Each parameter's value in force on ``on`` (the earliest known, before its first date), then
    the user's overrides. Raises ValueError for an unknown parameter or an impossible value."""
    table = cost_table()
    values, sources = {}, {}
    for name, rows in table.groupby("parameter"):
        live = rows[rows["effective_from"].dt.date <= on]
        row = (live if len(live) else rows).iloc[-1 if len(live) else 0]
        values[name] = float(row["value"])
        sources[name] = f"{row['source']} (from {row['effective_from'].date()}; {row['kind']})"
    for name, value in (overrides or {}).items():
        if name not in values:
            raise ValueError(f"unknown cost parameter {name!r}; expected one of {', '.join(sorted(values))}")
        fraction = name.endswith(("_share", "_rate"))  # shares and rates are fractions of pay or price
        if not 0 <= value < (1 if fraction else 1e6):
            raise ValueError(f"expected {name} to be at least 0{' and below 1' if fraction else ''}, got {value:g}")
        values[name], sources[name] = float(value), "given by the user"
    if values["overheads_share"] + values["surplus_share"] >= 1:
        raise ValueError("expected overheads_share + surplus_share to be below 1")
    return CostModel(values, sources)


@dataclass(frozen=True)
class Bid:
    bid_id: str
    price_per_hour: float
    rota: str
    row: int
    wage: WageFloor | None = None
    london: bool = False
    clients: str | None = None
    workers: str | None = None
    travel_matrix: str | None = None


BID_FILES = ("rota", "clients", "workers", "travel_matrix")
BID_OPTIONAL = ("wage", "london", "clients", "workers", "travel_matrix")


def read_bids(path: str, reading: Reading = Reading()) -> list[Bid]:
    """The bids of BIDS.csv: bid_id, price_per_hour (£ per contact hour), rota (path relative to
    BIDS.csv), optional wage, london, clients, workers, travel_matrix. Every bad cell is reported."""
    if not Path(path).exists():
        raise InputError(Problem(path, "expected a bids file; it does not exist"))
    table = list(csv.reader(io.StringIO(read_text(path, reading), newline="")))
    if not table:
        raise InputError(Problem(path, "expected a header row: bid_id,price_per_hour,rota[,wage,...]"))
    header = [h.strip().lstrip("\ufeff").lower() for h in table[0]]
    missing = [c for c in ("bid_id", "price_per_hour", "rota") if c not in header]
    unknown = [h for h in header if h not in ("bid_id", "price_per_hour", *BID_FILES, *BID_OPTIONAL)]
    if missing or unknown:
        raise InputError(Problem(path, (f"missing column(s) {', '.join(missing)}; " if missing else "")
                                 + (f"unknown column(s) {', '.join(unknown)}; " if unknown else "")
                                 + "expected bid_id, price_per_hour, rota and any of " + ", ".join(BID_OPTIONAL),
                                 1))
    folder = Path(path).parent
    problems, bids, seen = Problems(), [], {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells)))
        bad = len(problems.listed) + problems.omitted
        bid_id = row.get("bid_id", "")
        if not bid_id:
            problems.add(Problem(path, "expected a bid id", number, "bid_id"))
        elif bid_id in seen:
            problems.add(Problem(path, f"expected each bid_id once; also on row {seen[bid_id]}", number, "bid_id",
                                 bid_id))
        seen.setdefault(bid_id, number)
        price = row.get("price_per_hour", "").lstrip("£")
        try:
            price_value = float(price)
            if not 0 < price_value < 1000:
                raise ValueError
        except ValueError:
            problems.add(Problem(path, "expected a price in £ per contact hour, e.g. 28.50", number,
                                 "price_per_hour", row.get("price_per_hour")))
            price_value = float("nan")
        wage = None
        if row.get("wage"):
            try:
                wage = WageFloor.parse(row["wage"])
            except ValueError as error:
                problems.add(Problem(path, str(error), number, "wage", row["wage"]))
        london = row.get("london", "").lower()
        if london not in ("", "true", "false", "yes", "no", "1", "0", "y", "n"):
            problems.add(Problem(path, "expected true or false", number, "london", row["london"]))
        paths = {}
        for name in BID_FILES:
            cell = row.get(name, "")
            if not cell:
                if name == "rota":
                    problems.add(Problem(path, "expected the path of the bid's rota file", number, "rota"))
                paths[name] = None
                continue
            full = Path(cell) if Path(cell).is_absolute() else folder / cell
            if not full.is_file():
                problems.add(Problem(path, f"expected a file at {full}; there is none", number, name, cell))
            paths[name] = str(full)
        if len(problems.listed) + problems.omitted == bad:
            bids.append(Bid(bid_id, price_value, paths["rota"], number, wage, london in ("true", "yes", "1", "y"),
                            paths["clients"], paths["workers"], paths["travel_matrix"]))
    if problems.listed:
        raise InputError(problems.listed, omitted=problems.omitted)
    if not bids:
        raise InputError(Problem(path, "expected at least one bid"))
    return bids


def leg_miles(timeline: pd.DataFrame, settings: AuditSettings) -> np.ndarray:
    """Miles driven (or cycled) on each visit's journey from the visit before: the travel matrix's km
    where it has them, else the journey's minutes at the mode's average speed (the same model that
    estimated the minutes). The whole journey counts, even where a break caps the paid time."""
    counted = (timeline["leg"] != FIRST).to_numpy()
    speed = timeline["travel_mode"].map(settings.travel.speed_kmh).to_numpy(dtype="float64")
    km = np.where(counted, timeline["leg_travel_s"].to_numpy() / 3600 * speed, 0.0)
    matrix = settings.travel.matrix
    if matrix is not None and "km" in matrix and counted.any():
        pos = np.flatnonzero(counted)
        clients = timeline["client_id"].to_numpy()
        frm, to = clients[timeline["prev_pos"].to_numpy()[pos]], clients[pos]
        found = matrix_values(matrix["km"], frm, to, timeline["travel_mode"].to_numpy()[pos])
        take = ~np.isnan(found) & (frm != to)
        km[pos[take]] = found[take]
    return km / KM_PER_MILE


def worker_weeks(timeline: pd.DataFrame) -> pd.DataFrame:
    """Seconds of contact, travel and waiting per worker and week (Monday to Sunday, UK dates)."""
    day = pd.to_datetime(timeline["day"])
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date
    frame = timeline.assign(week=week.to_numpy())
    return frame.groupby(["worker_id", "week"], sort=True)[
        ["contact_s", "travel_s", "waiting_s", "working_s", "miles", "mileage"]].sum().reset_index()


def cost_floor(timeline: pd.DataFrame, settings: AuditSettings, floor: WageFloor, london: bool,
               model: CostModel) -> dict:
    """The cost floor per contact hour and its parts, from a travelled timeline (see ``audit``).

    Pay and on-costs are worked out per worker and week, because the National Insurance threshold
    and the pension thresholds are weekly: a worker on few hours costs less than the flat rates imply.
    """
    t = timeline.copy()
    t["miles"] = leg_miles(t, settings)
    per_mile = {"drive": model["mileage_drive_per_mile"], "cycle": model["mileage_cycle_per_mile"]}
    t["mileage"] = t["travel_mode"].map(per_mile).fillna(0.0).to_numpy() * t["miles"].to_numpy()
    w = worker_weeks(t)
    rate = floor_rates(floor, pd.to_datetime(w["week"]), pd.Series(np.nan, index=w.index),
                       pd.Series(london, index=w.index))["rate"].to_numpy()
    pay = {kind: rate * w[f"{kind}_s"].to_numpy() / 3600 for kind in ("contact", "travel", "waiting")}
    wages = pay["contact"] + pay["travel"] + pay["waiting"]
    training = model["training_share"] * wages
    sickness = model["sickness_share"] * wages
    holiday = model["holiday_share"] * (wages + training)
    gross = wages + training + sickness + holiday
    ni = model["employer_ni_rate"] * np.clip(gross - model["ni_secondary_threshold_week"], 0, None)
    band = np.clip(gross - model["pension_lower_week"], 0,
                   model["pension_upper_week"] - model["pension_lower_week"])
    pension = np.where(gross >= model["pension_trigger_week"], model["pension_employer_rate"] * band, 0.0)
    mileage = w["mileage"].to_numpy()
    contact_h = w["contact_s"].sum() / 3600
    direct = {"contact_pay": pay["contact"], "travel_pay": pay["travel"], "waiting_pay": pay["waiting"],
              "training": training, "sickness": sickness, "holiday_pay": holiday, "employer_ni": ni,
              "pension": pension, "mileage": mileage}
    per_hour = {k: float(v.sum()) / contact_h if contact_h else float("nan") for k, v in direct.items()}
    direct_per_hour = sum(per_hour.values())
    price = direct_per_hour / (1 - model["overheads_share"] - model["surplus_share"])
    per_hour["overheads"] = price * model["overheads_share"]
    per_hour["surplus"] = price * model["surplus_share"]
    return {
        "contact_hours": contact_h,
        "travel_hours_per_contact_hour": w["travel_s"].sum() / 3600 / contact_h if contact_h else float("nan"),
        "waiting_hours_per_contact_hour": w["waiting_s"].sum() / 3600 / contact_h if contact_h else float("nan"),
        "miles_per_contact_hour": w["miles"].sum() / contact_h if contact_h else float("nan"),
        "cost_floor_per_hour": price,
        "wage_floor_low": float(rate.min()) if len(rate) else float("nan"),
        "wage_floor_high": float(rate.max()) if len(rate) else float("nan"),
        "components": per_hour,
    }


@dataclass
class TenderResult:
    bids: pd.DataFrame  # BID_COLUMNS first, then the rest
    components: dict[str, dict[str, float]]  # bid_id → £ per contact hour for each of COMPONENTS
    assumptions: dict
    notes: list[str]

    @property
    def exit_code(self) -> int:
        return 1 if (self.bids["verdict"] == "below cost").any() else 0


def bid_inputs(bid: Bid, settings: AuditSettings, clients: str | None, workers: str | None, reading: Reading):
    """The bid's rota, client and worker tables, and settings with its travel matrix."""
    settings = with_travel_matrix(settings, bid.travel_matrix, reading)
    rota = load_rota(bid.rota, reading)
    client_table = load_clients(bid.clients or clients, reading) if (bid.clients or clients) else None
    worker_table = load_workers(bid.workers or workers, reading) if (bid.workers or workers) else None
    return rota, client_table, worker_table, settings


def travelled(rota: Rota, clients, workers, settings: AuditSettings):
    """The audit's timeline of the visits: who travels where, with working time."""
    return audit(rota, clients=clients, workers=workers, settings=replace(settings, checks=("visits",)))


def assess(bids: list[Bid], settings: AuditSettings, *, clients: str | None = None, workers: str | None = None,
           overrides: dict[str, float] | None = None, plan=None, reading: Reading = Reading(),
           progress=None) -> TenderResult:
    """Each bid's cost floor, margin and verdict; with ``plan`` (PlanSettings) also the cost floor of
    the least-travel plan of the same visits."""
    rows, components, notes, models = [], {}, [], {}
    for bid in bids:
        try:
            rota, client_table, worker_table, bid_settings = bid_inputs(bid, settings, clients, workers, reading)
            result = travelled(rota, client_table, worker_table, bid_settings)
        except InputError as error:
            raise InputError(error.problems, hint=f"(bid {bid.bid_id!r}, row {bid.row} of the bids file)"
                             + (f"\n{error.hint}" if error.hint else ""), omitted=error.omitted) from None
        notes += [f"bid {bid.bid_id}: {n}" for n in result.notes]
        first_day = pd.Timestamp(result.timeline["day"].min()).date()
        try:
            model = cost_model(first_day, overrides)
        except ValueError as error:
            raise InputError(Problem("--cost", str(error))) from None
        models[bid.bid_id] = model
        floor = bid.wage or settings.floor
        try:
            figures = cost_floor(result.timeline, bid_settings, floor, bid.london, model)
        except ValueError as error:
            raise InputError(Problem(bid.rota, str(error))) from None
        components[bid.bid_id] = figures.pop("components")
        row = {"bid_id": bid.bid_id, "price_per_hour": bid.price_per_hour, **figures,
               "margin": bid.price_per_hour - figures["cost_floor_per_hour"],
               "wage_floor": floor.label + (" (London)" if bid.london and floor.scheme == "rlw" else ""),
               "rota": bid.rota, "visits": int(len(result.timeline))}
        if plan is not None:
            row.update(planned_figures(rota, client_table, worker_table, bid_settings, plan, floor, bid, model))
            components[bid.bid_id + " (planned)"] = row.pop("planned_components")
        rows.append(row)
        if progress:
            progress(bid.bid_id)
    table = pd.DataFrame(rows)
    # The verdict compares whole pence, as a price is quoted: a bid at its cost floor is sustainable.
    price_p = np.round(table["price_per_hour"].to_numpy() * 100)
    floor_p = np.round(table["cost_floor_per_hour"].to_numpy() * 100)
    table["verdict"] = np.where(price_p >= floor_p, "sustainable", "below cost")
    table["margin_share"] = table["margin"] / table["price_per_hour"]
    ordered = BID_COLUMNS + [c for c in table.columns if c not in BID_COLUMNS]
    return TenderResult(table[ordered], components, assumptions(models, settings), notes)


def planned_figures(rota, clients, workers, settings, plan, floor, bid: Bid, model: CostModel) -> dict:
    """The cost floor again, for the least-travel plan of the same visits (``carerota plan``)."""
    from carerota.plan import plan_rota, unmonitored  # OR-Tools is loaded only when a bid is planned

    planned = plan_rota(rota, clients=clients, workers=workers, plan=plan, settings=settings)
    result = travelled(Rota(rota.name, unmonitored(planned.planned), [], [], False), clients, workers,
                       settings)
    figures = cost_floor(result.timeline, settings, floor, bid.london, model)
    return {"planned_travel_hours_per_contact_hour": figures["travel_hours_per_contact_hour"],
            "planned_cost_floor_per_hour": figures["cost_floor_per_hour"],
            "planned_margin": bid.price_per_hour - figures["cost_floor_per_hour"],
            "planned_unassigned_visits": int(len(planned.unassigned)),
            "planned_components": figures["components"]}


def assumptions(models: dict[str, CostModel], settings: AuditSettings) -> dict:
    """What every figure rests on: the cost parameters (per bid where the dates differ) and sources."""
    distinct = {tuple(sorted(m.values.items())) for m in models.values()}
    first = next(iter(models.values()))
    out = {
        "wage_floor": settings.floor.label + " (bids may set their own)",
        "working_time": {"paid_gap_minutes": settings.rules.paid_gap, "split_gap_minutes": settings.rules.split_gap},
        "travel": {"default_mode": settings.travel.default_mode, "speed_kmh": dict(settings.travel.speed_kmh),
                   "circuity": dict(settings.travel.circuity),
                   "travel_matrix": settings.travel.matrix is not None},
        "cost_model": dict(first.values),
        "sources": dict(first.sources),
    }
    if len(distinct) > 1:
        out["cost_model_by_bid"] = {bid: dict(m.values) for bid, m in models.items()}
    return out
