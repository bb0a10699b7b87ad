"""Reading any input file into text columns with canonical names: CSV or TSV in any common encoding,
or a spreadsheet (.xlsx, .xls, .ods), with headers matched by name, alias, a known export profile
or the user's own column mapping.

Everything is read as text (pyarrow's CSV reader, only the columns needed) and typed later, column
by column, so that every bad cell can be reported with its file, row and column. Row numbers are the
line numbers a text editor or spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from carerota.errors import InputError, Problem, Problems
from carerota.schema import FILES, PROFILES, Column, Profile, detect_profile, key

# Characters a UK Windows-1252 export plausibly holds: a file whose other bytes are not UTF-8 is read
# as cp1252 only when every non-ASCII character is one of these (so random bytes stay an error).
CP1252_TEXT = set("£€‘’“”–—…•°·×½¼¾©®™\u00a0"
                  "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßœŒšŠžŽŸ")
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx/xlsm/ods (zip), xls (OLE2)
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class Reading:
    """How to read the input files. ``columns`` maps a canonical field to the header that holds it
    (``start`` for the rota, ``clients.named_team`` for another file); ``profile`` names a known layout
    ("auto" detects it from the header, "none" turns detection off); ``postcodes`` is the postcode
    table (None: the default place)."""

    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    profile: str = "auto"
    postcodes: str | None = None

    def mapping(self, kind: str) -> dict[str, str]:
        """The column mapping for one kind of file."""
        out = {}
        for target, header in self.columns.items():
            file_kind, _, name = target.rpartition(".")
            if (file_kind or "rota") == kind:
                out[name] = header
        return out


def parse_mapping(items: list[str] | dict[str, str]) -> dict[str, str]:
    """``field=Header`` items (or a [columns] table) → a checked mapping; ValueError names a bad one."""
    pairs = items.items() if isinstance(items, dict) else (i.partition("=")[::2] for i in items)
    out = {}
    for target, header in pairs:
        target, header = target.strip(), str(header).strip()
        file_kind, _, name = target.rpartition(".")
        fields = FILES.get(file_kind or "rota")
        if fields is None:
            raise ValueError(f"unknown file {file_kind!r} in {target!r}; expected one of {', '.join(FILES)}")
        if name not in fields:
            raise ValueError(f"unknown field {name!r} in {target}={header}; the {file_kind or 'rota'} fields are "
                             + ", ".join(fields))
        if not header:
            raise ValueError(f"expected FIELD=HEADER, got {target}={header}")
        out[target] = header
    return out


@dataclass(frozen=True)
class HeaderMatch:
    """How one column of a file is read: the canonical field (None: not used) and why."""

    position: int
    header: str
    field: str | None
    how: str  # "name", "alias", "mapping", "profile <name>", "unused", "superseded by <header>"


@dataclass
class Table:
    """A file read as text: canonical column names, one string column each, and the row numbers."""

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    skipped_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def display_name(source: str | Path) -> str:
    return "<stdin>" if str(source) == "-" else str(source)


def read_bytes(source: str | Path) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if path.is_dir():
        raise InputError(Problem(str(path), "expected a CSV or spreadsheet file, found a folder"))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(str(path), "file not found")) from None
    except OSError as err:
        raise InputError(Problem(str(path), f"cannot be read: {err.strerror}")) from None


def decode(data: bytes, name: str, encoding: str = "auto") -> tuple[bytes, str]:
    """UTF-8 bytes without a BOM, and the encoding they were read as.

    ``auto`` takes a BOM's word (UTF-8 or UTF-16), else UTF-8, else Windows-1252 when every
    non-ASCII character is one a UK export plausibly holds (£, curly quotes, accented letters);
    otherwise the row and column of the first byte that is not text are named.
    """
    wanted = encoding.lower().replace("-", "").replace("_", "")
    if wanted in ("auto", "utf16") and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return recode(data, name, "utf-16"), "UTF-16"
    if b"\x00" in data[:65536]:
        raise InputError(
            Problem(name, "looks like a binary file (it contains NUL bytes), expected CSV text"),
            hint="Export the rota as CSV (comma-separated values) or .xlsx from your rostering system.",
        )
    if wanted not in ("auto", "utf8", "utf8sig"):
        return recode(data, name, encoding), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.isascii() or data.decode("utf-8")  # isascii: a fast scan, no 100 MB string made
        return data, "UTF-8"
    except UnicodeDecodeError as err:
        first_bad = err.start
    if wanted == "auto":
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is not None and all(c in CP1252_TEXT for c in set(text) if ord(c) > 127):
            return text.encode("utf-8"), "Windows-1252"
    row, column = where_is(data, first_bad)
    raise InputError(
        Problem(name, f"expected UTF-8 text, found the byte 0x{data[first_bad]:02x}", row, column),
        hint="Save the file as UTF-8, or give its encoding, e.g. --encoding cp1252.",
    )


def recode(data: bytes, name: str, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except LookupError:
        raise InputError(Problem(name, f"unknown encoding {encoding!r}")) from None
    except UnicodeDecodeError as err:
        row, column = where_is(data, err.start)
        raise InputError(Problem(name, f"expected {encoding} text, found the byte 0x{data[err.start]:02x}",
                                 row, column)) from None


def header_fields(data: bytes, delimiter: str | None = None) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line."""
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode("utf-8", errors="replace").rstrip("\r")
    delimiter = delimiter or sniff_delimiter(first_line)
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


