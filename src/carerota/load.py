"""Typed, checked DataFrames from the input files: visits, clients, workers, payslips, travel matrix.

``carerota.read`` turns a file into text columns with canonical names; here each column is parsed
with vectorised pandas and every bad cell is reported with its file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carerota import postcodes
from carerota.errors import InputError, Problems
from carerota.read import Reading, Table, read_table

LOCAL_TZ = "Europe/London"
TRAVEL_MODES = ("drive", "walk", "cycle", "transit")
MAX_VISIT_HOURS = 24
FIRST_DAY, LAST_DAY = "1999-04-01", "2099-12-31"  # the minimum wage's first day; a later year is mistyped
MAX_MONEY = 100_000  # £ in one cell: a larger sum is a typo, and ten million of them still add up exactly in pence

MODE_ALIASES = {
    "drive": "drive", "driving": "drive", "car": "drive", "driver": "drive",
    "walk": "walk", "walking": "walk", "foot": "walk", "walker": "walk",
    "cycle": "cycle", "cycling": "cycle", "bike": "cycle", "bicycle": "cycle",
    "transit": "transit", "bus": "transit", "public transport": "transit", "public_transport": "transit",
}
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0", ""}


SOURCE_FILE = "source_file"  # the file a visit came from, where a rota is several (dataset.combine, convert)


@dataclass
class Rota:
    """The visits of a rota, canonical and typed, with what loading had to tell the user."""

    name: str
    visits: pd.DataFrame
    skipped_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    monitored: bool = False  # the file has call-monitoring (actual time) columns
    attribution: list[str] = field(default_factory=list)  # required by the postcode data's licence
    skipped_in: dict[str, list[int]] = field(default_factory=dict)  # a dataset's skipped rows, by file

    def skipped_by_file(self) -> dict[str, list[int]]:
        """Each file's skipped (empty) rows: rows are numbered within their own file."""
        return self.skipped_in or ({self.name: self.skipped_rows} if self.skipped_rows else {})


# --- typed columns -------------------------------------------------------------------------------

def blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s == "")


def distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The codes and distinct values of a text column. A rota repeats its times, rates and ids, so a
    column is parsed once per distinct value and spread back by the codes: a million visits have a
    few thousand distinct start times."""
    codes, values = pd.factorize(s, use_na_sentinel=True)
    return codes, pd.Series(values, dtype="string")


def spread(values, codes: np.ndarray, fill):
    """Results per distinct value back on the rows; ``fill`` where the row's cell was missing."""
    values = np.asarray(values)
    missing = codes < 0
    if not missing.any():
        return values[codes]
    return np.append(values, np.array([fill], dtype=values.dtype))[np.where(missing, len(values), codes)]


def lookup(ids: pd.Series, table: pd.Series, fill=np.nan) -> np.ndarray:
    """``table``'s value for each id (``fill`` where it has none), looked up once per distinct id."""
    codes, values = pd.factorize(ids, use_na_sentinel=True)
    found = table.reindex(values.astype(object)).to_numpy(dtype=object if table.dtype == object else None)
    found = np.where(pd.isna(found), fill, found) if len(found) else found
    return spread(found, codes, fill)


def plain_numbers(s: pd.Series) -> np.ndarray | None:
    """The column as floats (NaN where blank) when every other cell is a plain number, else None:
    one arrow cast, a hundred times faster than pandas' to_numeric on text."""
    text = pa.array(s, from_pandas=True, type=pa.string())
    try:
        numbers = pc.cast(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return numbers.to_numpy(zero_copy_only=False).astype("float64")


def parse_numbers(s: pd.Series) -> np.ndarray:
    """Numbers allowing a leading £ and thousands commas; NaN where a cell is not one."""
    values = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy().copy()
    retry = np.isnan(values) & ~blank(s).to_numpy()
    if retry.any():
        cleaned = s[retry].str.replace(r"^£\s*", "", regex=True)
        thousands = cleaned.str.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?").fillna(False).to_numpy(bool)
        cleaned = cleaned.where(~thousands, cleaned.str.replace(",", "", regex=False))
        values[retry] = pd.to_numeric(cleaned, errors="coerce").astype("float64").to_numpy()
    return values


def text_column(t: Table, col: str, problems: Problems, *, required: bool) -> pd.Series:
    s = t.frame[col]
    if required:
        missing = blank(s).to_numpy()
        if missing.any():
            problems.add_rows(t.name, t.rows[missing], col, s[missing], f"expected a {col}, found a blank cell")
    return s


def number_column(
    t: Table, col: str, problems: Problems, *, low: float, high: float = np.inf, required: bool = False
) -> pd.Series:
    """Parse numbers (allowing a leading £ and thousands commas); blanks become NaN, or a problem
    where the column is ``required``. A column of plain numbers takes arrow's cast; any other is
    parsed once per distinct value."""
    s = t.frame[col]
    v = plain_numbers(s)
    if v is None:
        codes, values = distinct(s)
        v = spread(parse_numbers(values), codes, np.nan)
    empty = blank(s).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~empty & ~(np.isfinite(v) & (v >= low) & (v <= high))
    bounds = f"at least {low:g}" if high == np.inf else f"between {low:g} and {high:g}"
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, s[bad], f"expected a number {bounds}")
    if required and empty.any():
        problems.add_rows(t.name, t.rows[empty], col, s[empty], f"expected a number {bounds}, found a blank cell")
    return pd.Series(np.where(bad, np.nan, v), index=s.index)


