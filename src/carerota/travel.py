"""Travel time between client homes: a supplied matrix where given, else distance × circuity ÷ speed.

Distances are ellipsoidal (WGS84) by Lambert's formula, vectorised in numpy; geopy's geodesic is the
reference it is tested against (within a few metres), and calling geopy per pair would be thousands
of times slower on a large rota.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carerota.errors import MAX_LISTED, InputError, Problem

WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563

# Defaults for when no travel matrix is given; see docs/method.md for where they come from.
SPEED_KMH = {"drive": 30.0, "walk": 4.8, "cycle": 15.0, "transit": 15.0}
CIRCUITY = {"drive": 1.3, "walk": 1.2, "cycle": 1.25, "transit": 1.4}


@dataclass(frozen=True)
class TravelModel:
    """How to turn two client homes into minutes of travel for a worker's mode of travel."""

    default_mode: str = "drive"
    speed_kmh: dict[str, float] = field(default_factory=lambda: dict(SPEED_KMH))
    circuity: dict[str, float] = field(default_factory=lambda: dict(CIRCUITY))
    matrix: pd.DataFrame | None = None  # minutes (and km), indexed by (from_client, to_client)


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Ellipsoidal distance by Lambert's formula: within ~10 m of the geodesic worldwide."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype="float64")) for x in (lat1, lon1, lat2, lon2))
    beta1 = np.arctan((1 - WGS84_F) * np.tan(lat1))
    beta2 = np.arctan((1 - WGS84_F) * np.tan(lat2))
    hav = (np.sin((beta2 - beta1) / 2) ** 2
           + np.cos(beta1) * np.cos(beta2) * np.sin((lon2 - lon1) / 2) ** 2)
    sigma = 2 * np.arcsin(np.sqrt(np.clip(hav, 0, 1)))
    p, q = (beta1 + beta2) / 2, (beta2 - beta1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (sigma - np.sin(sigma)) * np.sin(p) ** 2 * np.cos(q) ** 2 / np.cos(sigma / 2) ** 2
        y = (sigma + np.sin(sigma)) * np.cos(p) ** 2 * np.sin(q) ** 2 / np.sin(sigma / 2) ** 2
        d = WGS84_A_KM * (sigma - WGS84_F / 2 * (x + y))
    return np.where(sigma > 0, d, 0.0)


def leg_minutes(legs: pd.DataFrame, model: TravelModel, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Minutes of travel for each leg.

    ``legs`` has from_client, to_client, from_lat, from_lon, to_lat, to_lon, mode and row (the
    visit's row, for error messages). A leg between two visits at the same client takes no time. A
    pair missing from the matrix is looked up the other way round, then estimated from the homes'
    locations; a needed location that is missing is an input error, never zero travel.
    Returns the minutes and how each was found ("matrix", "estimate" or "same home").
    """
    n = len(legs)
    minutes = np.full(n, np.nan)
    how = np.full(n, "estimate", dtype=object)
    same = (legs["from_client"] == legs["to_client"]).to_numpy()
    minutes[same], how[same] = 0.0, "same home"
    if model.matrix is not None and n:
        todo = np.isnan(minutes)
        found = matrix_values(model.matrix["minutes"], legs["from_client"].to_numpy()[todo],
                              legs["to_client"].to_numpy()[todo], legs["mode"].to_numpy()[todo])
        idx = np.flatnonzero(todo)[~np.isnan(found)]
        minutes[idx], how[idx] = found[~np.isnan(found)], "matrix"
    todo = np.isnan(minutes)
    if todo.any():
        part = legs.loc[todo]
        located = part[["from_lat", "from_lon", "to_lat", "to_lon"]].notna().all(axis=1).to_numpy()
        if not located.all():
            raise missing_locations(part.loc[~located], source)
        mode, names = pd.factorize(part["mode"].to_numpy(), use_na_sentinel=False)
        speed = np.array([model.speed_kmh.get(m, np.nan) for m in names], dtype="float64")[mode]
        circuity = np.array([model.circuity.get(m, np.nan) for m in names], dtype="float64")[mode]
        km = distance_km(part["from_lat"], part["from_lon"], part["to_lat"], part["to_lon"])
        minutes[todo] = km * circuity / speed * 60
    return minutes, how


def matrix_values(column: pd.Series, frm, to, mode) -> np.ndarray:
    """A travel-matrix column (minutes or km) for each leg, NaN where the matrix lacks it. The leg's
    own direction is looked up first, then the way back; in each, the row for the leg's mode before
    a row for every mode (mode "")."""
    found = np.full(len(frm), np.nan)
    for a, b in ((frm, to), (to, frm)):
        for m in (mode, np.full(len(frm), "", dtype=object)):
            todo = np.isnan(found)
            if not todo.any():
                return found
            key = pd.MultiIndex.from_arrays([np.asarray(a)[todo], np.asarray(b)[todo], np.asarray(m)[todo]])
            found[todo] = column.reindex(key).to_numpy(dtype="float64")
    return found


def missing_locations(legs: pd.DataFrame, source: str) -> InputError:
    """Name each client whose home is unknown, with the first rota row that needs it (and its file,
    where the rota is several files: ``file``); the first few are listed and the rest counted, as
    for any column's problems (a rota given without its clients file lacks every home)."""
    files = legs["file"].astype(str) if "file" in legs else pd.Series(source, index=legs.index)
    sides = []
    for side in ("from", "to"):
        unknown = legs[[f"{side}_lat", f"{side}_lon"]].isna().any(axis=1)
        sides.append(pd.DataFrame({"client": legs.loc[unknown, f"{side}_client"], "row": legs.loc[unknown, "row"],
                                   "file": files[unknown]}))
    # legs come in worker order, and each client's "from" side before its "to" side: the earliest
    # row is found by sorting first
    first = pd.concat(sides).sort_values(["row", "file"], kind="stable").drop_duplicates("client")
    listed = [Problem(file, f"no location for client {client!r}, needed for travel to or from this visit",
                      int(row), "lat/lon")
              for client, row, file in first.head(MAX_LISTED).itertuples(index=False)]
    return InputError(
        listed,
        hint="Give lat and lon (or a postcode, with a postcode table from 'carerota postcodes import') on the "
        "rota rows or in a --clients file, or a --travel-matrix covering these clients.",
        omitted=len(first) - len(listed),
    )