def delimiter_for(name: str, given: str | None) -> str | None:
    """The --delimiter (by character or name), else tab for .tsv/.tab files, else None (sniff)."""
    if given:
        return DELIMITER_NAMES.get(given.lower(), given)
    return "\t" if name.lower().endswith((".tsv", ".tab")) else None


def match_columns(header: list[str], schema: dict[str, Column], name: str, *, mapping: dict[str, str],
                  profile: Profile | None) -> tuple[dict[str, int], list[HeaderMatch], list[Problem]]:
    """Canonical field → header position, by the user's mapping, then the profile, then the field's
    own name or an alias (compared ignoring case, spaces and punctuation). Returns the problems
    (a mapped header missing, two columns meaning one field, a required field missing) rather than
    raising, so ``carerota columns`` can show them all."""
    positions: dict[str, list[int]] = {}
    for position, raw in enumerate(header):
        positions.setdefault(key(raw), []).append(position)
    found: dict[str, tuple[int, str]] = {}
    problems: list[Problem] = []
    chosen = [(f, h, "mapping") for f, h in mapping.items()]
    if profile is not None:
        chosen += [(f, h, f"profile {profile.name}") for f, h in profile.columns.items()
                   if f in schema and f not in mapping]
    for canonical, wanted, how in chosen:
        at = positions.get(key(wanted))
        taken = next((c for c, (p, _) in found.items() if at and p == at[0]), None)
        if at and taken:
            problems.append(Problem(name, f"the column '{wanted}' cannot be both '{taken}' and '{canonical}'",
                                    1, wanted))
        elif at:
            found[canonical] = (at[0], how)
        elif how == "mapping":
            problems.append(Problem(name, f"the column mapping {canonical}={wanted} names no column of the "
                                    "header", 1, wanted))
    lookup = {key(alias): (canonical, "name" if alias == canonical else "alias")
              for canonical, column in schema.items() for alias in (canonical, *column.aliases)}
    claimed = {p for p, _ in found.values()}
    matches = []
    for position, raw in enumerate(header):
        if position in claimed:
            canonical, how = next((c, h) for c, (p, h) in found.items() if p == position)
            matches.append(HeaderMatch(position, raw, canonical, how))
            continue
        canonical, how = lookup.get(key(raw), (None, "unused"))
        if canonical is None:
            matches.append(HeaderMatch(position, raw, None, "unused"))
        elif canonical in found:
            by, by_how = found[canonical]
            if by_how in ("name", "alias"):
                problems.append(Problem(name, f"two columns mean '{canonical}' ('{header[by]}' and '{raw}'); "
                                        "keep one, or choose one with --map", 1, raw))
            matches.append(HeaderMatch(position, raw, None, f"superseded by '{header[by]}'"))
        else:
            found[canonical] = (position, how)
            matches.append(HeaderMatch(position, raw, canonical, how))
    for canonical, column in schema.items():
        if column.required and canonical not in found and column.instead not in found:
            names = ", ".join((canonical, *column.aliases[:4]))
            alternative = f", or '{column.instead}'" if column.instead else ""
            problems.append(Problem(name, f"missing required column '{canonical}' (a column named one of: "
                                    f"{names}{alternative})", 1))
    return {c: p for c, (p, _) in found.items()}, matches, problems