NAT = np.iinfo("int64").min  # NaT as int64


def localise(naive: pd.Series, prefer_dst: np.ndarray | Callable[[pd.Series], np.ndarray],
             coded: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Naive Europe/London wall-clock times → UTC, and which were ambiguous or nonexistent.

    In the hour repeated when clocks go back, ``prefer_dst`` picks the first (BST) reading (or says
    where to, given the BST readings); the hour skipped when clocks go forward is moved forward to
    the first real instant. Each distinct time is localised once: ``coded`` gives the times as codes
    into values (NaT allowed) where the caller has them (``read_times``), else they are found here.
    """
    codes, values = coded if coded is not None else pd.factorize(naive, use_na_sentinel=True)
    values = pd.Series(values, dtype="datetime64[us]")
    real = values.notna().to_numpy()
    as_dst = values.dt.tz_localize(LOCAL_TZ, ambiguous=np.ones(len(values), bool), nonexistent="NaT")
    as_gmt = values.dt.tz_localize(LOCAL_TZ, ambiguous=np.zeros(len(values), bool), nonexistent="NaT")
    nonexistent = as_dst.isna().to_numpy() & real
    ambiguous = (as_dst != as_gmt).to_numpy() & ~nonexistent & real
    if nonexistent.any():
        shifted = values[nonexistent].dt.tz_localize(LOCAL_TZ, nonexistent="shift_forward")
        as_dst, as_gmt = as_dst.copy(), as_gmt.copy()
        as_dst[nonexistent] = as_gmt[nonexistent] = shifted
    utc = {k: x.dt.tz_convert("UTC").astype("datetime64[us, UTC]").array.asi8 for k, x in
           (("dst", as_dst), ("gmt", as_gmt))}
    ambiguous = spread(ambiguous, codes, False)
    as_dst = spread(utc["dst"], codes, NAT)
    if callable(prefer_dst):
        prefer_dst = prefer_dst(pd.Series(as_dst.view("datetime64[us]"), index=naive.index).dt.tz_localize("UTC"))
    chosen = np.where(prefer_dst | ~ambiguous, as_dst, spread(utc["gmt"], codes, NAT))
    out = pd.Series(chosen.view("datetime64[us]"), index=naive.index).dt.tz_localize("UTC")
    return out, ambiguous, spread(nonexistent, codes, False)



OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
DAY_FIRST = r"^\d{1,2}/\d{1,2}/\d{4}"


def parse_naive_or_utc(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO 8601 or UK day-first text. Returns (naive local times, UTC times for text with an
    explicit offset); a value is NaT in both when it is not a date-time."""
    naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    utc = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    has_offset = s.str.contains(OFFSET, regex=True).fillna(False).to_numpy(bool)
    day_first = s.str.contains(DAY_FIRST, regex=True).fillna(False).to_numpy(bool)
    iso = ~has_offset & ~day_first
    # astype: text with nanoseconds parses to ns, which a microsecond column cannot take losslessly
    if has_offset.any():
        utc[has_offset] = pd.to_datetime(s[has_offset], format="ISO8601", utc=True, errors="coerce").astype(utc.dtype)
    if iso.any():
        naive[iso] = pd.to_datetime(s[iso], format="ISO8601", errors="coerce").astype(naive.dtype)
    if day_first.any():
        part = s[day_first]
        parsed = pd.to_datetime(part, format="%d/%m/%Y %H:%M", errors="coerce")
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
            retry = parsed.isna()
            if retry.any():
                parsed[retry] = pd.to_datetime(part[retry], format=fmt, errors="coerce")
        naive[day_first] = parsed
    return naive, utc


EXPECTED_TIME = "a date and time such as 2026-11-02 08:00 or 02/11/2026 08:00"
TIME_OF_DAY = r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?|24:00(?::00)?)"  # grouped: fullmatch may add ^ $
CLOCK_DURATION = r"\d{1,2}:[0-5]\d(?::[0-5]\d)?"
DAY = pd.Timedelta(days=1)
HALF_DAY = pd.Timedelta(hours=12)


