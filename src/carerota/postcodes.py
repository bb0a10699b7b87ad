"""Postcodes to coordinates, offline, from the ONS Postcode Directory (ONSPD) or the NSPL.

Users download the directory themselves (about 2.7 million rows, 1.3 GB of CSV) and import it once;
we keep only what turning a postcode into a point needs, in one uncompressed ``.npz`` of fixed-width
arrays (about 19 bytes a postcode) that loads in well under a second and is searched with
``np.searchsorted``. Terminated postcodes and postcodes with no grid reference are kept, so a rota can
be told *why* a postcode has no location rather than just that it is unknown.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO, NamedTuple

import numpy as np
import pandas as pd
import platformdirs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from carerota.errors import InputError, Problem

# The statements ONS requires "whenever the owners' data is used", in ONS's order and wording, from
# "Postcode products" at https://www.ons.gov.uk/methodology/geography/licences, quoted from the
# ONSPD/NSPL User Guide in ONS's FOI reply FOI/2022/3481: https://www.ons.gov.uk/aboutus/
# transparencyandgovernance/freedomofinformationfoi/usingthenationalstatisticspostcodelookupnsplandonspostcodedirectory
# The GeoPlace line on that page is for address products (ONSUD/NSUL), not postcode products, and
# "Contains National Statistics data" is older wording ONS no longer asks for.
ATTRIBUTION: tuple[str, ...] = (
    "Contains OS data © Crown copyright and database right {year}",
    "Contains Royal Mail data © Royal Mail copyright and database right {year}",
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
)

# Same page: "If you also use the Northern Ireland data (postcodes starting with 'BT'), you need a
# separate licence for commercial use direct from Land and Property Services. We only issue a
# Northern Ireland End User Licence (for internal business use only) with the data. ... Use of the
# Northern Ireland data ... constitutes acceptance of the Northern Ireland licensing terms."
NI_NOTE = (
    "Northern Ireland (BT) postcode locations are Land & Property Services data, supplied with the ONS "
    "directory under a Northern Ireland End User Licence for internal business use only; any other "
    "commercial use needs a licence direct from Land & Property Services."
)

DOWNLOAD_URL = "https://geoportal.statistics.gov.uk/search?collection=Dataset&sort=-modified&tags=PRD_ONSPD"
IMPORT_HINT = f"Download the ONS Postcode Directory ({DOWNLOAD_URL}) and run: carerota postcodes import FILE"

FORMAT = "carerota-postcodes"
FORMAT_VERSION = 1
# lat_e6/lon_e6 of a postcode ONS gives no grid reference (it publishes 99.999999, 0.000000).
NO_LOCATION = np.iinfo(np.int32).min

# Every whitespace character a spreadsheet or web form may leave in a postcode, written out rather
# than as \s because pyarrow's RE2 engine gives \s only the ASCII meaning.
_SPACE = "[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+"
_SHAPE = "GIR0AA|[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}"

# Column names in ONSPD/NSPL, earliest preferred: pcds is the one-space form; pcd/pcd2 were renamed
# pcd7/pcd8 in the 2025 editions (lat, long and doterm kept their names, e.g. ONSPD_AUG_2026_UK.csv).
_COLUMNS = {
    "postcode": ("pcds", "pcd", "pcd2", "pcd7", "pcd8"),
    "lat": ("lat",),
    "long": ("long", "lon"),
    "doterm": ("doterm",),
}
_EDITION = re.compile(r"(?:ONSPD|NSPL)\d*_([A-Z]{3})_(\d{4})", re.IGNORECASE)
_MONTHS = {m[:3].upper(): m for m in ("January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December")}

Progress = Callable[[int, int], None]


def attribution(year: int | None = None) -> list[str]:
    """The attribution lines to show with any output that uses the table, for ``year``'s data."""
    return [line.format(year=year or date.today().year) for line in ATTRIBUTION]


def normalise(s: pd.Series) -> pd.Series:
    """Upper case with every kind of space removed: the key postcodes are stored and looked up by."""
    return s.astype("string").str.upper().str.replace(_SPACE, "", regex=True)


