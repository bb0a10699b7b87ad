"""Many rotas audited at once: a commissioner's check across providers, one summary row per file.

One file that cannot be read never stops the others: it gets status ``error`` and its message. Files
are audited in parallel processes; the order of the result is the order the files were given.
"""

from __future__ import annotations

import csv
import glob
import io
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from carerota.audit import AuditSettings, audit
from carerota.config import SETTINGS, SettingError, audit_settings, coerce, resolve, with_travel_matrix
from carerota.errors import InputError, Problem, Problems
from carerota.findings import RULES
from carerota.load import load_clients, load_payslips, load_rota, load_workers
from carerota.read import Reading, read_text

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


ROTA_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls", ".ods")


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


def audit_file(job: BatchFile) -> tuple[dict, dict | None]:
    """(row, summary) for one file; an unreadable file is an ``error`` row, never an exception."""
    row = dict.fromkeys(COLUMNS) | {"file": job.rota, "status": "error", "error": ""}
    try:
        settings = with_travel_matrix(job.settings, job.travel_matrix, job.reading)
        result = audit(
            load_rota(job.rota, job.reading),
            clients=load_clients(job.clients, job.reading) if job.clients else None,
            workers=load_workers(job.workers, job.reading) if job.workers else None,
            payslips=load_payslips(job.payslips, job.reading) if job.payslips else None,
            settings=settings,
        )
    except InputError as error:
        row["error"] = error.message()
        return row, None
    except Exception as error:  # one broken file must not stop a night's batch: say what happened
        row["error"] = f"internal error: {type(error).__name__}: {error} (please report it)"
        return row, None
    row["status"] = "findings" if result.exit_code else "ok"
    row.update(flatten(result.summary))
    return row, result.summary


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
    """Audit every file, in parallel processes when there are several files and cores."""
    workers = min(jobs or os.cpu_count() or 1, len(files))
    results: dict[int, tuple[dict, dict | None]] = {}
    if workers <= 1:
        for i, job in enumerate(files):
            results[i] = audit_file(job)
            if progress:
                progress(job.rota)
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(audit_file, job): i for i, job in enumerate(files)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress:
                    progress(files[futures[future]].rota)
    ordered = [results[i] for i in range(len(files))]
    rows = pd.DataFrame([row for row, _ in ordered], columns=COLUMNS, dtype=object)
    return BatchResult(rows, [summary for _, summary in ordered])