def clock_time(text: pd.Series) -> pd.Series:
    """``H:MM`` or ``H:MM:SS`` text as a timedelta."""
    return pd.to_timedelta(text.where(text.str.count(":") == 2, text + ":00"))


def times_of_day(s: pd.Series) -> np.ndarray:
    """Which cells are a time of day; only short cells are tested (a fast path for date-times)."""
    short = (s.str.len() <= 8).fillna(False).to_numpy(bool)
    out = np.zeros(len(s), bool)
    if short.any():
        out[short] = s[short].str.fullmatch(TIME_OF_DAY).fillna(False).to_numpy(bool)
    return out


def read_times(t: Table, col: str, problems: Problems, *, required: bool, day: pd.Series | None,
               found: dict[str, Future] | None = None) -> tuple[pd.Series, pd.Series, np.ndarray, tuple | None]:
    """(naive local, UTC) times of a column, NaT where absent or bad (and reported), which cells
    were times of day (08:00): those are put on the date of ``day``, naive local times (normalised
    here, for those cells only); without one, an error;
    and, where there were none, the naive times as (codes, distinct values) for ``localise``. Each
    distinct cell is parsed once; ``found`` may hold the column's ``distinct``, being worked out."""
    s = t.frame[col] if col in t.frame else pd.Series("", index=t.frame.index, dtype="string")
    codes, values = found[col].result() if found and col in found else distinct(s)
    clock_values = times_of_day(values)
    naive_values, utc_values = parse_naive_or_utc(values.where(~clock_values, "") if clock_values.any() else values)
    naive = pd.Series(spread(naive_values.to_numpy(), codes, np.datetime64("NaT")), index=s.index)
    utc = pd.Series(utc_values.array.take(codes, allow_fill=True), index=s.index)
    clock = spread(clock_values, codes, False)
    empty = blank(s).to_numpy()
    if clock.any() and day is not None:
        offset = pd.Series(pd.NaT, index=values.index, dtype="timedelta64[us]")
        offset[clock_values] = clock_time(values[clock_values])
        on_day = spread(offset.to_numpy(), codes, np.timedelta64("NaT"))[clock]
        naive[clock] = (day[clock].dt.normalize() + on_day).to_numpy()
    bad = ~empty & ~clock & naive.isna().to_numpy() & utc.isna().to_numpy()
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, s[bad], f"expected {EXPECTED_TIME}")
    if clock.any() and day is None:
        problems.add_rows(t.name, t.rows[clock], col, s[clock],
                          f"expected {EXPECTED_TIME} (a time of day needs a date column)")
    if required and empty.any():
        problems.add_rows(t.name, t.rows[empty], col, s[empty], f"expected {EXPECTED_TIME}, found a blank cell")
    return naive, utc, clock, None if clock.any() else (codes, naive_values.to_numpy())


def local_naive(naive: pd.Series, utc: pd.Series) -> pd.Series:
    """Wall-clock UK time of each value, whichever way it was given."""
    if utc.isna().all():
        return naive
    return naive.where(naive.notna(), utc.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None))


def duration_column(t: Table, col: str, problems: Problems) -> pd.Series:
    """Minutes from ``30`` or ``00:30[:00]``; blank is NaN."""
    s = t.frame[col]
    clock = s.str.fullmatch(CLOCK_DURATION).fillna(False).to_numpy(bool)
    minutes = pd.to_numeric(s.where(~clock, ""), errors="coerce").astype("float64")
    if clock.any():
        minutes[clock] = clock_time(s[clock]).dt.total_seconds() / 60
    v = minutes.to_numpy()
    bad = ~blank(s).to_numpy() & ~(np.isfinite(v) & (v >= 0) & (v <= MAX_VISIT_HOURS * 60))
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, s[bad],
                          f"expected a duration of at most {MAX_VISIT_HOURS} hours: minutes (30) or HH:MM (00:30)")
    return minutes.where(~bad)