def valid(keys: pd.Series) -> np.ndarray:
    """Which normalised keys have the shape of a UK postcode (outward code of 2-4, then digit+2 letters)."""
    return keys.astype("string").str.fullmatch(f"(?:{_SHAPE})").fillna(False).to_numpy(dtype=bool)


def display(key: str) -> str:
    """The usual written form of a normalised key: "LS11AA" → "LS1 1AA"."""
    return f"{key[:-3]} {key[-3:]}"


def default_path() -> Path:
    """Where the table lives: ``$CAREROTA_POSTCODES``, else the user's data folder."""
    if env := os.environ.get("CAREROTA_POSTCODES"):
        return Path(env).expanduser()
    return platformdirs.user_data_path("carerota") / "postcodes.npz"


def edition_of(name: str) -> str | None:
    """The edition a file name gives, as ONS names files: ``ONSPD_FEB_2024_UK.csv`` → "February 2024"."""
    match = _EDITION.search(PurePosixPath(name).name)
    if not match or match.group(1).upper() not in _MONTHS:
        return None
    return f"{_MONTHS[match.group(1).upper()]} {match.group(2)}"


def _edition_year(edition: str | None) -> int | None:
    return int(edition.rsplit(" ", 1)[1]) if edition else None


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored. ``skipped`` counts rows not stored: no postcode shape, or a duplicate."""

    rows: int
    live: int
    terminated: int
    no_location: int
    northern_ireland: int
    skipped: int
    source: str
    edition: str | None
    path: Path
    seconds: float


class _Block(NamedTuple):
    """One block of CSV rows, reduced to the rows with a postcode's shape, as stored arrays."""

    keys: np.ndarray  # 'S7'
    lat_e6: np.ndarray  # int32 micro-degrees, NO_LOCATION where ONS has no grid reference
    lon_e6: np.ndarray
    doterm: np.ndarray  # int32 YYYYMM, 0 while live
    rows_read: int


@dataclass(frozen=True)
class _Member:
    """One CSV to read: a file, or a member of a zip, with the actual names of the columns we need."""

    name: str
    size: int
    columns: dict[str, str]
    open: Callable[[], IO[bytes]]


def import_table(source: Path, out: Path, *, progress: Progress | None = None) -> ImportSummary:
    """Build the postcode table ``out`` from an ONSPD/NSPL CSV, or a zip as ONS publishes it.

    ``progress(done, total)`` is called with bytes of CSV read so far as the import goes.
    """
    started = time.perf_counter()
    with ExitStack() as stack:
        label, members, edition = _members(Path(source), stack)
        blocks = list(_read(members, progress))
    keys, lat_e6, lon_e6, doterm = (np.concatenate([getattr(b, f) for b in blocks])
                                    for f in ("keys", "lat_e6", "lon_e6", "doterm"))
    read_rows = sum(b.rows_read for b in blocks)
    if not len(keys):
        raise InputError(Problem(label, "expected at least one row with a UK postcode"), hint=IMPORT_HINT)

    # One row per postcode, live before terminated, then the most recently terminated: sort the keys
    # as big-endian integers (the same order as the bytes) and keep the first of each run.
    as_int = keys.astype("S8").view(">u8")
    preference = np.where(doterm == 0, np.iinfo(np.int32).min, -doterm)
    order = np.lexsort((preference, as_int))
    first = np.ones(len(order), dtype=bool)
    first[1:] = as_int[order[1:]] != as_int[order[:-1]]
    order = order[first]
    keys, lat_e6, lon_e6, doterm = keys[order], lat_e6[order], lon_e6[order], doterm[order]

    terminated = int(np.count_nonzero(doterm))
    summary = ImportSummary(
        rows=len(keys),
        live=len(keys) - terminated,
        terminated=terminated,
        no_location=int(np.count_nonzero(lat_e6 == NO_LOCATION)),
        northern_ireland=int(np.count_nonzero(np.char.startswith(keys, b"BT"))),
        skipped=read_rows - len(keys),
        source=label,
        edition=edition,
        path=Path(out),
        seconds=0.0,
    )
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "source": label,
        "edition": edition,
        "imported": date.today().isoformat(),
        **{k: getattr(summary, k) for k in ("rows", "live", "terminated", "no_location",
                                            "northern_ireland", "skipped")},
    }
    _write(Path(out), keys=keys, lat_e6=lat_e6, lon_e6=lon_e6, doterm=doterm, meta=np.array(json.dumps(meta)))
    return dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 3))