def choose_profile(header: list[str], kind: str, wanted: str, name: str) -> Profile | None:
    if kind != "rota" or wanted == "none":
        return None
    if wanted == "auto":
        return detect_profile(header)
    if wanted not in PROFILES:
        raise InputError(Problem(name, f"unknown profile {wanted!r}; expected one of auto, none, "
                                 + ", ".join(PROFILES)))
    return PROFILES[wanted]


def one_line_per_record(text: bytes, records: int) -> bool:
    """Whether every line after the header is a record (no blank lines to number around): one count
    of newlines, where finding blank lines costs a scan of the whole file."""
    return text.count(b"\n") + (not text.endswith(b"\n")) == records + 1


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


def is_spreadsheet(name: str, data: bytes) -> bool:
    return data.startswith(SPREADSHEET_MAGIC) or name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods"))


def cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV export would hold (times as HH:MM:SS, whole numbers
    without a decimal point)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return "" if value is None else str(value)


def read_sheet(data: bytes, name: str, sheet: str | None) -> tuple[list[str], list[list[str]], int, list[str]]:
    """(header, data rows as text, the header's row number, notes) of one sheet of a workbook."""
    from python_calamine import CalamineWorkbook  # only spreadsheets need it

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises its own error types for every kind of corrupt file
        raise InputError(Problem(name, f"is not a readable spreadsheet ({error})")) from None
    names = list(book.sheet_names)
    if sheet is None:
        chosen = names[0] if names else None
    elif sheet in names:
        chosen = sheet
    elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
        chosen = names[int(sheet) - 1]
    else:
        raise InputError(Problem(name, f"has no sheet {sheet!r}; its sheets are " + ", ".join(map(repr, names))))
    if chosen is None:
        raise InputError(Problem(name, "expected a sheet of visits; the workbook has none"))
    rows = [[cell_text(v) for v in row] for row in book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)]
    notes = [f"{name}: read the sheet {chosen!r} (of {len(names)}; choose another with --sheet)."] if len(names) > 1 else []
    first = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if first is None:
        return [], [], 1, notes
    return rows[first], rows[first + 1:], first + 1, notes


@dataclass
class Source:
    """A file opened for reading: its header and how its text or sheet was read."""

    name: str
    header: list[str]
    header_row: int
    encoding: str = ""  # text files: how the bytes were decoded
    delimiter: str = ""  # text files; "" for a spreadsheet
    data: bytes = b""  # text files, as UTF-8
    body: list[list[str]] = field(default_factory=list)  # spreadsheets: the rows under the header
    notes: list[str] = field(default_factory=list)


def open_source(source: str | Path, reading: Reading) -> Source:
    name = display_name(source)
    data = read_bytes(source)
    if is_spreadsheet(name, data):
        header, body, header_row, notes = read_sheet(data, name, reading.sheet)
        return Source(name, header, header_row, body=body, notes=notes)
    data, encoding = decode(data, name, reading.encoding)
    notes = []
    if encoding not in ("UTF-8", reading.encoding):
        notes.append(f"{name}: read as {encoding} text (give --encoding to choose another).")
    delimiter, header = header_fields(data, delimiter_for(name, reading.delimiter)) if data and not data.isspace() else (",", [])
    return Source(name, header, 1, encoding, delimiter, data, notes=notes)


def match_header(opened: Source, kind: str, reading: Reading, what: str = "row"
                 ) -> tuple[Profile | None, dict[str, int], list[HeaderMatch], list[Problem]]:
    """The profile, field positions, per-column matches and problems of an opened file's header."""
    if not any(h.strip() for h in opened.header):
        raise InputError(Problem(
            opened.name, f"expected a header row naming the columns, then one row per {what}; the file is empty", 1))
    profile = choose_profile(opened.header, kind, reading.profile, opened.name)
    found, matches, problems = match_columns(opened.header, FILES[kind], opened.name,
                                             mapping=reading.mapping(kind), profile=profile)
    return profile, found, matches, problems