def interval(t: Table, cols: tuple[str, str, str], problems: Problems, notes: list[str], *, required: bool,
             day: pd.Series | None, near: pd.Series | None = None,
             found: dict[str, Future] | None = None) -> tuple[pd.Series, pd.Series]:
    """Start and end in UTC from (start, end, duration) columns.

    Times of day are put on ``day``; a start given as a time of day is moved by a day if that brings
    it within 12 hours of ``near`` (a check-in just after midnight for a visit planned just before),
    and an end given as a time of day is the first such time at or after its start. Without an end,
    the duration is added to the start as elapsed time.
    """
    start_col, end_col, duration_col = cols
    start_naive, start_utc, start_clock, start_coded = read_times(t, start_col, problems, required=required,
                                                                  day=day, found=found)
    if near is not None and start_clock.any():
        gap = start_naive - near
        late, early = (start_clock & (g.fillna(False).to_numpy(bool)) for g in (gap > HALF_DAY, gap < -HALF_DAY))
        start_naive = start_naive.where(~late, start_naive - DAY).where(~early, start_naive + DAY)
    start, amb_s, gap_s = localise(start_naive, np.ones(len(start_naive), bool), start_coded)
    start = start.where(start_naive.notna(), start_utc)
    ambiguous, skipped = int(amb_s.sum()), int(gap_s.sum())
    if end_col in t.frame or duration_col not in t.frame:
        start_local = local_naive(start_naive, start_utc)
        end_naive, end_utc, end_clock, end_coded = read_times(t, end_col, problems, required=required,
                                                              day=start_local, found=found)
        before = end_clock & (end_naive < start_local).fillna(False).to_numpy(bool)
        end_naive = end_naive.where(~before, end_naive + DAY)
        # An ambiguous end is read as BST unless that puts it before its start (a visit across
        # 01:00-02:00 on the night the clocks go back).
        end, amb_e, gap_e = localise(end_naive, lambda as_bst: ~(as_bst <= start).fillna(False).to_numpy(bool),
                                     end_coded)
        end = end.where(end_naive.notna(), end_utc)
        ambiguous, skipped = ambiguous + int(amb_e.sum()), skipped + int(gap_e.sum())
    else:
        minutes = duration_column(t, duration_col, problems)
        empty = blank(t.frame[duration_col]).to_numpy()
        if required and empty.any():
            problems.add_rows(t.name, t.rows[empty], duration_col, t.frame[duration_col][empty],
                              "expected a duration (minutes or HH:MM), found a blank cell")
        end = start + pd.to_timedelta(minutes, unit="min")
    if ambiguous:
        notes.append(
            f"{t.name}: {ambiguous} time(s) in the repeated hour when clocks went back were read as "
            "BST (the first 01:00-01:59), or GMT where BST would end a visit before it started."
        )
    if skipped:
        notes.append(
            f"{t.name}: {skipped} time(s) in the hour skipped when clocks went forward do not exist "
            "in UK time; they were moved to 02:00 BST."
        )
    return start, end


def date_column(t: Table, col: str, problems: Problems, *, required: bool) -> pd.Series:
    s = t.frame[col]
    codes, values = distinct(s)
    naive = pd.Series(spread(parse_naive_or_utc(values)[0].to_numpy(), codes, np.datetime64("NaT")), index=s.index)
    empty = blank(s).to_numpy()
    timed = naive.notna() & (naive != naive.dt.normalize())
    bad = ~empty & (naive.isna().to_numpy() | timed.to_numpy())
    expected = "a date such as 2026-11-02 or 02/11/2026"
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, s[bad], f"expected {expected}")
    if required and empty.any():
        problems.add_rows(t.name, t.rows[empty], col, s[empty], f"expected {expected}, found a blank cell")
    return naive.dt.normalize().where(~bad)


def bool_column(t: Table, col: str, problems: Problems) -> pd.Series:
    codes, values = distinct(t.frame[col].str.lower())
    truthy = spread(values.isin(TRUE_WORDS).to_numpy(bool), codes, False)
    falsy = spread(values.isin(FALSE_WORDS).to_numpy(bool), codes, True)
    bad = ~truthy & ~falsy
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, t.frame[col][bad], "expected true or false")
    return pd.Series(truthy, index=t.frame.index)


# --- files ---------------------------------------------------------------------------------------

def load_rota(source: str | Path, reading: Reading = Reading()) -> Rota:
    """One row per worker-visit, times in UTC, money as float £, with the source row numbers kept."""
    return rota_from_table(read_table(source, "rota", reading, what="visit"), reading)


