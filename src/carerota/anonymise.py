"""Sharing a rota without the people in it (UK GDPR data minimisation).

Worker, client and visit ids become keyed pseudonyms (HMAC-SHA256): the same key always gives the
same pseudonym, so the provider who keeps the key can re-identify a finding and the union or
commissioner who receives the files cannot. Only the columns the audit needs are copied; names,
postcodes and free text are not. Client homes become travel times (a travel matrix of every journey
the rota makes) or homes displaced by a distance small enough to keep every estimated journey within
a stated tolerance. Every copied cell keeps its text, so the anonymised files read exactly as the
originals did, and the audit's figures are the same.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import shlex
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from carerota.audit import locate
from carerota.errors import InputError, Problem
from carerota.load import (Rota, clients_from_table, lookup, payslips_from_table, rota_from_table,
                           workers_from_table)
from carerota.rates import age_on, floor_table
from carerota.read import Reading, Table, read_table
from carerota.travel import TravelModel, leg_minutes, matrix_values
from carerota.worktime import visit_times

KEY_BYTES = 32
PSEUDONYM_HEX = 12  # 48 bits: a collision among a county's ids is vanishingly unlikely, and checked
LOCATIONS = ("matrix", "displace")
WORKING_AGE = 16

# The columns each file keeps: what the audit reads, and nothing that names or describes a person.
ROTA_KEEP = ("visit_id", "worker_id", "client_id", "start", "end", "date", "duration", "actual_start",
             "actual_end", "actual_duration", "visit_pay", "hourly_rate", "travel_pay", "mileage_pay",
             "agreed_short", "window_start", "window_end", "carers")
CLIENTS_KEEP = ("client_id", "named_team")
WORKERS_KEEP = ("worker_id", "travel_mode", "london")
PAYSLIPS_KEEP = ("worker_id", "period_start", "period_end", "gross_pay", "expenses")
PREFIX = {"worker": "W-", "client": "C-", "visit": "V-"}


class KeyFileError(ValueError):
    """A key file that cannot be used (too short, unreadable)."""


def read_key(path: Path) -> tuple[bytes, bool]:
    """The secret key in ``path``, made (random, readable by its owner only) when the file does not
    exist. Returns the key and whether it was made now."""
    if not path.exists():
        key = secrets.token_hex(KEY_BYTES).encode("ascii")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        return key, True
    try:
        key = path.read_bytes().strip()
    except OSError as error:
        raise KeyFileError(f"cannot read the key file {path}: {error.strerror}") from None
    if len(key) < 16:
        raise KeyFileError(f"the key file {path} holds {len(key)} bytes; expected at least 16 (a new key file is "
                        "made when the named file does not exist)")
    return key, False


def pseudonyms(values: pd.Series, key: bytes, kind: str) -> pd.Series:
    """Each id's keyed pseudonym (blank cells stay blank), worked out once per distinct id. ``kind``
    is part of the message, so a worker and a client with the same id get unrelated pseudonyms."""
    text = values.astype("string").str.strip()
    codes, distinct = pd.factorize(text)
    made = np.array([PREFIX[kind] + hmac.digest(key, f"{kind}\x00{v}".encode("utf-8"), hashlib.sha256)
                     .hex()[:PSEUDONYM_HEX] if v else "" for v in distinct], dtype=object)
    if len(set(made)) < len(made):
        raise InputError(Problem(str(kind), f"two {kind} ids share a pseudonym; use another key"))
    out = pd.Series(np.append(made, "")[codes], index=values.index, dtype="string")
    return out.where(text.notna(), "")


def team_pseudonyms(teams: pd.Series, key: bytes) -> pd.Series:
    """A named_team cell ("W01; W04") with each worker id replaced, in the same order."""
    filled = teams.fillna("").astype("string")
    parts = filled.str.split(";").explode().str.strip()
    mapped = pseudonyms(parts, key, "worker")
    joined = mapped[mapped != ""].groupby(level=0).agg(";".join)
    return joined.reindex(teams.index, fill_value="").astype("string")


@dataclass
class Anonymised:
    """The shareable tables (text columns, canonical names) and what was done to make them."""

    rota: pd.DataFrame
    clients: pd.DataFrame | None = None
    workers: pd.DataFrame | None = None
    payslips: pd.DataFrame | None = None
    travel: pd.DataFrame | None = None  # from_client, to_client, mode, minutes[, km]
    lookup: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["kind", "id", "pseudonym"]))
    dropped: dict[str, list[str]] = field(default_factory=dict)
    locations: str = "matrix"
    tolerance_minutes: float | None = None
    displacement_m: tuple[float, float] | None = None  # (least, most) a home was moved
    max_change_minutes: float | None = None  # the largest change to any journey's estimate
    notes: list[str] = field(default_factory=list)


def anonymised_paths(output: Path) -> dict[str, Path]:
    """Where each anonymised file goes: the rota at ``output``, the others beside it."""
    suffix = output.suffix or ".csv"
    return {"rota": output} | {name: output.with_name(f"{output.stem}-{name}{suffix}")
                               for name in ("clients", "workers", "payslips", "travel")}


def audit_command(written: dict[str, Path]) -> str:
    """The command that audits the anonymised files."""
    options = {"clients": "--clients", "workers": "--workers", "payslips": "--payslips", "travel": "--travel-matrix"}
    words = ["carerota", "audit", str(written["rota"])]
    for name, option in options.items():
        if name in written:
            words += [option, str(written[name])]
    return shlex.join(words)


def kept(t: Table, keep: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """The table's columns that are kept, and the canonical ones that are not."""
    cols = [c for c in keep if c in t.frame]
    return t.frame[cols].copy(), [c for c in t.frame if c not in keep]


