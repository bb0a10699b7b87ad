"""A rota dataset: one file, a folder or a glob of rota files (CSV, TSV, spreadsheets or Parquet), as
parts that load apart (whole files, and runs of row groups of a Parquet file), and the Parquet dataset
``carerota convert`` writes, partitioned by pay reference period.

Parquet is read through the same header matching and typing as a CSV: its cells become text first, so
a value is accepted or refused, and its row named, exactly as in the CSV it came from.
"""

from __future__ import annotations

import glob
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from carerota.errors import InputError, Problem
from carerota.load import LOCAL_TZ, SOURCE_FILE, Rota, rota_from_table
from carerota.pay import PayPeriods, period_bounds
from carerota.read import (PARQUET_SUFFIXES, Reading, Source, Table, detected_note, display_name, is_parquet,
                           match_header, read_table, text_table)

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls", ".ods")
DATASET_SUFFIXES = TABLE_SUFFIXES + PARQUET_SUFFIXES
SOURCE_ROW = "source_row"  # written by convert with SOURCE_FILE: where each visit came from
PART_ROWS = 250_000  # Parquet rows loaded by one task: small enough for a worker, big enough for pandas
FILE_ROWS = 1_000_000  # rows of one Parquet file written by convert


@dataclass(frozen=True)
class Part:
    """A piece of a dataset that loads on its own: a whole file, or some row groups of a Parquet file
    (``first`` is the file's record number of the first of them, counting from 1)."""

    path: str
    row_groups: tuple[int, ...] = ()
    first: int = 1

    @property
    def parquet(self) -> bool:
        return is_parquet(self.path)


def dataset_files(spec: str) -> list[str]:
    """The files of DATASET: a file, a folder (its rota and Parquet files, in sub-folders too, as a
    partitioned dataset has them) or a quoted glob, in sorted order. ``-`` is stdin."""
    path = Path(spec)
    if spec == "-" or path.is_file():
        return [spec]
    if path.is_dir():
        found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DATASET_SUFFIXES
                       and not p.name.startswith(("~$", ".", "_")))
        if not found:
            raise InputError(Problem(spec, "expected a folder holding rota files ("
                                     + ", ".join(DATASET_SUFFIXES) + "); it has none"))
        return found
    if glob.has_magic(spec):
        found = sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        if not found:
            raise InputError(Problem(spec, "expected this pattern to match at least one file"))
        return found
    return [spec]  # reading it says what is wrong (missing, unreadable)


def dataset_parts(files: list[str], rows: int = PART_ROWS) -> list[Part]:
    """Files as parts; a Parquet file in runs of whole row groups of about ``rows`` rows."""
    parts: list[Part] = []
    for path in files:
        if not is_parquet(path):
            parts.append(Part(path))
            continue
        meta = parquet_file(path).metadata
        groups: list[int] = []
        first = taken = 1
        for g in range(meta.num_row_groups):
            groups.append(g)
            taken += meta.row_group(g).num_rows
            if taken - first >= rows:
                parts.append(Part(path, tuple(groups), first))
                groups, first = [], taken
        if groups or not parts or parts[-1].path != path:
            parts.append(Part(path, tuple(groups), first))
    return parts