def _members(source: Path, stack: ExitStack) -> tuple[str, list[_Member], str | None]:
    """The CSV(s) to read from ``source``: a zip gives its one whole-UK CSV, else its per-area CSVs."""
    if not source.is_file():
        raise InputError(Problem(str(source), "file not found" if not source.exists() else
                                 "expected a CSV or zip file, found a folder"), hint=IMPORT_HINT)
    if not zipfile.is_zipfile(source):
        header = _header(str(source), lambda: source.open("rb"))
        member = _Member(str(source), source.stat().st_size, _columns(str(source), header),
                         lambda: source.open("rb"))
        return source.name, [member], edition_of(source.name)

    zf = stack.enter_context(zipfile.ZipFile(source))
    csvs = [i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")]
    checked: list[tuple[zipfile.ZipInfo, list[str]]] = []
    for info in csvs:
        header = _header(f"{source.name}:{info.filename}", lambda info=info: zf.open(info))
        checked.append((info, header))
    usable = [(i, h) for i, h in checked if not _missing(h)]
    # The whole-UK file (Data/ONSPD_..._UK.csv) and Data/multi_csv/ hold the same rows: read one.
    whole = [(i, h) for i, h in usable if "multi_csv" not in i.filename.lower().split("/")[:-1]]
    chosen = [max(whole, key=lambda ih: ih[0].file_size)] if whole else usable
    if not chosen:
        found = list(dict.fromkeys(c for _, h in checked for c in h))
        raise InputError(Problem(source.name, _expected_text(_missing(found)),
                                 value=", ".join(found[:20]) if csvs else "no CSV inside"),
                         hint=IMPORT_HINT)
    members = [
        _Member(f"{source.name}:{i.filename}", i.file_size, _columns(i.filename, h),
                lambda i=i: zf.open(i))
        for i, h in sorted(chosen, key=lambda ih: ih[0].filename)
    ]
    if len(members) == 1:
        label = f"{source.name}:{chosen[0][0].filename}"
    else:
        label = f"{source.name}:{PurePosixPath(chosen[0][0].filename).parent} ({len(members)} files)"
    edition = edition_of(chosen[0][0].filename) or edition_of(source.name)
    return label, members, edition


def _header(name: str, opener: Callable[[], IO[bytes]]) -> list[str]:
    with opener() as fh:
        first = fh.readline(1 << 16)
    try:
        return next(csv.reader([first.decode("utf-8-sig")]), [])
    except UnicodeDecodeError:
        raise InputError(Problem(name, "expected a CSV file of UTF-8 text"), hint=IMPORT_HINT) from None


def _missing(header: list[str]) -> list[str]:
    have = {c.strip().lower() for c in header}
    return [role for role, names in _COLUMNS.items() if not have.intersection(names)]


def _expected_text(missing: list[str]) -> str:
    options = {role: " or ".join(names) for role, names in _COLUMNS.items()}
    return ("expected an ONS Postcode Directory (ONSPD) or NSPL CSV with the columns "
            + "; ".join(options.values()) + f"; missing: {'; '.join(options[m] for m in missing)}")


def _columns(name: str, header: list[str]) -> dict[str, str]:
    """The actual name of each column we need, matched case-insensitively."""
    if missing := _missing(header):
        raise InputError(Problem(name, _expected_text(missing), value=", ".join(header[:20]) or "no header"),
                         hint=IMPORT_HINT)
    by_lower = {c.strip().lower(): c for c in reversed(header)}
    return {role: by_lower[next(n for n in names if n in by_lower)] for role, names in _COLUMNS.items()}


def _read(members: list[_Member], progress: Progress | None) -> Iterator[_Block]:
    """Stream each CSV's four columns in blocks of rows (pyarrow parses a block on several threads)."""
    total = sum(m.size for m in members)
    done = 0
    for member in members:
        wanted = list(dict.fromkeys(member.columns.values()))
        convert = pacsv.ConvertOptions(include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string()),
                                       strings_can_be_null=False, quoted_strings_can_be_null=False)
        with member.open() as raw:
            stream = pa.PythonFile(raw, mode="r")
            try:
                reader = pacsv.open_csv(stream, read_options=pacsv.ReadOptions(block_size=16 << 20),
                                        convert_options=convert)
                for batch in reader:
                    yield _convert(member, batch)
                    if progress:
                        progress(done + stream.tell(), total)
            except pa.ArrowInvalid as err:
                raise InputError(Problem(member.name, f"expected CSV rows like its header: {err}"),
                                 hint=IMPORT_HINT) from None
        done += member.size
        if progress:
            progress(done, total)