@dataclass
class Layout:
    """How a file would be read (``carerota columns``): each column's field, and what is missing."""

    source: Source
    kind: str
    profile: Profile | None
    matches: list[HeaderMatch]
    problems: list[Problem]
    sample: list[str]  # the first data row, by header position

    @property
    def missing(self) -> list[str]:
        """Required fields no column provides."""
        found = {m.field for m in self.matches if m.field}
        return [f for f, c in FILES[self.kind].items() if c.required and f not in found and c.instead not in found]


def inspect(source: str | Path, kind: str = "rota", reading: Reading = Reading()) -> Layout:
    """How each column of a file would be read, without reading (or judging) its rows."""
    opened = open_source(source, reading)
    profile, _, matches, problems = match_header(opened, kind, reading)
    if opened.delimiter:
        lines = opened.data.split(b"\n", 64)[1:64]  # the first rows only: the file may be large
        first = next((line for line in lines if line.strip()), b"").decode("utf-8", errors="replace")
        sample = next(csv.reader([first.rstrip("\r")], delimiter=opened.delimiter), [])
    else:
        sample = next((row for row in opened.body if any(c.strip() for c in row)), [])
    sample = sample + [""] * (len(opened.header) - len(sample))
    return Layout(opened, kind, profile, matches, problems, sample)


def read_table(source: str | Path, kind: str, reading: Reading = Reading(), *, what: str = "row") -> Table:
    """Read a file as text columns named canonically; fail with every structural problem found."""
    opened = open_source(source, reading)
    name, header, notes = opened.name, opened.header, list(opened.notes)
    profile, found, _, problems = match_header(opened, kind, reading, what)
    if problems:
        listed = Problems()
        for p in problems:
            listed.add(p)
        listed.hint("The header row has: " + ", ".join(header) + ". See how each column is read with "
                    "carerota columns FILE, and map one with --map FIELD=HEADER.")
        listed.raise_if_any()
    if profile is not None and reading.profile == "auto":
        notes.append(f"{name}: read as the {profile.name} layout (detected from its header).")
    order = sorted(found.items(), key=lambda kv: kv[1])
    if opened.delimiter:
        frame, rows = csv_columns(opened.data, name, opened.delimiter, header, [p for _, p in order])
    else:
        width = len(header)
        padded = [row[:width] + [""] * (width - len(row)) for row in opened.body]
        frame = pd.DataFrame({str(p): [r[p] for r in padded] for _, p in order}, dtype="string")
        rows = np.arange(opened.header_row + 1, opened.header_row + 1 + len(padded))
    frame.columns = [canonical for canonical, _ in order]
    for canonical in frame.columns:
        frame[canonical] = frame[canonical].astype("string").str.strip()
    empty = (frame.iloc[:, 0] == "").fillna(True).to_numpy(bool)  # a row is empty only if its first cell is
    for c in frame.columns[1:]:
        if empty.any():
            empty[empty] = (frame[c][empty] == "").fillna(True).to_numpy(bool)
    skipped = rows[empty].tolist()
    if empty.any():
        frame, rows = frame.loc[~empty].reset_index(drop=True), rows[~empty]
    if frame.empty:
        raise InputError(Problem(name, f"expected a {what} row after the header; found none",
                                 None if skipped else opened.header_row + 1))
    return Table(name, frame, np.asarray(rows), skipped, notes)


def csv_columns(data: bytes, name: str, delimiter: str, header: list[str],
                positions: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """The chosen columns of a CSV as strings, and each record's line number; every row with the wrong
    number of fields is reported."""
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
    lines = None if one_line_per_record(data, table.num_rows) else record_lines(data)
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
        shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
        problems.hint(f"Check for missing or extra {shown} separators or unclosed quotes.")
        problems.raise_if_any()
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)  # no copy later
    rows = lines[1 : len(frame) + 1] if lines is not None else np.arange(2, len(frame) + 2)
    return frame, np.asarray(rows)


def read_text(source: str | Path, reading: Reading = Reading()) -> str:
    """A small CSV (a manifest, a bids file) as text, decoded like any input."""
    return decode(read_bytes(source), display_name(source), reading.encoding)[0].decode("utf-8")
