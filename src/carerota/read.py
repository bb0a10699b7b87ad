"""Reading any input file into text columns with canonical names: CSV or TSV in any common encoding,
or a spreadsheet (.xlsx, .xls, .ods), with headers matched by name, alias, a known export profile
or the user's own column mapping.

Everything is read as text (pyarrow's CSV reader, only the columns needed) and typed later, column
by column, so that every bad cell can be reported with its file, row and column. Row numbers are the
line numbers a text editor or spreadsheet shows (the header is row 1).

Limits keep a huge, endless or hostile input to a quick, clear error rather than a machine out of
memory. A county's rota is about a million visits (120 MB of CSV, 1.5 GB of memory to audit), so:

- ``MAX_ROWS``: 10 million rows a file, ten counties; a larger rota is split (by month or area) and
  the parts audited together with ``carerota batch``. Counted as the bytes stream in, so a file of a
  billion rows stops in a second.
- ``MAX_BYTES``: 4 GiB a file (room for 10 million wide rows), checked before a file is read and as
  stdin or a pipe streams in, so endless input (``/dev/zero``) stops too.
- ``MAX_ROW_BYTES``: 4 MiB a row, pyarrow's block size (a row must fit in one block).
- ``MAX_CELL_BYTES``: 1 MiB a cell read (a spreadsheet cell holds at most 32,767 characters).
- ``MAX_HEADER_BYTES``: 64 KiB for the header row.

A file on disk is mapped into memory rather than copied (``read_bytes``): most of a large rota is
plain UTF-8, which pyarrow parses where it lies, so the audit neither copies 100 MB into fresh pages
nor scans it byte by byte under the GIL while pandas imports. Any other file (a BOM, another
encoding, old Mac line ends, a spreadsheet) is copied out and read as before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import mmap
import os
import stat
import sys
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from carerota.errors import InputError, Problem, Problems
from carerota.schema import FILES, PROFILES, Column, Profile, detect_profile, key

if TYPE_CHECKING:
    import pandas as pd

# Characters a UK Windows-1252 export plausibly holds: a file whose other bytes are not UTF-8 is read
# as cp1252 only when every non-ASCII character is one of these (so random bytes stay an error).
CP1252_TEXT = set("£€‘’“”–—…•°·×½¼¾©®™\u00a0"
                  "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßœŒšŠžŽŸ")
SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx/xlsm/ods (zip), xls (OLE2)
COMPRESSED_MAGIC = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"(\xb5/\xfd": "zstd", b"7z\xbc\xaf\x27\x1c": "7-Zip",
                    b"BZh91AY&SY": "bzip2"}
BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

MAX_ROWS = 10_000_000
MAX_BYTES = 4 << 30
MAX_ROW_BYTES = 4 << 20
MAX_CELL_BYTES = 1 << 20
MAX_HEADER_BYTES = 64 << 10
READ_BLOCK = 16 << 20  # stdin and pipes are read this much at a time, counting rows
COUNT_BLOCK = 16 << 20  # line feeds are counted this much at a time
PARQUET_SUFFIXES = (".parquet", ".pq")  # read by carerota.dataset, not here
SPLIT_HINT = "Split the rota (by month or by area) and audit the parts together: carerota batch 'part-*.csv'."


def size(n: float) -> str:
    """Bytes as a person reads them: 64 KiB, 10.0 MiB, 4 GiB."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{n:g} bytes"


def size_over(n: int, limit: int) -> str:
    """The size of something over ``limit``, in bytes where the rounded size reads as the limit's."""
    return size(n) if size(n) != size(limit) else f"{n:,} bytes"


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