def rota_from_table(t: Table, reading: Reading = Reading()) -> Rota:
    """The typed, checked visits of a rota read as text (``read_table``)."""
    problems, notes = Problems(), list(t.notes)
    f = t.frame
    out = pd.DataFrame({"row": t.rows.astype("int64")})  # same RangeIndex as t.frame
    out["worker_id"] = text_column(t, "worker_id", problems, required=True)
    out["client_id"] = text_column(t, "client_id", problems, required=True)
    given_id = f["visit_id"] if "visit_id" in f else pd.Series("", index=f.index, dtype="string")
    unnamed = blank(given_id).to_numpy()
    out["visit_id"] = given_id.where(~unnamed, "row " + out["row"].astype("string")) if unnamed.any() else given_id
    with ThreadPoolExecutor(1) as pool:  # arrow lets go of the GIL: the times' distinct values are
        # found, and the numbers and flags typed, on a second core while the times are read
        found = {col: pool.submit(distinct, f[col]) for col in ("end", "actual_start", "actual_end") if col in f}
        plain = pool.submit(plain_columns, t)
        day = visit_dates(t, problems)
        out["start"], out["end"] = interval(t, ("start", "end", "duration"), problems, notes, required=True,
                                            day=day, found=found)
        planned_day = out["start"].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        out["actual_start"], out["actual_end"] = optional_interval(
            t, ("actual_start", "actual_end", "actual_duration"), problems, notes, planned_day, found=found)
        columns, their_problems = plain.result()
    problems.extend(their_problems)  # in the order a column-by-column reading would list them
    for col, values in columns.items():
        out[col] = values
    out["window_start"], out["window_end"] = optional_interval(t, ("window_start", "window_end", ""), problems,
                                                               notes, planned_day, shift=False)
    out["required_skill"] = f["required_skill"].fillna("").str.strip() if "required_skill" in f else ""
    out["carers"] = number_column(t, "carers", problems, low=1, high=10) if "carers" in f else np.nan
    attribution = locate_by_postcode(t, out, ("postcode", "lat", "lon"), reading, problems, notes)
    problems.raise_if_any()

    check_dates(t.name, out, ("start", "end", "actual_start", "actual_end", "window_start", "window_end"), problems)
    check_times(t.name, out, "start", "end", problems, planned=True)
    check_times(t.name, out, "actual_start", "actual_end", problems, planned=False)
    check_windows(t.name, out, problems)
    problems.raise_if_any()
    notes += short_handed(t.name, out)
    monitored = any(c in f for c in ("actual_start", "actual_end", "actual_duration"))
    return Rota(t.name, out.drop(columns="carers"), t.skipped_rows, notes, monitored, attribution)


