"""Dated wage-floor tables: the statutory National Minimum/Living Wage and the Real Living Wage.

The rates live in ``data/wage_floors.csv`` (with their sources) rather than in code, so a new April
rate is a one-line data change. The rate for a pay reference period is the one in force on its first
day (HMRC NMW Manual NMWM03110).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

SCHEMES = {"nlw": "National Living Wage (statutory)", "rlw": "Real Living Wage"}


class NoRate(ValueError):
    """A date before the first rate a scheme's table holds: ``on`` is the earliest such date, so the
    caller can name where it came from (a pay period, or --as-of)."""

    def __init__(self, scheme: str, first: date, on: date, as_of: bool = False):
        self.scheme, self.first, self.on, self.as_of = scheme, first, on, as_of
        when = f"--as-of is {on}" if as_of else f"a period starts {on}"
        super().__init__(f"no {SCHEMES[scheme]} rate is known before {first} ({when}); "
                         "give the rate yourself with --wage AMOUNT")


@dataclass(frozen=True)
class WageFloor:
    """What a worker must get per hour of working time: a dated scheme or a fixed £ amount."""

    scheme: str  # "nlw", "rlw" or "fixed"
    amount: float | None = None

    @classmethod
    def parse(cls, text: str) -> WageFloor:
        """Read ``nlw``, ``rlw`` or an amount such as ``12.71`` or ``£13.45``."""
        key = text.strip().lower()
        if key in SCHEMES:
            return cls(key)
        match = re.fullmatch(r"£?\s*(\d+(?:\.\d+)?)", key)
        if not match or not 0 < float(match.group(1)) < 1000:
            raise ValueError(f"expected nlw, rlw or an hourly amount in £ such as 12.71, got {text!r}")
        return cls("fixed", float(match.group(1)))

    @property
    def label(self) -> str:
        return SCHEMES.get(self.scheme) or f"£{self.amount:.2f} an hour"


@cache
def floor_table() -> pd.DataFrame:
    with files("carerota").joinpath("data/wage_floors.csv").open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, parse_dates=["effective_from"])
    table["max_age"] = table["max_age"].fillna(np.inf)
    return table.sort_values(["scheme", "area", "effective_from", "min_age"]).reset_index(drop=True)


@cache
def known_until() -> dict[str, date]:
    """The last day each scheme's table is known to be current; later periods get a warning."""
    with files("carerota").joinpath("data/wage_floor_coverage.csv").open(encoding="utf-8") as fh:
        coverage = pd.read_csv(fh, parse_dates=["known_until"])
    return {row.scheme: row.known_until.date() for row in coverage.itertuples()}


def age_on(date_of_birth: pd.Series, on: pd.Series) -> pd.Series:
    """Age in whole years on each date (a birthday counts from the day itself)."""
    dob, on = pd.to_datetime(date_of_birth), pd.to_datetime(on)
    before_birthday = (on.dt.month < dob.dt.month) | (
        (on.dt.month == dob.dt.month) & (on.dt.day < dob.dt.day)
    )
    return (on.dt.year - dob.dt.year - before_birthday.astype(int)).astype("float64")


def floor_rates(floor: WageFloor, on: pd.Series, age: pd.Series, london: pd.Series) -> pd.DataFrame:
    """The wage floor for each (date, age, London?) row: columns ``rate`` and ``band``.

    ``age`` is NaN where unknown: the worker is then taken to be entitled to the top band.
    The Real Living Wage covers workers aged 18 and over; younger workers get their statutory rate.
    Raises NoRate for a date before the first rate the table knows.
    """
    on = pd.to_datetime(pd.Series(on)).reset_index(drop=True)
    age = pd.Series(age, dtype="float64").reset_index(drop=True)
    london = pd.Series(london, dtype="bool").reset_index(drop=True)
    if floor.scheme == "fixed":
        return pd.DataFrame({"rate": np.full(len(on), floor.amount), "band": floor.label})

    scheme = np.where((floor.scheme == "rlw") & ~(age < 18), "rlw", "nlw")
    area = np.where(scheme == "rlw", np.where(london, "london", "uk"), "all")
    rate = np.full(len(on), np.nan)
    band = np.empty(len(on), dtype=object)
    table = floor_table()
    for (sch, ar), part in table.groupby(["scheme", "area"]):
        rows = np.flatnonzero((scheme == sch) & (area == ar))
        if not len(rows):
            continue
        dates = np.sort(part["effective_from"].unique())
        when = np.searchsorted(dates, on.iloc[rows].to_numpy(dtype="datetime64[ns]"), side="right") - 1
        if (when < 0).any():
            raise NoRate(str(sch), pd.Timestamp(dates[0]).date(), on.iloc[rows[when < 0]].min().date())
        for i in np.unique(when):
            bands = part[part["effective_from"] == dates[i]]
            sel = rows[when == i]
            ages = age.iloc[sel].to_numpy()
            pick = np.searchsorted(bands["min_age"].to_numpy(), ages, side="right") - 1
            pick = np.where(np.isnan(ages), len(bands) - 1, np.clip(pick, 0, None))
            rate[sel] = bands["rate"].to_numpy()[pick]
            band[sel] = bands["band"].to_numpy()[pick]
    return pd.DataFrame({"rate": rate, "band": band})


def rate_is_known(floor: WageFloor, day: date) -> bool:
    """False when ``day`` lies past the last rate the table is known to be current for."""
    if floor.scheme == "fixed":
        return True
    return day <= known_until()[floor.scheme]
