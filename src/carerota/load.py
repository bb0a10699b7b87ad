"""Reading rota, client, worker, payslip and travel-matrix files into canonical DataFrames.

Everything is read as text first (pyarrow's CSV reader, only the columns needed) and then parsed
column by column with vectorised pandas, so that every bad cell can be reported with its file, row
and column instead of failing on the first one. Row numbers are the line numbers a text editor
shows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from carerota.errors import InputError, Problem, Problems

LOCAL_TZ = "Europe/London"
TRAVEL_MODES = ("drive", "walk", "cycle", "transit")
MAX_VISIT_HOURS = 24


@dataclass(frozen=True)
class Column:
    """A canonical column: the names it may go by in an export, and whether a file must have it."""

    aliases: tuple[str, ...] = ()
    required: bool = False


ROTA_COLUMNS = {
    "visit_id": Column(("visit_ref", "visit_no", "visit_number", "call_id", "appointment_id")),
    "worker_id": Column(
        ("worker", "carer_id", "carer", "carer_ref", "care_worker_id", "staff_id", "employee_id",
         "worker_ref"),
        required=True,
    ),
    "client_id": Column(
        ("client", "client_ref", "service_user_id", "service_user", "service_user_ref", "su_id",
         "customer_id"),
        required=True,
    ),
    "start": Column(
        ("start_time", "planned_start", "scheduled_start", "start_datetime", "visit_start"),
        required=True,
    ),
    "end": Column(
        ("end_time", "planned_end", "scheduled_end", "end_datetime", "visit_end"), required=True
    ),
    "actual_start": Column(("check_in", "checkin", "actual_start_time", "clock_in")),
    "actual_end": Column(("check_out", "checkout", "actual_end_time", "clock_out")),
    "lat": Column(("latitude",)),
    "lon": Column(("longitude", "lng", "long")),
    "visit_pay": Column(("pay_per_visit", "visit_fee")),
    "hourly_rate": Column(("rate_per_hour", "pay_rate", "hourly_pay")),
    "travel_pay": Column(("travel_payment",)),
    "mileage_pay": Column(("mileage", "mileage_allowance")),
    "visit_type": Column(("service_type", "call_type")),
    "agreed_short": Column(("short_agreed",)),
    "window_start": Column(("earliest_start", "window_from")),
    "window_end": Column(("latest_start", "window_to")),
    "required_skill": Column(("skill", "skill_required")),
}

CLIENT_COLUMNS = {
    "client_id": ROTA_COLUMNS["client_id"],
    "lat": ROTA_COLUMNS["lat"],
    "lon": ROTA_COLUMNS["lon"],
    "named_team": Column(("team", "named_workers")),
    "postcode": Column(("post_code", "postal_code")),
}

WORKER_COLUMNS = {
    "worker_id": ROTA_COLUMNS["worker_id"],
    "age": Column(),
    "date_of_birth": Column(("dob", "birth_date")),
    "travel_mode": Column(("mode", "transport")),
    "london": Column(("in_london", "london_weighting")),
    "home_lat": Column(("home_latitude",)),
    "home_lon": Column(("home_longitude", "home_lng")),
    "skills": Column(("skill_set", "qualifications")),
    "availability": Column(("available", "shifts")),
}

PAYSLIP_COLUMNS = {
    "worker_id": ROTA_COLUMNS["worker_id"],
    "period_start": Column(("pay_period_start", "from"), required=True),
    "period_end": Column(("pay_period_end", "to"), required=True),
    "gross_pay": Column(("gross", "pay"), required=True),
    "expenses": Column(("expenses_paid",)),
}

MATRIX_COLUMNS = {
    "from_client": Column(("from", "origin"), required=True),
    "to_client": Column(("to", "destination"), required=True),
    "minutes": Column(("travel_minutes", "duration_minutes"), required=True),
    "km": Column(("distance_km",)),
}

MODE_ALIASES = {
    "drive": "drive", "driving": "drive", "car": "drive", "driver": "drive",
    "walk": "walk", "walking": "walk", "foot": "walk", "walker": "walk",
    "cycle": "cycle", "cycling": "cycle", "bike": "cycle", "bicycle": "cycle",
    "transit": "transit", "bus": "transit", "public transport": "transit", "public_transport": "transit",
}
TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0", ""}


@dataclass
class Table:
    """A file read as text: canonical column names, one string column each, and the line numbers."""

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    skipped_rows: list[int] = field(default_factory=list)


@dataclass
class Rota:
    """The visits of a rota, canonical and typed, with what loading had to tell the user."""

    name: str
    visits: pd.DataFrame
    skipped_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    monitored: bool = False  # the file has call-monitoring (actual time) columns


def display_name(source: str | Path) -> str:
    return "<stdin>" if str(source) == "-" else str(source)


def read_bytes(source: str | Path) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if path.is_dir():
        raise InputError(Problem(str(path), "expected a CSV file, found a folder"))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(str(path), "file not found")) from None
    except OSError as err:
        raise InputError(Problem(str(path), f"cannot be read: {err.strerror}")) from None


def decode(data: bytes, name: str, encoding: str) -> bytes:
    """Return UTF-8 bytes without a BOM, or say which row holds the first byte that is not text."""
    if b"\x00" in data[:65536]:
        raise InputError(
            Problem(name, "looks like a binary file (it contains NUL bytes), expected CSV text"),
            hint="Export the rota as CSV (comma-separated values) from your rostering system.",
        )
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            row, column = where_is(data, err.start)
            raise InputError(
                Problem(name, f"expected UTF-8 text, found the byte 0x{data[err.start]:02x}", row, column),
                hint="Save the file as UTF-8, or give its encoding, e.g. --encoding cp1252.",
            ) from None
        return data
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except LookupError:
        raise InputError(Problem(name, f"unknown encoding {encoding!r}")) from None
    except UnicodeDecodeError as err:
        row, column = where_is(data, err.start)
        raise InputError(Problem(name, f"expected {encoding} text, found the byte 0x{data[err.start]:02x}",
                                 row, column)) from None


def header_fields(data: bytes) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    delimiter = sniff_delimiter(first_line)
    return delimiter, next(csv.reader([first_line], delimiter=delimiter), [])


def where_is(data: bytes, offset: int) -> tuple[int, str | None]:
    """Row and column holding a byte offset (columns counted by separators, ignoring quotes)."""
    row = data.count(b"\n", 0, offset) + 1
    delimiter, names = header_fields(data)
    line_start = data.rfind(b"\n", 0, offset) + 1
    position = data[line_start:offset].count(delimiter.encode())
    return row, names[position] if position < len(names) else None


def sniff_delimiter(header: str) -> str:
    """Comma unless the header clearly uses another separator (spreadsheets in some locales use ;)."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return "," if counts[","] or not counts[best] else best