def anonymise(
    rota_source: str | Path,
    key: bytes,
    *,
    clients: str | Path | None = None,
    workers: str | Path | None = None,
    payslips: str | Path | None = None,
    travel: TravelModel = TravelModel(),
    reading: Reading = Reading(),
    locations: str = "matrix",
    tolerance_minutes: float = 1.0,
) -> Anonymised:
    """Pseudonymise the rota (and its clients, workers and payslips files) and replace client homes."""
    if locations not in LOCATIONS:
        raise ValueError(f"expected locations {' or '.join(LOCATIONS)}, got {locations!r}")
    if not (tolerance_minutes > 0 and math.isfinite(tolerance_minutes)):
        raise ValueError(f"expected a tolerance above 0 minutes, got {tolerance_minutes!r}")
    rota_table = read_table(rota_source, "rota", reading, what="visit")
    rota = rota_from_table(rota_table, reading)
    client_table = read_table(clients, "clients", reading, what="client") if clients else None
    worker_table = read_table(workers, "workers", reading, what="worker") if workers else None
    slips = read_table(payslips, "payslips", reading, what="payslip") if payslips else None
    typed_clients = clients_from_table(client_table, reading) if client_table is not None else None
    typed_workers = workers_from_table(worker_table, reading) if worker_table is not None else None

    out, dropped = kept(rota_table, ROTA_KEEP)
    result = Anonymised(rota=out, locations=locations)
    result.dropped["rota"] = dropped
    ids = {"worker": [rota_table.frame["worker_id"]], "client": [rota_table.frame["client_id"]],
           "visit": [rota_table.frame["visit_id"]] if "visit_id" in rota_table.frame else []}
    out["worker_id"] = pseudonyms(out["worker_id"], key, "worker")
    out["client_id"] = pseudonyms(out["client_id"], key, "client")
    if "visit_id" in out:
        out["visit_id"] = pseudonyms(out["visit_id"], key, "visit")

    if client_table is not None:
        result.clients, result.dropped["clients"] = kept(client_table, CLIENTS_KEEP)
        ids["client"].append(client_table.frame["client_id"])
        result.clients["client_id"] = pseudonyms(result.clients["client_id"], key, "client")
        if "named_team" in result.clients:
            ids["worker"].append(client_table.frame["named_team"].fillna("").str.split(";").explode().str.strip())
            result.clients["named_team"] = team_pseudonyms(result.clients["named_team"], key)
    if worker_table is not None:
        result.workers, result.dropped["workers"] = kept(worker_table, WORKERS_KEEP)
        ids["worker"].append(worker_table.frame["worker_id"])
        result.workers["worker_id"] = pseudonyms(result.workers["worker_id"], key, "worker")
        ages = band_ages(typed_workers, rota.visits, payslips_from_table(slips) if slips is not None else None)
        result.workers.insert(1, "age", ages["age"].to_numpy())
        if ages["date_of_birth"].ne("").any():
            result.workers.insert(2, "date_of_birth", ages["date_of_birth"].to_numpy())
        result.dropped["workers"] = [c for c in result.dropped["workers"] if c not in ("age", "date_of_birth")]
        kept_dob = int(ages["date_of_birth"].ne("").sum())
        result.notes.append(
            "Ages are replaced by the youngest age of each worker's wage-floor band"
            + (f"; {kept_dob} worker(s) change band during the rota, so their date of birth is kept." if kept_dob
               else "."))
    if slips is not None:
        result.payslips, result.dropped["payslips"] = kept(slips, PAYSLIPS_KEEP)
        ids["worker"].append(slips.frame["worker_id"])
        result.payslips["worker_id"] = pseudonyms(result.payslips["worker_id"], key, "worker")

    modes = typed_workers["travel_mode"].dropna() if typed_workers is not None else pd.Series(dtype=object)
    legs = journeys(rota, typed_clients, modes, travel)
    if locations == "matrix":
        matrix = travel_matrix(legs, key, travel)
        result.travel = matrix if len(matrix) else None  # no journeys between two homes: nothing to time
    else:
        displace(result, rota, typed_clients, legs, key, travel, tolerance_minutes)
    result.lookup = lookup_table(ids, key)
    return result