def plain_columns(t: Table) -> tuple[dict[str, pd.Series | float | str | bool], Problems]:
    """The rota's coordinates, money, visit type and agreed-short flag, with their own problems."""
    f, problems, columns = t.frame, Problems(), {}
    for col, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        columns[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    for col in ("visit_pay", "hourly_rate", "travel_pay", "mileage_pay"):
        columns[col] = number_column(t, col, problems, low=0, high=MAX_MONEY) if col in f else np.nan
    columns["visit_type"] = f["visit_type"] if "visit_type" in f else ""
    columns["agreed_short"] = bool_column(t, "agreed_short", problems) if "agreed_short" in f else False
    return columns, problems


def visit_dates(t: Table, problems: Problems) -> pd.Series | None:
    """The ``date`` column (naive local midnights), for times given as times of day; a visit whose
    start is a time of day must have one."""
    if "date" not in t.frame:
        return None
    day = date_column(t, "date", problems, required=False)
    missing = times_of_day(t.frame["start"]) & blank(t.frame["date"]).to_numpy()
    if missing.any():
        problems.add_rows(t.name, t.rows[missing], "date", [""] * int(missing.sum()),
                          "expected the visit's date (its start is a time of day), found a blank cell")
    return day


def optional_interval(t: Table, cols: tuple[str, str, str], problems: Problems, notes: list[str],
                      planned_day: pd.Series, *, shift: bool = True,
                      found: dict[str, Future] | None = None) -> tuple[pd.Series, pd.Series]:
    """A start and end the file may lack (all NaT); times of day are on the visit's planned date."""
    if any(c and c in t.frame for c in cols):
        return interval(t, cols, problems, notes, required=False, day=planned_day,
                        near=planned_day if shift else None, found=found)
    none = pd.Series(pd.NaT, index=t.frame.index, dtype="datetime64[us, UTC]")
    return none, none


def short_handed(name: str, visits: pd.DataFrame) -> list[str]:
    """A note where a visit needs more carers (``carers``) than the rota has rows for it."""
    need = visits["carers"].to_numpy()
    if np.isnan(need).all():
        return []
    present = visits.groupby(["client_id", "start"])["worker_id"].transform("nunique").to_numpy()
    short = ~np.isnan(need) & (present < need)
    if not short.any():
        return []
    rows = visits.loc[short, "row"].tolist()
    return [f"{name}: {int(short.sum())} row(s) are for visits that need more carers than the rota has rows "
            f"for (rows {', '.join(map(str, rows[:10]))}{' ...' if len(rows) > 10 else ''})."]


@cache
def postcode_table(path: str | None):
    """The postcode table, opened once per process (a batch looks up many files' postcodes)."""
    return postcodes.PostcodeTable.load(Path(path) if path else None)


def locate_by_postcode(t: Table, out: pd.DataFrame, cols: tuple[str, str, str], reading: Reading,
                       problems: Problems, notes: list[str]) -> list[str]:
    """Fill lat/lon from the postcode where a row has a postcode and no coordinates. Returns the
    attribution lines the postcode data's licence asks for (none when no postcode was looked up)."""
    col, lat, lon = cols
    if col not in t.frame:
        return []
    code = t.frame[col].fillna("")
    need = (out[lat].isna() | out[lon].isna()).to_numpy() & ~blank(code).to_numpy()
    if not need.any():
        return []
    try:
        table = postcode_table(reading.postcodes)
    except InputError as error:
        notes.append(f"{t.name}: {int(need.sum())} row(s) have a postcode and no {lat}/{lon}, and they cannot be "
                     f"looked up: {error.problems[0].expected}. {error.hint or ''}".strip())
        return []
    found = table.lookup(code[need])
    for status, expected in (("invalid", "expected a UK postcode such as LS1 4AP"),
                             ("unknown", "expected a postcode in the postcode table (is it mistyped?)"),
                             ("terminated", "expected a live postcode; this one was terminated"),
                             ("no location", "expected a postcode with a grid reference; the postcode table has "
                                             "no location for it")):
        bad = (found["status"] == status).to_numpy()
        if bad.any():
            shown = found["postcode"][bad] + np.where(found["terminated"][bad] != "",
                                                       " (terminated " + found["terminated"][bad] + ")", "")
            problems.add_rows(t.name, t.rows[need][bad], col, shown, expected)
    ok = (found["status"] == "ok").to_numpy()
    index = np.flatnonzero(need)[ok]
    out.loc[index, lat] = found["lat"].to_numpy()[ok]
    out.loc[index, lon] = found["lon"].to_numpy()[ok]
    if found["northern_ireland"].to_numpy().any():
        notes.append(f"{t.name}: {postcodes.NI_NOTE}")
    return table.attribution()


def check_dates(name: str, frame: pd.DataFrame, cols: tuple[str, ...], problems: Problems) -> None:
    """Times (UTC) or dates (naive) from FIRST_DAY to LAST_DAY in the UK: a year outside is mistyped,
    and pay periods near year 9999 cannot be counted."""
    for col in cols:
        times = frame[col]
        tz = LOCAL_TZ if times.dt.tz is not None else None
        first, last = pd.Timestamp(FIRST_DAY, tz=tz), pd.Timestamp(LAST_DAY, tz=tz) + DAY
        if not (times.min() < first or times.max() >= last):  # NaT (all blank) compares False
            continue
        bad = ((times < first) | (times >= last)).fillna(False).to_numpy(bool)
        shown = times[bad].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M") if tz else times[bad].dt.date
        problems.add_rows(name, frame["row"][bad], col, shown,
                          f"expected a date from {FIRST_DAY} to {LAST_DAY} (is the year right?)")


def check_times(name: str, visits: pd.DataFrame, start: str, end: str, problems: Problems,
                *, planned: bool) -> None:
    """A planned visit must end after it starts and last at most a day; a check-out must not
    precede its check-in."""
    length = epoch_us(visits[end]) - epoch_us(visits[start])  # int64 microseconds: no floats, no NaN
    known = visits[start].notna().to_numpy() & visits[end].notna().to_numpy()
    backwards = known & ((length <= 0) if planned else (length < 0))
    if backwards.any():
        problems.add_rows(
            name, visits["row"][backwards], end,
            visits.loc[backwards, end].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M"),
            f"expected {end} after {start}",
        )
    too_long = known & (length > MAX_VISIT_HOURS * 3_600_000_000)
    if too_long.any():
        problems.add_rows(
            name, visits["row"][too_long], end, pd.Series(length[too_long] / 3.6e9).round(1).astype(str) + " h",
            f"expected a visit of at most {MAX_VISIT_HOURS} hours (is the date of {end} right?)",
        )


def epoch_us(times: pd.Series) -> np.ndarray:
    """UTC instants as int64 microseconds since the epoch (NaT as the int64 minimum)."""
    return times.to_numpy("datetime64[us]").astype("int64")


def check_windows(name: str, visits: pd.DataFrame, problems: Problems) -> None:
    """A start window must open before it closes and come with both ends."""
    ws, we = visits["window_start"], visits["window_end"]
    half = (ws.isna() != we.isna()).to_numpy()
    if half.any():
        col = np.where(ws.isna().to_numpy()[half], "window_start", "window_end")
        for c in np.unique(col):
            problems.add_rows(name, visits["row"][half][col == c], str(c), [""] * int((col == c).sum()),
                              "expected both window_start and window_end, or neither")
    backwards = (we < ws).fillna(False).to_numpy(bool)
    if backwards.any():
        problems.add_rows(name, visits["row"][backwards], "window_end",
                          visits.loc[backwards, "window_end"].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M"),
                          "expected window_end at or after window_start")


def unique_ids(t: Table, col: str, problems: Problems) -> None:
    dup = t.frame[col].duplicated(keep="first").to_numpy() & ~blank(t.frame[col]).to_numpy()
    if dup.any():
        problems.add_rows(t.name, t.rows[dup], col, t.frame[col][dup], f"expected each {col} once")


def skipped_note(t: Table) -> list[str]:
    """The empty rows ``read_table`` left out, said, so that no row is lost silently."""
    if not t.skipped_rows:
        return []
    rows = ", ".join(map(str, t.skipped_rows[:10])) + (" ..." if len(t.skipped_rows) > 10 else "")
    return [f"{t.name}: skipped {len(t.skipped_rows)} empty row(s): {rows}"]


def load_clients(source: str | Path, reading: Reading = Reading()) -> pd.DataFrame:
    """Client homes (lat, lon) and named teams, indexed by client_id."""
    return clients_from_table(read_table(source, "clients", reading, what="client"), reading)


def clients_from_table(t: Table, reading: Reading = Reading()) -> pd.DataFrame:
    """The typed, checked clients of a clients file read as text (``read_table``): a file is read
    once even where its text is needed too (``anonymise``), so a pipe can be given."""
    problems = Problems()
    f = t.frame
    out = pd.DataFrame({"client_id": text_column(t, "client_id", problems, required=True)})
    unique_ids(t, "client_id", problems)
    for col, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        out[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    for col in ("named_team", "postcode"):
        out[col] = f[col] if col in f else ""
    notes: list[str] = []
    attribution = locate_by_postcode(t, out, ("postcode", "lat", "lon"), reading, problems, notes)
    problems.raise_if_any()
    out = out.set_index("client_id")
    out.attrs.update(notes=t.notes + skipped_note(t) + notes, attribution=attribution)
    return out


def load_workers(source: str | Path, reading: Reading = Reading()) -> pd.DataFrame:
    """Age (or date of birth), travel mode and London flag, indexed by worker_id."""
    return workers_from_table(read_table(source, "workers", reading, what="worker"), reading)


def workers_from_table(t: Table, reading: Reading = Reading()) -> pd.DataFrame:
    """The typed, checked workers of a workers file read as text (``read_table``)."""
    problems = Problems()
    f = t.frame
    out = pd.DataFrame({"worker_id": text_column(t, "worker_id", problems, required=True)})
    unique_ids(t, "worker_id", problems)
    out["age"] = number_column(t, "age", problems, low=13, high=100) if "age" in f else np.nan
    out["date_of_birth"] = (
        date_column(t, "date_of_birth", problems, required=False) if "date_of_birth" in f else pd.NaT
    )
    if "date_of_birth" in f:
        born = out["date_of_birth"]
        implausible = ((born > pd.Timestamp.today()) | (born < pd.Timestamp("1900-01-01"))).to_numpy(bool)
        if implausible.any():
            problems.add_rows(t.name, t.rows[implausible], "date_of_birth", f["date_of_birth"][implausible],
                              "expected a date of birth between 1900 and today")
    out["travel_mode"] = mode_column(t, "travel_mode", problems) if "travel_mode" in f else None
    out["london"] = bool_column(t, "london", problems) if "london" in f else False
    for col, low, high in (("home_lat", -90, 90), ("home_lon", -180, 180)):
        out[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    notes: list[str] = []
    attribution = locate_by_postcode(t, out, ("home_postcode", "home_lat", "home_lon"), reading, problems, notes)
    out["skills"] = f["skills"].fillna("").str.strip() if "skills" in f else ""
    out["availability"] = f["availability"].fillna("").str.strip() if "availability" in f else ""
    bad = np.array([availability(text) is None for text in out["availability"]], dtype=bool)
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], "availability", out["availability"][bad],
                          "expected shifts such as 'Mon 07:00-13:00; Mon 17:00-21:00; 2026-11-24 08:00-12:00'")
    problems.raise_if_any()
    out = out.set_index("worker_id")
    out.attrs.update(notes=t.notes + skipped_note(t) + notes, attribution=attribution)
    return out


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHIFT = re.compile(r"^(?P<day>[a-z]{3}[a-z]*|\d{4}-\d{2}-\d{2}|daily)\s+"
                   r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


def availability(text: str) -> list[tuple[str, int, int]] | None:
    """Shifts from text like ``Mon 07:00-13:00; 2026-11-24 08:00-12:00; daily 09:00-17:00``.

    Returns (day, start minute, end minute) with day a weekday ("mon"), an ISO date or "daily";
    None when the text cannot be read. One worker may have several shifts a day (split shifts).
    """
    shifts = []
    for part in filter(None, (p.strip().lower() for p in str(text).split(";"))):
        m = SHIFT.match(part)
        if not m:
            return None
        day = m["day"]
        if day[:3] in WEEKDAYS and day in (day[:3], DAY_NAMES[WEEKDAYS.index(day[:3])]):
            day = day[:3]
        elif day != "daily":
            try:
                date.fromisoformat(day)
            except ValueError:
                return None
        (sh, sm), (eh, em) = (map(int, m[k].split(":")) for k in ("start", "end"))
        start, end = sh * 60 + sm, eh * 60 + em
        if sm > 59 or em > 59 or not 0 <= start < end <= 24 * 60:
            return None
        shifts.append((day, start, end))
    return shifts


def load_payslips(source: str | Path, reading: Reading = Reading()) -> pd.DataFrame:
    """Pay per worker and pay reference period, as the payslips state it (minus any expenses)."""
    return payslips_from_table(read_table(source, "payslips", reading, what="payslip"))


def payslips_from_table(t: Table) -> pd.DataFrame:
    """The typed, checked pay periods of a payslips file read as text (``read_table``)."""
    problems = Problems()
    f = t.frame
    out = pd.DataFrame({"row": t.rows})  # same RangeIndex as t.frame
    out["worker_id"] = text_column(t, "worker_id", problems, required=True)
    out["period_start"] = date_column(t, "period_start", problems, required=True)
    out["period_end"] = date_column(t, "period_end", problems, required=True)
    out["gross_pay"] = number_column(t, "gross_pay", problems, low=0, high=MAX_MONEY, required=True)
    expenses = number_column(t, "expenses", problems, low=0, high=MAX_MONEY) if "expenses" in f else None
    out["expenses"] = 0.0 if expenses is None else expenses.fillna(0)
    check_dates(t.name, out, ("period_start", "period_end"), problems)
    problems.raise_if_any()

    backwards = (out["period_end"] < out["period_start"]).to_numpy()
    if backwards.any():
        problems.add_rows(t.name, out["row"][backwards], "period_end", out["period_end"][backwards].dt.date,
                          "expected period_end on or after period_start")
    more = (out["expenses"] > out["gross_pay"]).to_numpy()
    if more.any():
        problems.add_rows(t.name, out["row"][more], "expenses", out["expenses"][more],
                          "expected expenses no larger than gross_pay")
    ordered = out.sort_values(["worker_id", "period_start"])
    prev_end = ordered.groupby("worker_id")["period_end"].shift()
    overlap = (ordered["period_start"] <= prev_end).to_numpy()
    if overlap.any():
        problems.add_rows(t.name, ordered["row"][overlap], "period_start",
                          ordered["period_start"][overlap].dt.date,
                          "expected pay periods of one worker not to overlap")
    problems.raise_if_any()
    out["pay"] = out["gross_pay"] - out["expenses"]
    out.attrs.update(notes=t.notes + skipped_note(t))
    return out


def mode_column(t: Table, col: str, problems: Problems) -> pd.Series:
    """A travel-mode column (aliases such as "car" allowed); None where blank."""
    raw = t.frame[col].str.lower()
    mode = raw.map(MODE_ALIASES)
    bad = (~blank(raw) & mode.isna()).to_numpy()
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, t.frame[col][bad], "expected one of " + ", ".join(TRAVEL_MODES))
    return mode.astype(object).where(mode.notna(), None)


def load_travel_matrix(source: str | Path, reading: Reading = Reading()) -> pd.DataFrame:
    """Travel minutes (and km, if given) between client homes, indexed by (from_client, to_client,
    mode): a row's mode is "" when it holds for every mode (no mode column, or a blank cell)."""
    t = read_table(source, "travel-matrix", reading, what="travel leg")
    problems = Problems()
    out = pd.DataFrame({
        "from_client": text_column(t, "from_client", problems, required=True),
        "to_client": text_column(t, "to_client", problems, required=True),
        "mode": mode_column(t, "mode", problems).fillna("") if "mode" in t.frame else "",
        "minutes": number_column(t, "minutes", problems, low=0, high=24 * 60, required=True),
        "km": number_column(t, "km", problems, low=0) if "km" in t.frame else np.nan,
    })
    dup = out.duplicated(["from_client", "to_client", "mode"]).to_numpy()
    if dup.any():
        problems.add_rows(t.name, t.rows[dup], "to_client", out["to_client"][dup],
                          "expected each from_client,to_client pair once (once per mode, with a mode column)")
    problems.raise_if_any()
    return out.set_index(["from_client", "to_client", "mode"])