def normalise(name: str) -> str:
    return re.sub(r"[\s\-./]+", "_", name.strip().lower()).strip("_")


def match_columns(header: list[str], schema: dict[str, Column], name: str) -> dict[str, int]:
    """Map canonical names to header positions, case-insensitively and through aliases."""
    lookup = {}
    for canonical, column in schema.items():
        for alias in (canonical, *column.aliases):
            lookup[normalise(alias)] = canonical
    found: dict[str, int] = {}
    problems = Problems()
    for position, raw in enumerate(header):
        canonical = lookup.get(normalise(raw))
        if canonical is None:
            continue
        if canonical in found:
            problems.add(Problem(
                name, f"two columns mean '{canonical}' ('{header[found[canonical]]}' and '{raw}'); "
                "keep one", 1, raw))
            continue
        found[canonical] = position
    for canonical, column in schema.items():
        if column.required and canonical not in found:
            names = ", ".join((canonical, *column.aliases[:4]))
            problems.add(Problem(
                name, f"missing required column '{canonical}' (a column named one of: {names})", 1))
    if problems:
        problems.hint("The header row has: " + ", ".join(header) + ".")
    problems.raise_if_any()
    return found


def record_lines(text: bytes) -> np.ndarray | None:
    """Line numbers of the non-blank lines (pyarrow skips blank ones), or None when there are none."""
    if b"\n\n" not in text and b"\n\r\n" not in text:
        return None
    buf = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(buf)]))
    length = stops - starts
    has_cr = (length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == ord("\r"))
    blank = (length == 0) | has_cr
    return np.flatnonzero(~blank) + 1