def _convert(member: _Member, batch: pa.RecordBatch) -> _Block:
    column = member.columns
    keys = pc.replace_substring_regex(pc.utf8_upper(batch.column(column["postcode"])), _SPACE, "")
    ok = pc.match_substring_regex(keys, f"^(?:{_SHAPE})$")
    keys = pc.filter(keys, ok)
    lat = _numbers(member, column["lat"], pc.filter(batch.column(column["lat"]), ok), pa.float64())
    lon = _numbers(member, column["long"], pc.filter(batch.column(column["long"]), ok), pa.float64())
    doterm = _numbers(member, column["doterm"], pc.filter(batch.column(column["doterm"]), ok), pa.int32())

    lat = lat.to_numpy(zero_copy_only=False)
    lon = lon.to_numpy(zero_copy_only=False)
    nowhere = ~(np.abs(lat) <= 90) | ~(np.abs(lon) <= 180)  # also NaN: a blank lat or long
    lat_e6 = np.where(nowhere, NO_LOCATION, np.rint(np.nan_to_num(lat) * 1e6)).astype(np.int32)
    lon_e6 = np.where(nowhere, NO_LOCATION, np.rint(np.nan_to_num(lon) * 1e6)).astype(np.int32)

    # Valid keys are 5-7 ASCII bytes: pad with NULs to a fixed-size binary whose buffer *is* 'S7'.
    fixed = pc.utf8_rpad(keys, width=7, padding="\0").cast(pa.binary()).cast(pa.binary(7))
    as_s7 = np.frombuffer(fixed.buffers()[1], dtype="S7")[fixed.offset:fixed.offset + len(fixed)].copy()
    return _Block(as_s7, lat_e6, lon_e6, doterm.fill_null(0).to_numpy().astype(np.int32), batch.num_rows)


def _numbers(member: _Member, name: str, text: pa.Array, kind: pa.DataType) -> pa.Array:
    """Parse a text column, blank as null; say which value is not a number."""
    stripped = pc.utf8_trim_whitespace(text)
    blank = pc.equal(stripped, "")
    try:
        return pc.if_else(blank, pa.scalar(None, kind), pc.cast(pc.if_else(blank, "0", stripped), kind))
    except pa.ArrowInvalid:
        bad = next((v for v in stripped.to_pylist() if v and not _parses(v, kind)), None)
        expected = "a YYYYMM date or blank" if kind == pa.int32() else "a number in degrees"
        raise InputError(Problem(member.name, f"expected {expected}", column=name, value=bad),
                         hint=IMPORT_HINT) from None


def _parses(value: str, kind: pa.DataType) -> bool:
    try:
        (int if kind == pa.int32() else float)(value)
    except ValueError:
        return False
    return True


