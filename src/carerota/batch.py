"""Many rotas audited at once: a commissioner's check across providers, one summary row per file.

One file that cannot be read never stops the others: it gets status ``error`` and its message. Files
are audited in parallel processes; the order of the result is the order the files were given.
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carerota.audit import TOTALLED, AuditSettings, attributions, audit, locate, summarise, visit_totals_by
from carerota.config import SETTINGS, SettingError, audit_settings, coerce, resolve, with_travel_matrix
from carerota.dataset import TABLE_SUFFIXES
from carerota.errors import InputError, Problem, Problems
from carerota.findings import RULES, join
from carerota.load import load_clients, load_payslips, load_rota, load_workers, rota_from_table
from carerota.processes import in_processes
from carerota.read import Reading, Table, read_table, read_text

LOG = logging.getLogger(__name__)

STATUSES = ("ok", "findings", "error")
# The audit summary's scalar figures, under their JSON names: the batch CSV's columns after
# file, status and error. Nested figures are flattened as "parent.child".
SUMMARY_COLUMNS = [
    "visits", "workers", "clients", "first_visit", "last_visit", "worker_periods", "worker_periods_below_floor",
    "workers_below_floor", "contact_hours", "travel_hours", "waiting_hours", "working_hours",
    "unpaid_travel_hours", "travel_share", "travel_minutes_per_contact_hour", "total_pay", "total_shortfall",
    "total_arrears", "short_visit_share", "agreed_short_visits", "clients_below_continuity", "median_team_share",
    "max_distinct_workers_per_week", "findings", *(f"findings_by_rule.{rule}" for rule in RULES),
    "rows_skipped", "visits_outside_payslips", "call_monitoring", "wage_floor", "pay_period", "times", "as_of",
    "thresholds.paid_gap_minutes", "thresholds.split_gap_minutes", "thresholds.min_visit_minutes",
    "thresholds.clip_tolerance_minutes", "thresholds.late_after_minutes", "thresholds.continuity_target",
    "thresholds.team_size",
]
COLUMNS = ["file", "status", "error", *SUMMARY_COLUMNS]
FILE_OPTIONS = ("clients", "workers", "payslips", "travel_matrix")  # manifest columns holding paths
MANIFEST_SETTINGS = tuple(name for name in SETTINGS) + ("period_start",)


@dataclass(frozen=True)
class BatchFile:
    """One rota to audit, with the files and settings that go with it."""

    rota: str
    settings: AuditSettings
    clients: str | None = None
    workers: str | None = None
    payslips: str | None = None
    travel_matrix: str | None = None
    reading: Reading = Reading()


@dataclass
class BatchResult:
    rows: pd.DataFrame  # COLUMNS, one row per file, in the order given
    summaries: list[dict] = field(default_factory=list)  # each file's full audit summary (None on error)

    def counts(self) -> dict[str, int]:
        return {status: int((self.rows["status"] == status).sum()) for status in STATUSES}

    @property
    def exit_code(self) -> int:
        """2 if any file could not be read, else 1 if any has findings, else 0."""
        counts = self.counts()
        return 2 if counts["error"] else 1 if counts["findings"] else 0


ROTA_SUFFIXES = TABLE_SUFFIXES  # batch audits each file alone with the pandas engine: no Parquet parts


def expand(paths: list[str], stdin_names: list[str] | None = None) -> list[str]:
    """Files from arguments that may be files, folders (every rota file in it: .csv, .tsv, .xlsx, ...)
    or quoted globs; ``-``
    stands for the names in ``stdin_names`` (as ``find … | carerota batch -`` gives them)."""
    out: list[str] = []
    for path in paths:
        if path == "-":
            out.extend(name.strip() for name in stdin_names or [] if name.strip())
        elif Path(path).is_dir():
            found = sorted(str(p) for p in Path(path).iterdir()
                           if p.is_file() and p.suffix.lower() in ROTA_SUFFIXES and not p.name.startswith("~$"))
            if not found:
                raise InputError(Problem(path, "expected a folder holding rota files (" + ", ".join(ROTA_SUFFIXES)
                                         + "); it has none"))
            out.extend(found)
        elif not Path(path).exists() and glob.has_magic(path):
            found = sorted(glob.glob(path))
            if not found:
                raise InputError(Problem(path, "expected this pattern to match at least one file"))
            out.extend(found)
        else:
            out.append(path)
    return out


def is_manifest(path: str) -> bool:
    """A manifest is a CSV whose header has a ``rota`` column (a rota has worker_id, never rota)."""
    if not Path(path).is_file():
        return False
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            header = next(csv.reader(fh), [])
    except OSError:
        return False
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    return "rota" in names and "worker_id" not in names


def read_manifest(path: str, base: BatchFile, flags: dict, policy: dict,
                  settings_args: dict) -> list[BatchFile]:
    """The files of a manifest CSV: ``rota`` plus optional per-file paths (clients, workers, payslips,
    travel_matrix, relative to the manifest) and settings (wage, period, min_visit, ...). A cell
    beats the command line, which beats the policy file. Every bad cell is reported at once."""
    table = list(csv.DictReader(io.StringIO(read_text(path, base.reading), newline="")))
    folder = Path(path).parent
    problems = Problems()
    known = {"rota", *FILE_OPTIONS, *MANIFEST_SETTINGS}
    header = [h.strip().lstrip("\ufeff").lower() for h in (table[0].keys() if table else [])]
    unknown = [h for h in header if h not in known]
    if unknown:
        raise InputError(Problem(path, f"unknown column(s) {', '.join(unknown)}; expected rota and any of "
                                 + ", ".join(sorted(known - {'rota'}))))
    out = []
    for row_number, raw in enumerate(table, start=2):
        row = {k.strip().lstrip("\ufeff").lower(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        if not row.get("rota"):
            problems.add(Problem(path, "expected the path of a rota file", row_number, "rota"))
            continue
        try:
            cells = {name: coerce(name, row[name]) for name in SETTINGS if row.get(name)}
            settings = audit_settings(resolve({**flags, **cells}, policy),
                                      **{**settings_args, "period_start": row.get("period_start")
                                         or settings_args.get("period_start")})
        except SettingError as error:
            problems.add(Problem(path, str(error), row_number, error.name, row.get(error.name)))
            continue

        def located(name: str) -> str | None:
            cell = row.get(name)
            if not cell:
                return getattr(base, name)
            return str(folder / cell) if not Path(cell).is_absolute() else cell

        out.append(BatchFile(located("rota"), settings, located("clients"), located("workers"),
                             located("payslips"), located("travel_matrix"), base.reading))
    if problems.listed:
        raise InputError(problems.listed, omitted=problems.omitted)
    if not out:
        raise InputError(Problem(path, "expected at least one rota in the manifest"))
    return out


_SHARED: dict[tuple, pd.DataFrame] = {}


def shared_table(kind: str, path: str, reading: Reading) -> pd.DataFrame:
    """A clients or workers file, loaded once per process however many rotas share it (keyed by its
    size and modification time too, so an edited file is read again)."""
    try:
        stat = os.stat(path)
        key = (kind, path, stat.st_size, stat.st_mtime_ns, repr(reading))
    except OSError:
        key = None
    if key is None or key not in _SHARED:
        table = {"clients": load_clients, "workers": load_workers}[kind](path, reading)
        if key is None:
            return table
        if len(_SHARED) > 8:
            _SHARED.clear()
        _SHARED[key] = table
    return _SHARED[key]


def audit_file(job: BatchFile) -> tuple[dict, dict | None]:
    """(row, summary) for one file; an unreadable file is an ``error`` row, never an exception."""
    row = dict.fromkeys(COLUMNS) | {"file": job.rota, "status": "error", "error": ""}
    try:
        settings = with_travel_matrix(job.settings, job.travel_matrix, job.reading)
        result = audit(
            load_rota(job.rota, job.reading),
            clients=shared_table("clients", job.clients, job.reading) if job.clients else None,
            workers=shared_table("workers", job.workers, job.reading) if job.workers else None,
            payslips=load_payslips(job.payslips, job.reading) if job.payslips else None,
            settings=settings,
            messages=False,  # a batch reports counts
        )
    except InputError as error:
        row["error"] = error.message()
        return row, None
    except Exception as error:  # one broken file must not stop a night's batch: say what happened
        row["error"] = f"internal error: {type(error).__name__}: {error} (please report it)"
        return row, None
    return result_row(job, result.summary, bool(result.exit_code))


def result_row(job: BatchFile, summary: dict, findings: bool) -> tuple[dict, dict]:
    row = dict.fromkeys(COLUMNS) | {"file": job.rota, "status": "findings" if findings else "ok", "error": ""}
    row.update(flatten(summary))
    return row, summary


SEPARATOR = "\x1f"  # between a file's number and an id: workers and clients of different files stay apart


def audit_together(jobs: list[BatchFile]) -> list[tuple[dict, dict | None]]:
    """Audit several small rotas that share their settings and clients/workers files as one: their
    visits are stacked, ids prefixed by file, and each file's summary is taken from its own share of
    the result. A pandas step costs the same on 5,000 visits as on 500,000, so two hundred small files
    cost about what one large one does. The figures are those of auditing each file alone (tested);
    if any file cannot be read, every file of the group is audited alone so its error names it. Any
    other failure is a bug: the files are still audited alone (a night's batch goes on), and it is
    logged, not hidden behind a slower, correct result."""
    try:
        return stacked_audit(jobs)
    except InputError:
        pass
    except Exception as error:  # noqa: BLE001
        LOG.warning("carerota batch: auditing %d files together failed (internal error: %s: %s); each was "
                    "audited on its own. Please report it.", len(jobs), type(error).__name__, error)
    return [audit_file(j) for j in jobs]


def stacked_audit(jobs: list[BatchFile]) -> list[tuple[dict, dict]]:
    job = jobs[0]
    tables = [read_table(j.rota, "rota", j.reading, what="visit") for j in jobs]
    if len({tuple(t.frame.columns) for t in tables}) > 1:
        raise InputError(Problem(job.rota, "files lay out their columns differently"))
    lengths = np.array([len(t.frame) for t in tables])
    rota = rota_from_table(Table("batch", pd.concat([t.frame for t in tables], ignore_index=True),
                                 np.concatenate([t.rows for t in tables])), job.reading)
    clients = shared_table("clients", job.clients, job.reading) if job.clients else None
    workers = shared_table("workers", job.workers, job.reading) if job.workers else None
    file_of_visit = np.repeat(np.arange(len(jobs)), lengths)
    rota.visits = prefixed(locate(rota.visits, clients), file_of_visit, ("worker_id", "client_id"))
    result = audit(rota, clients=prefixed_clients(clients, rota.visits), settings=job.settings,
                   workers=prefixed_workers(workers, rota.visits), messages=False)  # findings are only counted
    attribution = attributions(rota, [t for t in (clients, workers) if t is not None])
    totalled = [c for c in TOTALLED if c in result.timeline]  # only what the summaries read
    totals = visit_totals_by(result.timeline[totalled], job.settings, file_numbers(result.timeline["worker_id"]),
                             len(jobs))
    parts = {name: split_by_file(frame, len(jobs)) for name, frame in (
        ("workers", result.workers), ("clients", result.clients),
        ("findings", result.findings[["rule", "worker_id", "client_id"]]))}
    out = []
    for k, (j, table) in enumerate(zip(jobs, tables)):
        clients_k = parts["clients"][k].assign(client_id=unprefixed(parts["clients"][k]["client_id"]))
        summary = summarise(totals[k], parts["workers"][k], clients_k, parts["findings"][k], job.settings,
                            rows_skipped=len(table.skipped_rows), monitored=rota.monitored)
        summary["visits_outside_payslips"] = 0
        if attribution:
            summary["attribution"] = attribution
        out.append(result_row(j, summary, len(parts["findings"][k]) > 0))
    return out


def prefixed(frame: pd.DataFrame, file_of_row: np.ndarray, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    prefix = np.array([f"{k}{SEPARATOR}" for k in range(file_of_row.max(initial=0) + 1)], dtype=object)[file_of_row]
    for col in columns:
        out[col] = join(prefix, out[col]).set_axis(out.index)
    return out


def id_parts(ids: pd.Series) -> tuple[pa.Array, pa.Array]:
    """(file number as text, the id as the file gives it) of prefixed ids, by arrow's split: pandas'
    ``str.split`` is a Python call per id."""
    parts = pc.split_pattern(pa.array(ids, type=pa.string(), from_pandas=True), SEPARATOR, max_splits=1)
    return pc.list_element(parts, 0), pc.list_element(parts, 1)


def unprefixed(ids: pd.Series) -> pd.Series:
    return pd.Series(id_parts(ids)[1], index=ids.index, dtype="str")


def file_numbers(ids: pd.Series) -> np.ndarray:
    """The file number in each prefixed id (worked out once per distinct id)."""
    codes, values = pd.factorize(ids.astype("str"))
    return pc.cast(id_parts(pd.Series(values))[0], pa.int64()).to_numpy()[codes]


def prefixed_clients(clients: pd.DataFrame | None, visits: pd.DataFrame) -> pd.DataFrame | None:
    """The clients file's rows for each file's own clients, ids (and named-team members) prefixed."""
    if clients is None:
        return None
    ids = pd.Series(visits["client_id"].unique(), dtype="str")
    number, given = id_parts(ids)
    found = listed(given, clients.index)
    out = clients.reindex(pd.Series(given, dtype="str")[found]).set_axis(pd.Index(ids[found], name=clients.index.name))
    if "named_team" in out:  # "W1; W2" → "3␟W1;3␟W2", by arrow's list kernels
        teams = pc.split_pattern(pa.array(out["named_team"].fillna("").astype(str), type=pa.string()), ";")
        members = pc.utf8_trim_whitespace(pc.list_flatten(teams))
        prefix = pc.binary_join_element_wise(number.filter(pa.array(found)), SEPARATOR, "")
        owner = prefix.take(pc.list_parent_indices(teams))
        members = pc.if_else(pc.equal(members, ""), "", pc.binary_join_element_wise(owner, members, ""))
        rebuilt = pa.ListArray.from_arrays(teams.offsets, members)
        out["named_team"] = pd.Series(pc.binary_join(rebuilt, ";"), index=out.index, dtype="string")
    return out


def prefixed_workers(workers: pd.DataFrame | None, visits: pd.DataFrame) -> pd.DataFrame | None:
    """The workers file's rows for each file's own workers, ids prefixed."""
    if workers is None:
        return None
    ids = pd.Series(visits["worker_id"].unique(), dtype="str")
    given = id_parts(ids)[1]
    found = listed(given, workers.index)
    return workers.reindex(pd.Series(given, dtype="str")[found]).set_axis(pd.Index(ids[found], name=workers.index.name))


def listed(ids: pa.Array, index: pd.Index) -> np.ndarray:
    """Which ids the file's index holds, by arrow's hash lookup (pandas' ``isin`` of arrow text
    against an index of arrow text took 90 ms for a group's 60,000 clients)."""
    return pc.is_in(ids, value_set=pa.array(index, type=pa.string(), from_pandas=True)).to_numpy(zero_copy_only=False)


def split_by_file(frame: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Each file's rows of a result table (its ids carry the file number), ids left prefixed."""
    if frame.empty:
        return [frame] * n
    ids = frame["worker_id"] if "worker_id" in frame else frame["client_id"]
    if "client_id" in frame and "worker_id" in frame:  # findings: a continuity finding has no worker
        ids = frame["worker_id"].where(frame["worker_id"].notna(), frame["client_id"])
    number = file_numbers(ids)
    order = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[order], np.arange(n + 1))
    ordered = frame.take(order)
    return [ordered.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def flatten(summary: dict) -> dict:
    """The summary's scalar figures under SUMMARY_COLUMNS names ("thresholds.team_size", ...)."""
    flat = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif not isinstance(value, list):
            flat[key] = value
    return {name: flat.get(name) for name in SUMMARY_COLUMNS}


def audit_files(files: list[BatchFile], jobs: int = 0,
                progress: Callable[[str], None] | None = None) -> BatchResult:
    """Audit every file, in parallel processes when there are several files and cores. Files that
    share settings and clients/workers files (and have no payslips or travel matrix of their own) are
    audited in groups (``audit_together``), a few groups per process so the cores stay busy."""
    workers = min(jobs or os.cpu_count() or 1, len(files))
    tasks = batches(files, workers)
    results: dict[int, tuple[dict, dict | None]] = {}

    def done(task: list[int], rows: list) -> None:
        for i, row in zip(task, rows):
            results[i] = row
            if progress:
                progress(files[i].rota)

    if workers <= 1:
        for task in tasks:
            done(task, audit_group([files[i] for i in task]))
    else:
        for k, rows in in_processes(audit_group, [[files[i] for i in task] for task in tasks], workers):
            done(tasks[k], rows)
    ordered = [results[i] for i in range(len(files))]
    rows = pd.DataFrame([row for row, _ in ordered], columns=COLUMNS, dtype=object)
    return BatchResult(rows, [summary for _, summary in ordered])


def audit_group(jobs: list[BatchFile]) -> list[tuple[dict, dict | None]]:
    return audit_together(jobs) if len(jobs) > 1 else [audit_file(jobs[0])]


GROUP_VISITS = 400_000  # about this many visits audited together: each group costs a few steps that do not
# depend on its size (a group of 200,000: 3.7 s for the 200 files, 400,000: 3.5 s, 440 MiB a process)


def batches(files: list[BatchFile], workers: int) -> list[list[int]]:
    """Indices of files to audit together: files alike (``audit_together``) in groups of about
    GROUP_VISITS visits (judged by file size), at least two groups per process; others alone."""
    alike: dict[str, list[int]] = {}
    alone = []
    for i, f in enumerate(files):
        if f.payslips or f.travel_matrix:
            alone.append([i])
        else:
            alike.setdefault(repr((f.settings, f.clients, f.workers, f.reading)), []).append(i)
    tasks = []
    for members in alike.values():
        size = sum(file_size(files[i].rota) for i in members)
        count = max(2 * workers, -(-size // (GROUP_VISITS * 80)))  # a visit is ~80 bytes of CSV
        tasks += [list(part) for part in np.array_split(members, min(count, len(members))) if len(part)]
    return tasks + alone


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