def read_table(
    source: str | Path, schema: dict[str, Column], *, encoding: str = "utf-8", what: str = "rota"
) -> Table:
    """Read a CSV as text columns named canonically; fail with every structural problem found."""
    name = display_name(source)
    data = decode(read_bytes(source), name, encoding)
    if not data.strip():
        raise InputError(Problem(
            name, f"expected a header row naming the columns, then one row per {what}; the file is empty", 1))
    delimiter, header = header_fields(data)
    found = match_columns(header, schema, name)
    positions = sorted(found.values())
    generic = [f"c{i}" for i in range(len(header))]

    def parse(threads: bool, bad: list) -> pa.Table:
        def on_bad_row(row) -> str:
            bad.append(row)
            return "skip"

        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=generic, skip_rows=1, use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=[generic[p] for p in positions],
                column_types={generic[p]: pa.string() for p in positions},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    bad: list = []
    try:
        table = parse(True, bad)
    except pa.ArrowInvalid as err:
        raise InputError(Problem(name, f"is not a readable CSV file: {err}")) from None
    lines = record_lines(data)
    if bad:
        bad = []
        parse(False, bad)  # single-threaded, so pyarrow can number the bad rows
        problems = Problems()
        for row in bad:
            number = row.number  # counts the header and skips blank lines, like ``record_lines``
            line = int(lines[number - 1]) if lines is not None and number else number
            problems.add(Problem(
                name, f"has {row.actual_columns} fields, expected {row.expected_columns} "
                f"like the header", line, value=row.text[:80]))
        problems.hint(f"Check for missing or extra '{delimiter}' separators or unclosed quotes.")
        problems.raise_if_any()

    frame = table.to_pandas()
    frame.columns = [canonical for canonical, _ in sorted(found.items(), key=lambda kv: kv[1])]
    for canonical in frame.columns:
        frame[canonical] = frame[canonical].astype("string").str.strip()
    rows = (lines[1 : len(frame) + 1] if lines is not None else np.arange(2, len(frame) + 2))
    empty = (frame == "").all(axis=1).to_numpy()
    skipped = rows[empty].tolist()
    if empty.any():
        frame, rows = frame.loc[~empty].reset_index(drop=True), rows[~empty]
    if frame.empty:
        raise InputError(Problem(name, f"expected a {what} row after the header; found none",
                                 None if skipped else 2))
    return Table(name, frame, np.asarray(rows), skipped)


# --- typed columns -------------------------------------------------------------------------------

def blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s == "")


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
    where the column is ``required``.

    Plain numbers take the vectorised path; only cells that fail it are cleaned and parsed again.
    """
    s = t.frame[col]
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    empty = blank(s).to_numpy()
    retry = np.isnan(values.to_numpy()) & ~empty
    if retry.any():
        cleaned = s[retry].str.replace(r"^£\s*", "", regex=True)
        thousands = cleaned.str.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?").fillna(False).to_numpy(bool)
        cleaned = cleaned.where(~thousands, cleaned.str.replace(",", "", regex=False))
        values[retry] = pd.to_numeric(cleaned, errors="coerce").astype("float64").to_numpy()
    v = values.to_numpy()
    bad = ~empty & ~(np.isfinite(v) & (v >= low) & (v <= high))
    bounds = f"at least {low:g}" if high == np.inf else f"between {low:g} and {high:g}"
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, s[bad], f"expected a number {bounds}")
    if required and empty.any():
        problems.add_rows(t.name, t.rows[empty], col, s[empty], f"expected a number {bounds}, found a blank cell")
    return values.where(~bad)


def localise(naive: pd.Series, prefer_dst: np.ndarray) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Naive Europe/London wall-clock times → UTC, and which were ambiguous or nonexistent.

    In the hour repeated when clocks go back, ``prefer_dst`` picks the first (BST) reading; the hour
    skipped when clocks go forward is moved forward to the first real instant.
    """
    as_dst = naive.dt.tz_localize(LOCAL_TZ, ambiguous=np.ones(len(naive), bool), nonexistent="NaT")
    as_gmt = naive.dt.tz_localize(LOCAL_TZ, ambiguous=np.zeros(len(naive), bool), nonexistent="NaT")
    ambiguous = (as_dst != as_gmt).to_numpy() & as_dst.notna().to_numpy()
    nonexistent = as_dst.isna().to_numpy() & naive.notna().to_numpy()
    chosen = as_dst.where(prefer_dst | ~ambiguous, as_gmt)
    if nonexistent.any():
        shifted = naive[nonexistent].dt.tz_localize(LOCAL_TZ, nonexistent="shift_forward")
        chosen = chosen.copy()
        chosen[nonexistent] = shifted
    return chosen.dt.tz_convert("UTC"), ambiguous, nonexistent


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
    if has_offset.any():
        utc[has_offset] = pd.to_datetime(s[has_offset], format="ISO8601", utc=True, errors="coerce")
    if iso.any():
        naive[iso] = pd.to_datetime(s[iso], format="ISO8601", errors="coerce")
    if day_first.any():
        part = s[day_first]
        parsed = pd.to_datetime(part, format="%d/%m/%Y %H:%M", errors="coerce")
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
            retry = parsed.isna()
            if retry.any():
                parsed[retry] = pd.to_datetime(part[retry], format=fmt, errors="coerce")
        naive[day_first] = parsed
    return naive, utc