def parquet_file(path: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError(Problem(path, "expected a Parquet file; no such file")) from None
    except (OSError, pa.ArrowException) as err:
        raise InputError(Problem(path, f"expected a Parquet file; it cannot be read ({err})")) from None


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as the text a CSV export would hold: times as ISO 8601 (UTC, marked Z, when
    the column has a time zone), numbers and flags as written; nulls empty."""
    kind = column.type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.strftime(column.cast(pa.timestamp("us", "UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        else:
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    return pc.fill_null(column, "")


def parquet_table(part: Part, reading: Reading = Reading()) -> Table:
    """Some row groups of a Parquet file as a text table, its columns matched like a CSV's header.
    Rows are the ``source_row`` the file carries (convert writes the CSV's row numbers), else the
    record number in the file; the name is its ``source_file``, else the file's own."""
    pf = parquet_file(part.path)
    header = [str(name) for name in pf.schema_arrow.names]
    name = display_name(part.path)
    opened = Source(name, header, header_row=1, data=b"x")  # data: not an empty file, for the header check
    profile, found, _, problems = match_header(opened, "rota", reading, "visit")
    if problems:
        raise InputError(problems, "The Parquet file has the columns: " + ", ".join(header) + ".")
    order = sorted(found.items(), key=lambda kv: kv[1])
    wanted = [header[p] for _, p in order] + [c for c in (SOURCE_ROW, SOURCE_FILE) if c in header]
    groups = list(part.row_groups) or list(range(pf.metadata.num_row_groups))
    try:
        data = pf.read_row_groups(groups, columns=wanted) if groups else pf.schema_arrow.empty_table()
    except (OSError, pa.ArrowException) as err:
        raise InputError(Problem(name, f"expected a Parquet file; it cannot be read ({err})")) from None
    columns = {canonical: as_text(data.column(header[p])) for canonical, p in order}
    if SOURCE_ROW in header:
        rows = pc.fill_null(data.column(SOURCE_ROW).cast(pa.int64()), 0).to_numpy()
    else:
        rows = np.arange(part.first, part.first + len(data))
    if SOURCE_FILE in header and len(data):
        names = pc.unique(data.column(SOURCE_FILE)).to_pylist()
        name = str(names[0]) if len(names) == 1 and names[0] else name
    return text_table(name, columns, rows, detected_note(name, profile, reading), "visit", part.first)


def part_table(part: Part, reading: Reading = Reading()) -> Table:
    return parquet_table(part, reading) if part.parquet else read_table(part.path, "rota", reading, what="visit")


def load_part(part: Part, reading: Reading = Reading()) -> Rota:
    return rota_from_table(part_table(part, reading), reading)


def with_source_files(visits: pd.DataFrame, names: list[str], part: np.ndarray) -> pd.DataFrame:
    """``visits`` with each one's file (``source_file``, a category) from the index of its part into
    the parts' ``names``, where those are several files; else as they are."""
    codes, files = pd.factorize(pd.Series(names))
    if len(files) < 2:
        return visits
    return visits.assign(**{SOURCE_FILE: pd.Categorical.from_codes(codes[part], files)})


def combine(rotas: list[Rota], name: str) -> Rota:
    """The visits of several parts as one rota named ``name``; rows keep their own file's numbers,
    and where the parts are several files each visit's file is in ``source_file`` (a category), so
    an error found later in the audit can name the file as well as the row."""
    if len(rotas) == 1:
        return rotas[0]
    skipped: dict[str, list[int]] = {}
    for r in rotas:
        if r.skipped_rows:
            skipped.setdefault(r.name, []).extend(r.skipped_rows)
    part = np.repeat(np.arange(len(rotas)), [len(r.visits) for r in rotas])
    return Rota(
        name,
        with_source_files(pd.concat([r.visits for r in rotas], ignore_index=True), [r.name for r in rotas], part),
        [row for r in rotas for row in r.skipped_rows],
        list(dict.fromkeys(n for r in rotas for n in r.notes)),
        any(r.monitored for r in rotas),
        list(dict.fromkeys(a for r in rotas for a in r.attribution)),
        skipped,
    )


def load_dataset(spec: str, reading: Reading = Reading(), ahead: Future[Table] | None = None) -> Rota:
    """Every visit of DATASET on this machine (the pandas engine). ``ahead``: DATASET's file being
    read already (``read.read_ahead``), used when DATASET is that one file."""
    parts = dataset_parts(dataset_files(spec))
    if ahead is not None and len(parts) == 1 and parts[0] == Part(spec) and not parts[0].parquet:
        return rota_from_table(ahead.result(), reading)
    return combine([load_part(p, reading) for p in parts], spec)


@dataclass
class Converted:
    files: int  # input files
    visits: int
    periods: list[str]  # the partitions written, by first day
    output: str


def convert(spec: str, out: Path, reading: Reading = Reading(), periods: PayPeriods = PayPeriods(),
            overwrite: bool = False) -> Converted:
    """Write DATASET as Parquet partitioned by pay reference period (``period=YYYY-MM-DD`` folders,
    the period of each visit's planned start day), with each row's ``source_file`` and
    ``source_row`` so an audit of the dataset names the rows of the original files. Every file is
    checked as the audit checks it: a file the audit would refuse is not converted."""
    import pyarrow.dataset as pads  # here, not at the top: it adds 25 ms to every carerota command

    if out.exists() and not out.is_dir():
        raise InputError(Problem(str(out), "expected a folder for the Parquet dataset; this is a file"))
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(Problem(str(out), "expected an empty or new folder; it holds files"),
                         "Choose another folder, or add --overwrite to replace the periods written again.")
    files = dataset_files(spec)
    if overwrite:  # the files an earlier convert wrote, so no period keeps stale visits
        for old in out.glob("period=*/part-*.parquet"):
            old.unlink()
    written: set[str] = set()
    visits = 0
    for k, part in enumerate(dataset_parts(files)):
        table = part_table(part, reading)
        rota = rota_from_table(table, reading)
        day = rota.visits["start"].dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
        period = period_bounds(day, periods)[0].dt.strftime("%Y-%m-%d")
        columns = {c: pa.array(table.frame[c].to_numpy(dtype=object, na_value=""), pa.string())
                   for c in table.frame.columns}
        columns[SOURCE_FILE] = pa.array([table.name] * len(table.frame), pa.string())
        columns[SOURCE_ROW] = pa.array(table.rows.astype("int64"))
        columns["period"] = pa.array(period.to_numpy(dtype=object), pa.string())
        pads.write_dataset(
            pa.table(columns), out, format="parquet", partitioning=["period"], partitioning_flavor="hive",
            basename_template=f"part-{k:05d}-{{i}}.parquet", max_rows_per_file=FILE_ROWS,
            max_rows_per_group=PART_ROWS, min_rows_per_group=min(PART_ROWS, max(len(table.frame), 1)),
            existing_data_behavior="overwrite_or_ignore")
        written.update(period.unique())
        visits += len(table.frame)
    return Converted(len(files), visits, sorted(written), str(out))