def _write(out: Path, **arrays: np.ndarray) -> None:
    """Write the .npz next to ``out`` and rename it over: a reader never sees half a table."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, eq=False)
class PostcodeTable:
    """The imported directory: sorted keys ('S7'), degrees (NaN where ONS has no grid reference), doterm."""

    keys: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    doterm: np.ndarray
    meta: dict
    path: Path

    @classmethod
    def load(cls, path: Path | None = None) -> PostcodeTable:
        """Read a table written by :func:`import_table` (``default_path()`` when ``path`` is None)."""
        path = Path(path) if path is not None else default_path()
        if not path.is_file():
            raise InputError(Problem(str(path), "expected the postcode table here; there is none"),
                             hint=IMPORT_HINT)
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in ("keys", "lat_e6", "lon_e6", "doterm", "meta")}
            meta = json.loads(str(arrays["meta"]))
            keys, lat_e6, lon_e6, doterm = (arrays[k] for k in ("keys", "lat_e6", "lon_e6", "doterm"))
            sound = (meta.get("format") == FORMAT and meta.get("version") == FORMAT_VERSION
                     and keys.dtype == np.dtype("S7") and doterm.dtype == lat_e6.dtype == lon_e6.dtype == np.int32
                     and 0 < len(keys) == len(lat_e6) == len(lon_e6) == len(doterm)
                     and bool((keys[1:] > keys[:-1]).all()))  # sorted and unique, as searchsorted needs
        except (OSError, EOFError, ValueError, KeyError, AttributeError, TypeError, zipfile.BadZipFile):
            sound = False
        if not sound:
            raise InputError(Problem(str(path), "expected a postcode table made by 'carerota postcodes import'"),
                             hint=IMPORT_HINT)
        nowhere = lat_e6 == NO_LOCATION
        lat = np.where(nowhere, np.nan, lat_e6 / 1e6)
        lon = np.where(nowhere, np.nan, lon_e6 / 1e6)
        return cls(keys=keys, lat=lat, lon=lon, doterm=doterm, meta=meta, path=path)

    @property
    def edition(self) -> str | None:
        """The directory's edition, e.g. "February 2024", when its file name said."""
        return self.meta.get("edition")

    def attribution(self) -> list[str]:
        """The attribution lines for this table's data, dated by its edition."""
        return attribution(_edition_year(self.edition))

    def lookup(self, postcodes: pd.Series) -> pd.DataFrame:
        """Locate each postcode; one row per input row, same index.

        ``status`` is ok, blank, invalid (not a postcode's shape), unknown (not in the directory),
        terminated (``terminated`` says when, as YYYY-MM) or no location (ONS has no grid reference);
        ``lat``/``lon`` are NaN unless it is ok.
        """
        keys = normalise(postcodes)
        blank = (keys.isna() | (keys == "")).to_numpy(dtype=bool)
        shaped = valid(keys)
        wanted = keys[shaped].to_numpy(dtype=object).astype("S7")
        at = np.searchsorted(self.keys, wanted)
        hit = at < len(self.keys)
        hit[hit] = self.keys[at[hit]] == wanted[hit]
        row = np.full(len(keys), -1)
        row[np.flatnonzero(shaped)[hit]] = at[hit]
        found = row >= 0
        safe = np.where(found, row, 0)

        doterm = np.where(found, self.doterm[safe], 0)
        lat = np.where(found, self.lat[safe], np.nan)
        lon = np.where(found, self.lon[safe], np.nan)
        status = np.select(
            [blank, ~shaped, ~found, doterm > 0, np.isnan(lat)],
            ["blank", "invalid", "unknown", "terminated", "no location"],
            "ok",
        )
        ok = status == "ok"
        shown = (keys.str[:-3] + " " + keys.str[-3:]).where(shaped, postcodes.astype("string").str.strip())
        when = pd.Series(doterm)
        terminated = ((when // 100).astype(str) + "-" + (when % 100).astype(str).str.zfill(2)).where(when > 0, "")
        return pd.DataFrame(
            {
                "postcode": shown.fillna("").to_numpy(dtype=str),
                "lat": np.where(ok, lat, np.nan),
                "lon": np.where(ok, lon, np.nan),
                "status": status,
                "northern_ireland": shaped & keys.str.startswith("BT").fillna(False).to_numpy(dtype=bool),
                "terminated": terminated.to_numpy(dtype=str),
            },
            index=postcodes.index,
        )