def read_bytes(source: str | Path, encoding: str = "auto") -> bytes | mmap.mmap:
    """The bytes of a file (mapped, see ``mapped``) or stdin. A file over MAX_BYTES fails before it is
    read; stdin, a pipe or a device is read a block at a time and stops at the limits, or at once if
    it is not text."""
    if str(source) == "-":
        return read_stream(sys.stdin.buffer, "<stdin>", encoding)
    path = Path(source)
    if path.is_dir():
        raise InputError(Problem(str(path), "expected a CSV or spreadsheet file, found a folder"))
    try:
        with path.open("rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                return read_stream(stream, str(path), encoding)
            if info.st_size > MAX_BYTES:
                head = stream.read(MAX_ROW_BYTES)
                estimate = info.st_size * head.count(b"\n") // len(head)
                rows = f", about {estimate:,} rows" if estimate else ""
                raise InputError(Problem(str(path), f"expected a file of at most {size(MAX_BYTES)}; it is "
                                         f"{size(info.st_size)}{rows}"), hint=SPLIT_HINT)
            return mapped(stream, info.st_size)
    except FileNotFoundError:
        raise InputError(Problem(str(path), "file not found")) from None
    except OSError as err:
        raise InputError(Problem(str(path), f"cannot be read: {err.strerror}")) from None


def mapped(stream, length: int) -> bytes | mmap.mmap:
    """A regular file's bytes mapped read-only, in place of a copy: slices, ``find`` and the buffer
    protocol work on both. An empty file cannot be mapped, and some file systems cannot map at all;
    those are read. (A file cut short by another program while it is read would end the process;
    a rota is not rewritten while it is audited.)"""
    if length:
        try:
            return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass
    return stream.read()


def read_stream(stream, name: str, encoding: str) -> bytes:
    """All of a stream of unknown length, stopped past MAX_ROWS lines or MAX_BYTES (an endless input),
    or after its first block when that is neither a spreadsheet nor text (``/dev/zero``)."""
    blocks, total, lines = [], 0, 0
    while block := stream.read(READ_BLOCK):
        if not blocks and not is_spreadsheet(name, block):
            check_text(block, name, encoding)
        blocks.append(block)
        total += len(block)
        lines += block.count(b"\n")
        if lines > MAX_ROWS + 1:
            raise too_many_rows(name, f"stopped reading at row {MAX_ROWS + 2:,}")
        if total > MAX_BYTES:
            raise InputError(Problem(name, f"expected at most {size(MAX_BYTES)}; stopped reading there (is the "
                                     "input endless?)"), hint=SPLIT_HINT)
    return b"".join(blocks)


def too_many_rows(name: str, found: str) -> InputError:
    return InputError(Problem(name, f"expected at most {MAX_ROWS:,} rows after the header; {found}"), hint=SPLIT_HINT)


def decode(data: bytes | mmap.mmap, name: str, encoding: str = "auto") -> tuple[bytes | mmap.mmap, str]:
    """UTF-8 bytes without a BOM, and the encoding they were read as.

    ``auto`` takes a BOM's word (UTF-8, UTF-16 or UTF-32), else UTF-8, else Windows-1252 when every
    non-ASCII character is one a UK export plausibly holds (£, curly quotes, accented letters);
    otherwise the row and column of the first byte that is not text are named. A mapped file that
    is UTF-8 without a BOM is returned as it is; any other is copied out (``data[:]``) to decode.
    """
    wanted = encoding.lower().replace("-", "").replace("_", "")
    head = data[:MAX_HEADER_BYTES]
    for bom, codec in BOMS:
        if wanted in ("auto", codec.replace("-", "")) and head.startswith(bom):
            return recode(data[:], name, codec), codec.upper()
    check_text(head, name, encoding)
    if wanted not in ("auto", "utf8", "utf8sig"):
        return recode(data[:], name, encoding), encoding
    if head.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        is_utf8(data) or data[:].decode("utf-8")  # Python names the first bad byte
        return data, "UTF-8"
    except UnicodeDecodeError as err:
        first_bad = err.start
    data = data[:]
    if wanted == "auto":
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is not None and all(c in CP1252_TEXT for c in set(text) if ord(c) > 127):
            return text.encode("utf-8"), "Windows-1252"
    row, column = where_is(data, name, first_bad)
    raise InputError(
        Problem(name, f"expected UTF-8 text, found the byte 0x{data[first_bad]:02x}", row, column),
        hint="Save the file as UTF-8, or give its encoding, e.g. --encoding cp1252.",
    )


def is_utf8(data: bytes | mmap.mmap) -> bool:
    """Whether the bytes are valid UTF-8, checked by arrow where they lie (a fast scan, without the
    GIL, and no 100 MB string made)."""
    ends = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, ends, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def is_blank(data: bytes | mmap.mmap) -> bool:
    """Whether a file holds nothing but whitespace (empty lines), looking no further than it must."""
    head = data[:MAX_HEADER_BYTES]
    return head.isspace() and (len(data) == len(head) or bytes(data).isspace())


def line_feeds(data: bytes | mmap.mmap) -> int:
    """How many line feeds the bytes hold, counted a block at a time by numpy (a mapped file has no
    ``count``; a block's comparison fills memory already in use)."""
    view = np.frombuffer(data, dtype=np.uint8)
    found = np.empty(min(len(view), COUNT_BLOCK), dtype=bool)
    total = 0
    for start in range(0, len(view), COUNT_BLOCK):
        block = view[start:start + COUNT_BLOCK]
        total += int(np.count_nonzero(np.equal(block, ord("\n"), out=found[:len(block)])))
    return total


def check_text(data: bytes, name: str, encoding: str) -> None:
    """Fail on the first bytes of a compressed or binary file (NUL bytes, which text in an 8-bit
    encoding or UTF-8 never holds)."""
    kind = next((kind for magic, kind in COMPRESSED_MAGIC.items() if data.startswith(magic)), None)
    if kind:
        raise InputError(Problem(name, f"is compressed ({kind}), expected CSV text or a spreadsheet"),
                         hint="Decompress it first (e.g. gunzip, unxz, unzstd) and give the file inside.")
    wide = encoding.lower().replace("-", "").replace("_", "").startswith(("utf16", "utf32"))
    if b"\x00" in data[:65536] and not wide and not data.startswith(tuple(bom for bom, _ in BOMS)):
        raise InputError(
            Problem(name, "looks like a binary file (it contains NUL bytes), expected CSV text"),
            hint="Export the rota as CSV (comma-separated values) or .xlsx from your rostering system.",
        )


def recode(data: bytes, name: str, encoding: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except LookupError:
        raise InputError(Problem(name, f"unknown encoding {encoding!r}")) from None
    except UnicodeDecodeError as err:
        row, column = where_is(data, name, err.start)
        raise InputError(Problem(name, f"expected {encoding} text, found the byte 0x{data[err.start]:02x}",
                                 row, column)) from None


def header_fields(data: bytes | mmap.mmap, name: str, delimiter: str | None = None) -> tuple[str, list[str]]:
    """The delimiter and the column names of the first line, which ends (as pyarrow ends lines) at
    a line feed or a carriage return."""
    ends = [i for i in (data.find(b"\n", 0, MAX_HEADER_BYTES), data.find(b"\r", 0, MAX_HEADER_BYTES)) if i >= 0]
    if not ends and len(data) > MAX_HEADER_BYTES:
        raise InputError(Problem(name, f"expected a header row naming the columns; the first line is longer "
                                 f"than {size(MAX_HEADER_BYTES)}", 1))
    first_line = data[:min(ends, default=len(data))].decode("utf-8", errors="replace")
    delimiter = delimiter or sniff_delimiter(first_line)
    return delimiter, next(csv.reader([first_line], delimiter=delimiter), [])


def where_is(data: bytes, name: str, offset: int) -> tuple[int, str | None]:
    """Row and column holding a byte offset (columns counted by separators, ignoring quotes)."""
    row = data.count(b"\n", 0, offset) + 1
    delimiter, names = header_fields(data, name)
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


def record_starts(text: bytes | mmap.mmap) -> tuple[np.ndarray, np.ndarray]:
    """The line number and byte offset where each record starts (the header first), as pyarrow
    splits records: a line ends at LF, CR LF or a lone CR, a blank line is skipped, and a line end
    inside quotes continues the record. Quotes are paired by counting (a quote inside a quoted cell is
    doubled), so a stray quote in an unquoted cell misleads it: callers check the count."""
    buf = np.frombuffer(text, dtype=np.uint8)
    lf = np.flatnonzero(buf == ord("\n"))
    cr = np.flatnonzero(buf == ord("\r"))
    lone_cr = cr[buf[np.minimum(cr + 1, len(buf) - 1)] != ord("\n")]
    ends = np.sort(np.concatenate((lf, lone_cr)))
    starts = np.concatenate(([0], ends + 1))
    length = np.concatenate((ends, [len(buf)])) - starts
    blank = (length == 0) | ((length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == ord("\r")))
    quotes = np.flatnonzero(buf == ord('"'))
    in_quotes = np.concatenate(([False], np.searchsorted(quotes, ends) % 2 == 1))
    first = ~blank & ~in_quotes
    return np.flatnonzero(first) + 1, starts[first]


def record_lines(text: bytes | mmap.mmap, newlines: int, records: int) -> np.ndarray:
    """The line number of each of ``records`` records (the header first). One count of line feeds
    usually shows one line a record; else the records are found line by line (blank lines, lone CRs,
    line breaks in quoted cells), and where that count disagrees with pyarrow's too they are numbered
    as a spreadsheet numbers them."""
    if newlines + (text[-1:] != b"\n") == records:
        return np.arange(1, records + 1)
    lines = record_starts(text)[0]
    return lines if len(lines) == records else np.arange(1, records + 1)


def is_spreadsheet(name: str, data: bytes | mmap.mmap) -> bool:
    return data[:8].startswith(SPREADSHEET_MAGIC) or name.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods"))


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


def check_archive(data: bytes, name: str) -> None:
    """A zip must be a workbook (xlsx, ods) that unpacks to at most MAX_BYTES: a zipped CSV is named as
    such, and a zip bomb stops before it is unpacked."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return  # calamine names what is wrong with it
    names = sorted(m.filename for m in members)
    if not {"[Content_Types].xml", "mimetype"} & set(names):
        raise InputError(Problem(name, "is a zip archive (of " + ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
                                 + "), expected CSV text or a spreadsheet"),
                         hint="Unzip it and give the file inside.")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_BYTES:
        raise InputError(Problem(name, f"expected a workbook of at most {size(MAX_BYTES)} unpacked; it unpacks to "
                                 f"{size(unpacked)}"), hint=SPLIT_HINT)


def read_sheet(data: bytes, name: str, sheet: str | None) -> tuple[list[str], list[list[str]], int, list[str]]:
    """(header, data rows as text, the header's row number, notes) of one sheet of a workbook."""
    from python_calamine import CalamineWorkbook  # only spreadsheets need it

    if data.startswith(b"PK\x03\x04"):
        check_archive(data, name)
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
    cells = book.get_sheet_by_name(chosen)
    if cells.total_height > MAX_ROWS + 1:
        raise too_many_rows(name, f"the sheet {chosen!r} has {cells.total_height:,} rows")
    rows = [[cell_text(v) for v in row] for row in cells.to_python(skip_empty_area=False)]
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
    data: bytes | mmap.mmap = b""  # text files, as UTF-8 (a file on disk mapped, see ``read_bytes``)
    body: list[list[str]] = field(default_factory=list)  # spreadsheets: the rows under the header
    notes: list[str] = field(default_factory=list)


def open_source(source: str | Path, reading: Reading) -> Source:
    name = display_name(source)
    data = read_bytes(source, reading.encoding)
    if is_spreadsheet(name, data):
        header, body, header_row, notes = read_sheet(data[:], name, reading.sheet)
        return Source(name, header, header_row, body=body, notes=notes)
    data, encoding = decode(data, name, reading.encoding)
    notes = []
    if encoding not in ("UTF-8", reading.encoding):
        notes.append(f"{name}: read as {encoding} text (give --encoding to choose another).")
    if data.find(b"\n") < 0 and data.find(b"\r") >= 0:  # lone carriage returns end the lines (old Mac exports)
        data = data[:].replace(b"\r", b"\n")
    delimiter, header = (header_fields(data, name, delimiter_for(name, reading.delimiter))
                         if data and not is_blank(data) else (",", []))
    return Source(name, header, 1, encoding, delimiter, data, notes=notes)


def match_header(opened: Source, kind: str, reading: Reading, what: str = "row"
                 ) -> tuple[Profile | None, dict[str, int], list[HeaderMatch], list[Problem]]:
    """The profile, field positions, per-column matches and problems of an opened file's header."""
    if not any(h.strip() for h in opened.header):
        found = "row 1 is blank" if opened.data and not is_blank(opened.data) else "the file is empty"
        raise InputError(Problem(
            opened.name, f"expected a header row naming the columns, then one row per {what}; {found}", 1))
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
        lines = opened.data[:MAX_ROW_BYTES].split(b"\n", 64)[1:64]  # the first rows only: the file may be large
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
    notes += detected_note(name, profile, reading)
    order = sorted(found.items(), key=lambda kv: kv[1])
    if opened.delimiter:
        texts, rows = csv_columns(opened.data, name, opened.delimiter, header, [p for _, p in order])
    else:
        width = len(header)
        padded = [row[:width] + [""] * (width - len(row)) for row in opened.body]
        texts = [pa.chunked_array([[r[p] for r in padded]], type=pa.string()) for _, p in order]
        rows = np.arange(opened.header_row + 1, opened.header_row + 1 + len(padded))
    columns = dict(zip((canonical for canonical, _ in order), texts))
    return text_table(name, columns, rows, notes, what, opened.header_row + 1)


def read_ahead(source: str, kind: str, reading: Reading = Reading(), *, what: str = "row") -> Future[Table] | None:
    """``read_table`` of a file, started on a thread so that a command can go on meanwhile: the
    audit imports pandas and its own modules (half a second) while pyarrow parses the rota on both
    cores. None for what is not one CSV, TSV or spreadsheet file (stdin, folders, globs, Parquet),
    which is read when it is loaded."""
    if source == "-" or not Path(source).is_file() or is_parquet(source):
        return None
    pool = ThreadPoolExecutor(1, thread_name_prefix="carerota-read")
    ahead = pool.submit(read_table, source, kind, reading, what=what)
    pool.shutdown(wait=False)  # the thread ends when the read does
    return ahead


def is_parquet(path: str) -> bool:
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def detected_note(name: str, profile: Profile | None, reading: Reading) -> list[str]:
    """The note that a file was read by a profile found from its header (not one the user named)."""
    if profile is not None and reading.profile == "auto":
        return [f"{name}: read as the {profile.name} layout (detected from its header)."]
    return []


def text_table(name: str, columns: dict[str, pa.ChunkedArray], rows: np.ndarray, notes: list[str],
               what: str, first_row: int) -> Table:
    """Cells stripped and empty rows skipped (and counted): a table of text ready for typing, from
    any file format (``columns``: canonical name → arrow text). Done on the arrow columns and turned
    into pandas once: a batch reads hundreds of small files, where pandas' cost per column call
    would be most of the read. ``first_row`` is named when there is no row at all."""
    # pyarrow.compute is imported here, after a CSV's parse, not with this module: its 40 ms would
    # hold back the start of the parse (``read_ahead``), while pandas imports it meanwhile anyway
    import pyarrow.compute as pc

    texts = {canonical: pc.utf8_trim_whitespace(text) if may_need_trim(text) else text
             for canonical, text in columns.items()}
    empty = np.zeros(len(rows), bool)
    for k, text in enumerate(texts.values()):  # a row is empty only if every cell is
        if k and not empty.any():
            break
        blank = pc.fill_null(pc.equal(text, ""), True).to_numpy()
        empty = blank if k == 0 else empty & blank
    skipped = rows[empty].tolist()
    if empty.any():
        kept = pa.array(~empty)
        texts, rows = {c: t.filter(kept) for c, t in texts.items()}, rows[~empty]
    if not len(rows):
        raise InputError(Problem(name, f"expected a {what} row after the header; found none",
                                 None if skipped else first_row))
    import pandas as pd  # only here: the file is read while pandas still imports (``read_ahead``)

    as_string = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
    frame = pa.table(texts).to_pandas(types_mapper=as_string.get)  # arrow's own conversion: no copy, one call
    return Table(name, frame, np.asarray(rows), skipped, notes)


def may_need_trim(text: pa.ChunkedArray) -> bool:
    """Whether any cell of a text column may start or end with whitespace: a look at the first and
    last byte of each cell (ASCII space or control, or any byte of a multi-byte character, as
    Unicode has spaces too) spares the trim of columns that have none, most of a large file's."""
    for chunk in text.chunks:
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)
        if not len(chunk) or not len(data):
            continue
        offsets = string_offsets(chunk)
        # An empty cell's "first" byte is the next cell's first and its "last" the one before's last
        # (or, at either end of the buffer, the buffer's last byte): all bytes looked at anyway.
        for ends in (data[np.minimum(offsets[:-1], len(data) - 1)], data[offsets[1:] - 1]):
            if ((ends - np.uint8(33)) >= 95).any():  # wraps: below 33 or from 128, in one comparison
                return True
    return False


def string_offsets(strings: pa.Array) -> np.ndarray:
    """Where each value of a (possibly sliced) string array starts in its data buffer, and the end."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32 if strings.type == pa.string() else np.int64)
    return offsets[strings.offset:strings.offset + len(strings) + 1]


def text_bytes(strings: pa.Array) -> int:
    """How many bytes of text a (possibly sliced) string array holds."""
    offsets = string_offsets(strings)
    return int(offsets[-1] - offsets[0])


def csv_columns(data: bytes | mmap.mmap, name: str, delimiter: str, header: list[str],
                positions: list[int]) -> tuple[list[pa.ChunkedArray], np.ndarray]:
    """The chosen columns of a CSV as arrow text, and each record's line number; every row with the
    wrong number of fields is reported, and so are rows and cells over the limits."""
    newlines = line_feeds(data)
    if newlines > MAX_ROWS + 1:
        raise too_many_rows(name, f"the file has {newlines:,} lines")
    generic = [f"c{i}" for i in range(len(header))]
    if not newlines:  # the header alone, without a line end, which pyarrow cannot skip
        return [pa.chunked_array([], type=pa.large_string()) for _ in positions], np.array([], int)
    # A quoted cell may hold a line break (a note typed on two lines); pyarrow then has to split its
    # blocks by quotes, a little slower, so only files with quotes pay for it.
    quoted = data.find(b'"') >= 0

    def parse(threads: bool, bad: list) -> pa.Table:
        def on_bad_row(row) -> str:
            bad.append(row)
            return "skip"

        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),  # where the bytes lie: a mapped file is not copied
            read_options=pacsv.ReadOptions(column_names=generic, skip_rows=1, use_threads=threads,
                                           block_size=MAX_ROW_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                             invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=[generic[p] for p in positions],
                column_types={generic[p]: pa.large_string() for p in positions},  # as pandas holds text: no cast
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    bad: list = []
    try:
        table = parse(True, bad)
    except pa.ArrowInvalid as err:
        raise unreadable(data, name, delimiter, header, err) from None
    lines = record_lines(data, newlines, table.num_rows + len(bad) + 1)
    columns = table.columns
    if bad:
        bad = []
        parse(False, bad)  # single-threaded, so pyarrow can number the bad rows
        # counts the header and skips blank lines, like ``record_lines``
        spaces = [row.number for row in bad if row.number and not row.text.strip()]
        problems, blank = Problems(), set(spaces)
        for row in bad:
            if row.number not in blank:
                problems.add(Problem(
                    name, f"has {row.actual_columns} fields, expected {row.expected_columns} like the header",
                    int(lines[row.number - 1]) if row.number else None, value=row.text[:80]))
        shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
        problems.hint(f"Check for missing or extra {shown} separators or unclosed quotes.")
        problems.raise_if_any()
        columns = with_empty_rows(columns, np.array(spaces) - 2)
    rows = lines[1:]
    problems = Problems()
    import pyarrow.compute as pc  # after the parse, as in ``text_table``

    for position, column in zip(positions, columns):
        if all(text_bytes(chunk) <= MAX_CELL_BYTES for chunk in column.chunks):
            continue  # no chunk holds that much text in all (a 4 MiB block's share, in most files)
        lengths = pc.binary_length(column)
        if (pc.max(lengths).as_py() or 0) > MAX_CELL_BYTES:
            at = pc.index(pc.greater(lengths, MAX_CELL_BYTES), True).as_py()
            problems.add(Problem(name, f"expected a cell of at most {size(MAX_CELL_BYTES)}, found one of "
                                 f"{size_over(lengths[at].as_py(), MAX_CELL_BYTES)}", int(rows[at]), header[position]))
    problems.raise_if_any()
    return columns, rows


def with_empty_rows(columns: list[pa.ChunkedArray], at: np.ndarray) -> list[pa.ChunkedArray]:
    """The columns with a row of empty cells put back at each of the records ``at`` (0-based): a
    line of nothing but spaces has one field to pyarrow, a short row, but to a reader it is as empty
    as a row of empty cells, and like one it is skipped and counted (``text_table``)."""
    total = (len(columns[0]) if columns else 0) + len(at)
    kept = np.ones(total, bool)
    kept[at] = False
    index = np.full(total, total - len(at), dtype="int64")  # the empty cell appended to each column
    index[kept] = np.arange(total - len(at))
    return [pa.chunked_array(c.chunks + [pa.array([""], c.type)], c.type).take(pa.array(index)) for c in columns]


def unreadable(data: bytes | mmap.mmap, name: str, delimiter: str, header: list[str],
               error: pa.ArrowInvalid) -> InputError:
    """Why pyarrow could not read a file. Most often a record longer than a block (a document pasted
    into a cell, or a quote left open), named here by its row and its longest cell; else pyarrow's words."""
    lines, starts = record_starts(data)
    lengths = np.diff(np.append(starts, len(data)))
    long = np.flatnonzero(lengths > MAX_ROW_BYTES)
    if not long.size:
        return InputError(Problem(name, f"is not a readable CSV file: {error}"))
    row, start, length = int(lines[long[0]]), int(starts[long[0]]), int(lengths[long[0]])
    record = np.frombuffer(data, dtype=np.uint8, count=length, offset=start)
    cuts = np.concatenate(([-1], np.flatnonzero(record == ord(delimiter)), [length]))
    widest = int(np.argmax(np.diff(cuts)))
    cell = int(np.diff(cuts)[widest]) - 1
    open_quote = " (is a quote left open?)" if b"\n" in data[start:start + length].rstrip(b"\r\n") else ""
    if cell > MAX_CELL_BYTES:
        column = header[widest] if widest < len(header) else None
        return InputError(Problem(name, f"expected a cell of at most {size(MAX_CELL_BYTES)}, found one of "
                                  f"{size_over(cell, MAX_CELL_BYTES)}{open_quote}", row, column))
    return InputError(Problem(name, f"expected a row of at most {size(MAX_ROW_BYTES)}, found one of "
                              f"{size_over(length, MAX_ROW_BYTES)}{open_quote}", row))


def read_text(source: str | Path, reading: Reading = Reading()) -> str:
    """A small CSV (a manifest, a bids file) as text, decoded like any input."""
    return str(decode(read_bytes(source, reading.encoding), display_name(source), reading.encoding)[0], "utf-8")