def lookup_table(ids: dict[str, list[pd.Series]], key: bytes) -> pd.DataFrame:
    """kind, id, pseudonym: for the provider only, to re-identify what the recipients report."""
    frames = []
    for kind, columns in ids.items():
        if not columns:
            continue
        values = pd.concat(columns, ignore_index=True).astype("string").str.strip()
        values = pd.Series(values[values.notna() & (values != "")].unique(), dtype="string")
        frames.append(pd.DataFrame({"kind": kind, "id": values, "pseudonym": pseudonyms(values, key, kind)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["kind", "id", "pseudonym"])


def band_ages(workers: pd.DataFrame, visits: pd.DataFrame, payslips: pd.DataFrame | None) -> pd.DataFrame:
    """Each worker's age as little as the audit needs it: the youngest age of the wage-floor band they
    are in on every date the audit can look at, or their date of birth if their band changes then.

    The dates are the rota's days and a month before its first (the longest pay period can start
    that early), and the payslips' period starts. The bands' edges are every age at which any
    floor table of any date changes rate (25, 23, 21, 18)."""
    edges = np.unique(floor_table()["min_age"].to_numpy(dtype="float64"))
    days = pd.to_datetime(visits["start"]).dt.tz_convert("Europe/London").dt.tz_localize(None).dt.normalize()
    first, last = days.min() - timedelta(days=31), days.max()
    if payslips is not None and len(payslips):
        first = min(first, pd.Timestamp(payslips["period_start"].min()))
    dob = workers["date_of_birth"]
    at_first = age_on(dob, pd.Series(first, index=workers.index)).where(dob.notna(), workers["age"])
    at_last = age_on(dob, pd.Series(last, index=workers.index)).where(dob.notna(), workers["age"])
    band_first = np.searchsorted(edges, at_first.to_numpy(dtype="float64"), side="right")
    band_last = np.searchsorted(edges, at_last.to_numpy(dtype="float64"), side="right")
    known = at_first.notna().to_numpy()
    steady = known & (band_first == band_last)
    youngest = np.maximum(edges[np.clip(band_first - 1, 0, len(edges) - 1)], WORKING_AGE)
    age = np.where(steady, youngest, np.nan)
    keep_dob = known & ~steady & dob.notna().to_numpy()
    return pd.DataFrame({
        "age": [f"{a:g}" if not np.isnan(a) else "" for a in age],
        "date_of_birth": np.where(keep_dob, dob.dt.strftime("%Y-%m-%d").fillna(""), ""),
    }, index=workers.index)


def journeys(rota: Rota, clients: pd.DataFrame | None, modes: pd.Series, travel: TravelModel) -> pd.DataFrame:
    """Every journey between two clients the audit can make from this rota, once per (from, to,
    mode): between each worker's consecutive visits in planned order and in call-monitoring order
    (``--times actual``), whatever the gap, so any gap rule finds its journeys. Columns as
    travel.leg_minutes takes them, with the homes the audit would use in that order."""
    visits = locate(rota.visits, clients)
    frames = []
    for use_actual in (False, True):
        v = visit_times(visits, use_actual=use_actual)
        client = v["client_id"].to_numpy(dtype=object)
        worker = v["worker_id"].to_numpy(dtype=object)
        homes = v[["lat", "lon"]].groupby(v["client_id"].to_numpy()).first()  # as worktime.travel_between
        move = np.flatnonzero((worker[1:] == worker[:-1]) & (client[1:] != client[:-1]))
        frm, to = client[move], client[move + 1]
        frames.append(pd.DataFrame({
            "row": v["row"].to_numpy()[move + 1], "from_client": frm, "to_client": to,
            "from_lat": homes["lat"].reindex(frm).to_numpy(), "from_lon": homes["lon"].reindex(frm).to_numpy(),
            "to_lat": homes["lat"].reindex(to).to_numpy(), "to_lon": homes["lon"].reindex(to).to_numpy(),
            "mode": lookup(pd.Series(worker[move + 1]), modes.astype(object), travel.default_mode),
        }))
    legs = pd.concat(frames, ignore_index=True).drop_duplicates(["from_client", "to_client", "mode"])
    return legs.reset_index(drop=True)


def known_legs(legs: pd.DataFrame, travel: TravelModel) -> np.ndarray:
    """Which journeys the audit could time: both homes known, or the pair in the given matrix. The
    rest are left out, as the audit of the original would fail on them too if it needed them."""
    located = legs[["from_lat", "from_lon", "to_lat", "to_lon"]].notna().all(axis=1).to_numpy()
    if travel.matrix is not None:
        located |= ~np.isnan(matrix_values(travel.matrix["minutes"], legs["from_client"].to_numpy(),
                                           legs["to_client"].to_numpy(), legs["mode"].to_numpy()))
    return located


def travel_matrix(legs: pd.DataFrame, key: bytes, travel: TravelModel) -> pd.DataFrame:
    """from_client, to_client, mode, minutes (and km where the given matrix has them), pseudonymised:
    the minutes the audit of the original works out for each journey, at full precision."""
    legs = legs[known_legs(legs, travel)].reset_index(drop=True)
    minutes, _ = leg_minutes(legs, travel, "rota")
    out = pd.DataFrame({
        "from_client": pseudonyms(legs["from_client"], key, "client"),
        "to_client": pseudonyms(legs["to_client"], key, "client"),
        "mode": legs["mode"].astype("string"),
        "minutes": [repr(float(m)) for m in minutes],
    })
    if travel.matrix is not None and "km" in travel.matrix and travel.matrix["km"].notna().any():
        km = matrix_values(travel.matrix["km"], legs["from_client"].to_numpy(), legs["to_client"].to_numpy(),
                           legs["mode"].to_numpy())
        out["km"] = ["" if np.isnan(k) else repr(float(k)) for k in km]
    return out


def offsets(client_ids: np.ndarray, key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A bearing (radians) and a share between ½ and 1 of the largest move, for each client, from its
    keyed hash: the same key moves a client's home the same way every time."""
    digests = [hmac.digest(key, f"home\x00{c}".encode("utf-8"), hashlib.sha256) for c in client_ids]
    u = np.array([[int.from_bytes(d[:8], "big"), int.from_bytes(d[8:16], "big")] for d in digests],
                 dtype="float64").reshape(-1, 2) / 2.0 ** 64
    return 2 * np.pi * u[:, 0], 0.5 + 0.5 * u[:, 1]


def moved(lat: np.ndarray, lon: np.ndarray, bearing: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points moved ``km`` along ``bearing`` (a local flat approximation: moves are a few hundred
    metres; the tolerance is checked on the ellipsoid afterwards), to 6 decimals (about 0.1 m)."""
    dlat = km * np.cos(bearing) / 111.32
    dlon = km * np.sin(bearing) / (111.32 * np.cos(np.radians(lat)))
    return np.round(lat + dlat, 6), np.round(lon + dlon, 6)


def shifted(step: pd.DataFrame, client_ids, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Homes moved by their client's step (bearing, km)."""
    s = step.reindex(np.asarray(client_ids, dtype=object))
    return moved(np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64"),
                 s["bearing"].to_numpy(), s["km"].to_numpy())


def displace(result: Anonymised, rota: Rota, clients: pd.DataFrame | None, legs: pd.DataFrame, key: bytes,
             travel: TravelModel, tolerance: float) -> None:
    """Give every rota row its client's home moved by a keyed offset, far enough to hide the address
    and near enough that no estimated journey changes by more than ``tolerance`` minutes.

    Moving both ends of a journey by at most r changes its straight-line distance by at most 2r, so
    its estimate by at most 2r × circuity ÷ speed; r is set from the slowest mode the rota uses, then
    every journey is re-estimated from the written (rounded) coordinates, and r shrinks until all
    are within the tolerance."""
    used = sorted(set(legs["mode"])) or [travel.default_mode]
    largest = tolerance / (2 * max(travel.circuity[m] / travel.speed_kmh[m] * 60 for m in used))
    visits = locate(rota.visits, clients)
    estimated = legs[legs[["from_lat", "from_lon", "to_lat", "to_lon"]].notna().all(axis=1).to_numpy()]
    if travel.matrix is not None:  # journeys in the given matrix keep their minutes wherever the homes are
        in_matrix = ~np.isnan(matrix_values(travel.matrix["minutes"], estimated["from_client"].to_numpy(),
                                            estimated["to_client"].to_numpy(), estimated["mode"].to_numpy()))
        estimated = estimated[~in_matrix]
    estimated = estimated.reset_index(drop=True)
    before = leg_minutes(estimated, travel, "rota")[0]
    ids = pd.Index(visits["client_id"].unique())
    bearing, share = offsets(ids.to_numpy(dtype=object), key)
    for _ in range(20):
        step = pd.DataFrame({"bearing": bearing, "km": share * largest}, index=ids)
        after = estimated.copy()
        after["from_lat"], after["from_lon"] = shifted(step, after["from_client"], after["from_lat"], after["from_lon"])
        after["to_lat"], after["to_lon"] = shifted(step, after["to_client"], after["to_lat"], after["to_lon"])
        change = float(np.max(np.abs(leg_minutes(after, travel, "rota")[0] - before), initial=0.0))
        if change <= tolerance:
            break
        largest *= 0.9
    else:
        raise ValueError(f"could not move the homes within {tolerance:g} minutes")

    lat, lon = shifted(step, visits["client_id"], visits["lat"], visits["lon"])
    result.dropped["rota"] = [c for c in result.dropped["rota"] if c not in ("lat", "lon")]
    result.rota["lat"] = np.where(np.isnan(lat), "", np.char.mod("%.6f", np.nan_to_num(lat)))
    result.rota["lon"] = np.where(np.isnan(lon), "", np.char.mod("%.6f", np.nan_to_num(lon)))
    moved_m = step["km"].to_numpy() * 1000
    result.tolerance_minutes = tolerance
    result.displacement_m = (float(moved_m.min()), float(moved_m.max())) if len(moved_m) else (0.0, 0.0)
    result.max_change_minutes = change