def datetime_columns(
    t: Table, start_col: str, end_col: str, problems: Problems, notes: list[str], *, required: bool
) -> tuple[pd.Series, pd.Series]:
    """Start and end times in UTC from local or offset text; ambiguous ends follow their start."""
    expected = "a date and time such as 2026-11-02 08:00 or 02/11/2026 08:00"
    parsed = {}
    for col in (start_col, end_col):
        s = t.frame[col] if col in t.frame else pd.Series("", index=t.frame.index, dtype="string")
        naive, utc = parse_naive_or_utc(s)
        empty = blank(s).to_numpy()
        bad = ~empty & naive.isna().to_numpy() & utc.isna().to_numpy()
        if bad.any():
            problems.add_rows(t.name, t.rows[bad], col, s[bad], f"expected {expected}")
        if required and empty.any():
            problems.add_rows(t.name, t.rows[empty], col, s[empty], f"expected {expected}, found a blank cell")
        parsed[col] = (naive, utc)
    (start_naive, start_utc), (end_naive, end_utc) = parsed[start_col], parsed[end_col]
    start, amb_s, gap_s = localise(start_naive, np.ones(len(start_naive), bool))
    start = start.where(start_naive.notna(), start_utc)
    # An ambiguous end is read as BST unless that puts it before its start (a visit across 01:00-02:00
    # on the night the clocks go back).
    end_first, _, _ = localise(end_naive, np.ones(len(end_naive), bool))
    prefer_dst = ~(end_first <= start).fillna(False).to_numpy(bool)
    end, amb_e, gap_e = localise(end_naive, prefer_dst)
    end = end.where(end_naive.notna(), end_utc)
    ambiguous, skipped = int(amb_s.sum() + amb_e.sum()), int(gap_s.sum() + gap_e.sum())
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
    naive, utc = parse_naive_or_utc(s)
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
    s = t.frame[col].str.lower()
    truthy, falsy = s.isin(TRUE_WORDS).to_numpy(bool), (s.isin(FALSE_WORDS) | s.isna()).to_numpy(bool)
    bad = ~truthy & ~falsy
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], col, t.frame[col][bad], "expected true or false")
    return pd.Series(truthy, index=s.index)


# --- files ---------------------------------------------------------------------------------------

def load_rota(source: str | Path, *, encoding: str = "utf-8") -> Rota:
    """One row per worker-visit, times in UTC, money as float £, with the source row numbers kept."""
    t = read_table(source, ROTA_COLUMNS, encoding=encoding, what="visit")
    problems, notes = Problems(), []
    f = t.frame
    out = pd.DataFrame({"row": t.rows.astype("int64")})  # same RangeIndex as t.frame
    out["worker_id"] = text_column(t, "worker_id", problems, required=True)
    out["client_id"] = text_column(t, "client_id", problems, required=True)
    given_id = f["visit_id"] if "visit_id" in f else pd.Series("", index=f.index, dtype="string")
    out["visit_id"] = given_id.where(~blank(given_id), "row " + out["row"].astype("string"))
    out["start"], out["end"] = datetime_columns(t, "start", "end", problems, notes, required=True)
    out["actual_start"], out["actual_end"] = optional_times(t, "actual_start", "actual_end", problems, notes)
    for col, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        out[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    for col in ("visit_pay", "hourly_rate", "travel_pay", "mileage_pay"):
        out[col] = number_column(t, col, problems, low=0) if col in f else np.nan
    out["visit_type"] = f["visit_type"] if "visit_type" in f else ""
    out["agreed_short"] = bool_column(t, "agreed_short", problems) if "agreed_short" in f else False
    out["window_start"], out["window_end"] = optional_times(t, "window_start", "window_end", problems, notes)
    out["required_skill"] = f["required_skill"].fillna("").str.strip() if "required_skill" in f else ""
    problems.raise_if_any()

    check_times(t.name, out, "start", "end", problems, planned=True)
    check_times(t.name, out, "actual_start", "actual_end", problems, planned=False)
    check_windows(t.name, out, problems)
    problems.raise_if_any()
    monitored = "actual_start" in f or "actual_end" in f
    return Rota(t.name, out, t.skipped_rows, notes, monitored)


def optional_times(t: Table, start_col: str, end_col: str, problems: Problems,
                   notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """A start and end pair the file may lack: all NaT when neither column is there."""
    if start_col in t.frame or end_col in t.frame:
        return datetime_columns(t, start_col, end_col, problems, notes, required=False)
    none = pd.Series(pd.NaT, index=t.frame.index, dtype="datetime64[us, UTC]")
    return none, none


def check_times(name: str, visits: pd.DataFrame, start: str, end: str, problems: Problems,
                *, planned: bool) -> None:
    """A planned visit must end after it starts and last at most a day; a check-out must not
    precede its check-in."""
    length = (visits[end] - visits[start]).dt.total_seconds()
    backwards = (length <= 0) if planned else (length < 0)
    backwards = backwards.fillna(False).to_numpy(bool)
    if backwards.any():
        problems.add_rows(
            name, visits["row"][backwards], end,
            visits.loc[backwards, end].dt.tz_convert(LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M"),
            f"expected {end} after {start}",
        )
    too_long = (length > MAX_VISIT_HOURS * 3600).fillna(False).to_numpy(bool)
    if too_long.any():
        problems.add_rows(
            name, visits["row"][too_long], end, (length[too_long] / 3600).round(1).astype(str) + " h",
            f"expected a visit of at most {MAX_VISIT_HOURS} hours (is the date of {end} right?)",
        )


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


def load_clients(source: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Client homes (lat, lon) and named teams, indexed by client_id."""
    t = read_table(source, CLIENT_COLUMNS, encoding=encoding, what="client")
    problems = Problems()
    f = t.frame
    out = pd.DataFrame({"client_id": text_column(t, "client_id", problems, required=True)})
    unique_ids(t, "client_id", problems)
    for col, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        out[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    for col in ("named_team", "postcode"):
        out[col] = f[col] if col in f else ""
    problems.raise_if_any()
    return out.set_index("client_id")


def load_workers(source: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Age (or date of birth), travel mode and London flag, indexed by worker_id."""
    t = read_table(source, WORKER_COLUMNS, encoding=encoding, what="worker")
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
    if "travel_mode" in f:
        raw = f["travel_mode"].str.lower()
        mode = raw.map(MODE_ALIASES)
        bad = (~blank(raw) & mode.isna()).to_numpy()
        if bad.any():
            problems.add_rows(t.name, t.rows[bad], "travel_mode", f["travel_mode"][bad],
                              "expected one of " + ", ".join(TRAVEL_MODES))
        out["travel_mode"] = mode.astype(object).where(mode.notna(), None)
    else:
        out["travel_mode"] = None
    out["london"] = bool_column(t, "london", problems) if "london" in f else False
    for col, low, high in (("home_lat", -90, 90), ("home_lon", -180, 180)):
        out[col] = number_column(t, col, problems, low=low, high=high) if col in f else np.nan
    out["skills"] = f["skills"].fillna("").str.strip() if "skills" in f else ""
    out["availability"] = f["availability"].fillna("").str.strip() if "availability" in f else ""
    bad = np.array([availability(text) is None for text in out["availability"]], dtype=bool)
    if bad.any():
        problems.add_rows(t.name, t.rows[bad], "availability", out["availability"][bad],
                          "expected shifts such as 'Mon 07:00-13:00; Mon 17:00-21:00; 2026-11-24 08:00-12:00'")
    problems.raise_if_any()
    return out.set_index("worker_id")


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


def load_payslips(source: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Pay per worker and pay reference period, as the payslips state it (minus any expenses)."""
    t = read_table(source, PAYSLIP_COLUMNS, encoding=encoding, what="payslip")
    problems = Problems()
    f = t.frame
    out = pd.DataFrame({"row": t.rows})  # same RangeIndex as t.frame
    out["worker_id"] = text_column(t, "worker_id", problems, required=True)
    out["period_start"] = date_column(t, "period_start", problems, required=True)
    out["period_end"] = date_column(t, "period_end", problems, required=True)
    out["gross_pay"] = number_column(t, "gross_pay", problems, low=0, required=True)
    expenses = number_column(t, "expenses", problems, low=0) if "expenses" in f else None
    out["expenses"] = 0.0 if expenses is None else expenses.fillna(0)
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
    return out


def load_travel_matrix(source: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Travel minutes (and km, if given) between client homes, indexed by (from_client, to_client)."""
    t = read_table(source, MATRIX_COLUMNS, encoding=encoding, what="travel leg")
    problems = Problems()
    out = pd.DataFrame({
        "from_client": text_column(t, "from_client", problems, required=True),
        "to_client": text_column(t, "to_client", problems, required=True),
        "minutes": number_column(t, "minutes", problems, low=0, high=24 * 60, required=True),
        "km": number_column(t, "km", problems, low=0) if "km" in t.frame else np.nan,
    })
    dup = out.duplicated(["from_client", "to_client"]).to_numpy()
    if dup.any():
        problems.add_rows(t.name, t.rows[dup], "to_client", out["to_client"][dup],
                          "expected each from_client,to_client pair once")
    problems.raise_if_any()
    return out.set_index(["from_client", "to_client"])
