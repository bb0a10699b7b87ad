"""The audit on a Dask cluster, for datasets larger than one machine holds (``--engine dask``).

The method is not implemented twice. Each part of the dataset (a file, or row groups of a Parquet
file) is loaded and checked by ``carerota.load`` on a Dask worker; the visits are shuffled by worker
and ``audit.worker_stage`` (working time, pay periods, visit checks) runs on each partition of whole
workers; a projection of the result is shuffled by client and ``audit.client_stage`` (continuity)
runs on each partition of whole clients. The small results (worker-periods, flagged visits, clients,
totals) come back to this process, where ``audit.assemble`` makes the same AuditResult as the pandas
engine. Three things that are global in one process are made global here first: each client's home
(its first location in visit order), the clients with two homes, and the first day of fortnightly
pay periods.
"""

from __future__ import annotations

import logging
from collections import Counter
import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Callable

import numpy as np
import pandas as pd

from carerota.audit import (
    CLIENT_COLUMNS, AuditResult, AuditSettings, WorkerStage, assemble, client_stage, clients_with_two_homes, locate, merge_totals,
    travelled, worker_stage,
)
from carerota.checks.visits import FLAG_COLUMNS, FLAG_ORDER
from carerota.dataset import Part, combine, dataset_files, dataset_parts, load_part, with_source_files
from carerota.errors import InputError, Problem
from carerota.load import Rota, lookup
from carerota.read import Reading
from carerota.worktime import visit_times

# The columns and dtypes of loaded visits (load.rota_from_table), whichever optional columns a file
# had: a shuffle stacks partitions of many files, which must agree.
VISIT_DTYPES = {
    "row": "int64", "worker_id": "string", "client_id": "string", "visit_id": "string",
    "start": "datetime64[us, UTC]", "end": "datetime64[us, UTC]", "actual_start": "datetime64[us, UTC]",
    "actual_end": "datetime64[us, UTC]", "lat": "float64", "lon": "float64", "visit_pay": "float64",
    "hourly_rate": "float64", "travel_pay": "float64", "mileage_pay": "float64", "visit_type": "string",
    "agreed_short": "bool", "window_start": "datetime64[us, UTC]", "window_end": "datetime64[us, UTC]",
    "required_skill": "string",
}
PART = "part"  # each visit's part of the dataset (its index), shuffled with it: errors name the file
# what client_stage reads of the timeline
CONTINUITY_DTYPES = {"client_id": "string", "worker_id": "string", "duration_s": "float64", "day": "datetime64[us]"}
KEPT = ["client_id", "lat", "lon", "start", "end"]  # what the reports read of the timeline


def require_dask():
    try:
        import dask  # noqa: F401
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as err:
        raise InputError(Problem("--engine dask", f"expected Dask to be installed ({err.name} is missing)"),
                         "Install it with: pip install 'carerota[dask]'") from None


@contextmanager
def connect(scheduler: str | None, quiet: bool = True):
    """A client of the scheduler at ``scheduler``, or of a local cluster of one worker process per
    core (closed afterwards)."""
    require_dask()
    from distributed import Client, LocalCluster

    if quiet:
        for name in ("distributed", "bokeh", "tornado"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(Problem("--scheduler", f"expected a running Dask scheduler at {scheduler}; "
                                     f"could not connect ({err})"),
                             "Start one with: dask scheduler (and dask worker ADDRESS on each machine).") from None
        with client:
            yield client
        return
    # dashboard_address ":0": its HTTP server on any free port, so two audits at once do not clash on 8787
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.CRITICAL if quiet else logging.WARNING) as cluster, Client(cluster) as client:
        yield client


@dataclass
class Loaded:
    """What a loaded part tells the client besides its visits."""

    rota: Rota  # with no visits
    workers: np.ndarray  # distinct worker ids
    homes: pd.DataFrame  # each distinct (client, lat, lon) at its first visit: client_id lat lon worker_id vstart vend row
    first_day: pd.Timestamp | None


def canonical(visits: pd.DataFrame) -> pd.DataFrame:
    """Visits with VISIT_DTYPES; a column the loader adds and this table lacks is a bug, said loudly."""
    extra = set(visits.columns) - set(VISIT_DTYPES)
    if extra:
        raise RuntimeError(f"carerota.dask_engine.VISIT_DTYPES lacks {sorted(extra)}")
    return visits[list(VISIT_DTYPES)].astype(VISIT_DTYPES)


def load_located(part: Part, index: int, reading: Reading, clients: pd.DataFrame | None, use_actual: bool):
    """A part's visits (with the part's ``index``), located from the clients file, and what the client
    needs to know of it."""
    rota = load_part(part, reading)
    visits = canonical(locate(rota.visits, clients))
    visits[PART] = np.full(len(visits), index, "int32")
    timed = visit_times(visits, use_actual=use_actual)
    homes = timed.drop_duplicates(["client_id", "lat", "lon"])[["client_id", "lat", "lon", "worker_id", "vstart",
                                                                  "vend", "row"]]
    info = Loaded(replace(rota, visits=visits.iloc[0:0]), visits["worker_id"].unique().to_numpy(dtype=object),
                  homes.reset_index(drop=True), timed["day"].min() if len(timed) else None)
    return visits, info


@dataclass
class Piece:
    """The per-worker stage's result for one partition, without the visits themselves."""

    stage: WorkerStage  # timeline dropped
    clients: np.ndarray  # distinct client ids
    kept: pd.DataFrame | None  # the timeline's KEPT columns, when the reports need them


def with_homes(visits: pd.DataFrame, homes: pd.DataFrame) -> pd.DataFrame:
    """Every visit at its client's home: the first location of the client in the whole dataset, as the
    single-process audit takes it (a partition alone would take its own first)."""
    v = visits.copy(deep=False)
    for col in ("lat", "lon"):
        v[col] = lookup(v["client_id"], homes[col]).astype("float64")
    return v


def run_worker_stage(visits: pd.DataFrame, facts: Facts, workers: pd.DataFrame | None,
                     payslips: pd.DataFrame | None, first: bool, keep: bool) -> tuple[Piece | None, pd.DataFrame]:
    """``audit.worker_stage`` on a partition of whole workers; returns the piece and the columns the
    continuity stage needs. The ``first`` partition also takes the payslips of workers with no visits."""
    if payslips is not None:
        payslips = payslips[payslips["worker_id"].isin(visits["worker_id"].unique())]
        if first and facts.extra_payslips is not None:
            payslips = pd.concat([payslips, facts.extra_payslips])
    if visits.empty and (payslips is None or payslips.empty):
        return None, empty(CONTINUITY_DTYPES)
    located = with_source_files(with_homes(visits, facts.homes).drop(columns=PART), facts.files,
                                visits[PART].to_numpy())  # as dataset.combine names them
    timed = visit_times(located, use_actual=facts.settings.use_actual)
    stage = worker_stage(timed, workers=workers, payslips=payslips, s=facts.settings, name=facts.rota.name,
                         monitored=facts.rota.monitored)
    timeline = stage.timeline
    piece = Piece(replace(stage, timeline=timeline.iloc[0:0], outside=stage.outside[["worker_id"]]),
                  timeline["client_id"].unique().to_numpy(dtype=object), timeline[KEPT] if keep else None)
    return piece, timeline[list(CONTINUITY_DTYPES)].astype(CONTINUITY_DTYPES)


def empty(dtypes: dict) -> pd.DataFrame:
    """A frame of no rows with these columns and dtypes: the meta Dask checks partitions against."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


def run_client_stage(visits: pd.DataFrame, clients: pd.DataFrame | None, facts: Facts) -> pd.DataFrame | None:
    return client_stage(visits, clients, facts.settings) if len(visits) else None


def fortnight_anchor(s: AuditSettings, first_day, payslips: pd.DataFrame | None) -> AuditSettings:
    """Fortnights run from the Monday of the first visit's week in the whole dataset (``period_bounds``
    takes the first day of the visits it is given: a partition's would be wrong)."""
    if s.periods.kind != "fortnight" or s.periods.anchor or payslips is not None or first_day is None:
        return s
    day = pd.Timestamp(first_day).date()
    return replace(s, periods=replace(s.periods, anchor=day - timedelta(days=day.weekday())))


@dataclass
class Facts:
    """What a partition cannot know alone, worked out from every part's summary before the stages."""

    rota: Rota  # the dataset's name, notes, skipped rows; no visits
    files: list[str]  # each part's file name, by index
    settings: AuditSettings  # with the fortnight anchor
    homes: pd.DataFrame  # lat, lon by client_id
    moved: list[str]  # clients with more than one location
    extra_payslips: pd.DataFrame | None  # payslips of workers with no visits


def global_facts(infos: list[Loaded], spec: str, s: AuditSettings, payslips: pd.DataFrame | None) -> Facts:
    homes = pd.concat([i.homes for i in infos], ignore_index=True)
    homes = homes.sort_values(["worker_id", "vstart", "vend", "row"], kind="stable")  # visit order
    extra = None
    if payslips is not None:
        known = pd.unique(np.concatenate([i.workers for i in infos]))
        extra = payslips[~payslips["worker_id"].isin(known)]
    return Facts(
        rota=combine([i.rota for i in infos], spec),
        files=[i.rota.name for i in infos],
        settings=fortnight_anchor(s, min((i.first_day for i in infos if i.first_day is not None), default=None),
                                  payslips),
        homes=homes.groupby("client_id")[["lat", "lon"]].first(),
        moved=clients_with_two_homes(homes) if travelled(s) else [],
        extra_payslips=extra if extra is not None and len(extra) else None,
    )


def ordered_flags(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Flagged visits in the single-process order: by rule as ``flag_visits`` lists them, then by
    worker; each partition already has its workers' visits in order."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    flags = pd.concat(frames, ignore_index=True)
    rule = flags["rule"].map({r: i for i, r in enumerate(FLAG_ORDER)}).to_numpy("int64")
    worker, _ = pd.factorize(flags["worker_id"], sort=True)
    return flags.take(np.lexsort((worker, rule))).reset_index(drop=True)


def audit_dataset(
    spec: str,
    *,
    reading: Reading = Reading(),
    clients: pd.DataFrame | None = None,
    workers: pd.DataFrame | None = None,
    payslips: pd.DataFrame | None = None,
    settings: AuditSettings | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    keep_timeline: bool = False,
    quiet: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """Audit DATASET (a file, folder or glob of rota files) on a Dask cluster: the same AuditResult as
    ``audit(load_dataset(spec))``. The result's timeline holds only what the reports read (client,
    home, planned times), and only with ``keep_timeline``; otherwise one row per client with its home.
    ``progress(done, total)`` is called as the stages' results come back."""
    s = settings or AuditSettings()
    files = dataset_files(spec)
    if "-" in files:
        raise InputError(Problem("<stdin>", "expected files: the Dask engine reads a dataset from disk"),
                         "Save the rota to a file first, or use --engine pandas.")
    parts = dataset_parts(files)
    with connect(scheduler, quiet) as client:
        import dask.dataframe as dd
        from dask import delayed
        from distributed import as_completed

        shared = {k: client.scatter(v, broadcast=True) if v is not None else None
                  for k, v in (("clients", clients), ("workers", workers), ("payslips", payslips))}
        # One graph, so each part's visits stream from loading into the shuffle and are then let go. The
        # settings (with any travel matrix) reach the stages once per worker, inside the facts.
        loaded = [delayed(load_located, nout=2)(p, k, reading, shared["clients"], s.use_actual)
                  for k, p in enumerate(parts)]
        facts = delayed(global_facts)([info for _, info in loaded], spec, s, shared["payslips"])
        n = partitions or max(len(parts), len(client.nthreads()), 1)
        meta = empty({**VISIT_DTYPES, PART: "int32"})
        by_worker = dd.from_delayed([v for v, _ in loaded], meta=meta, verify_meta=False).shuffle(
            "worker_id", npartitions=n)
        staged = [delayed(run_worker_stage, nout=2)(p, facts, shared["workers"], shared["payslips"], k == 0,
                                                    keep_timeline)
                  for k, p in enumerate(by_worker.to_delayed())]
        projected = dd.from_delayed([st[1] for st in staged], meta=empty(CONTINUITY_DTYPES), verify_meta=False)
        tables = [delayed(run_client_stage)(p, shared["clients"], facts)
                  for p in projected.shuffle("client_id", npartitions=n).to_delayed()]
        wanted = [facts, *[st[0] for st in staged], *tables]
        futures = client.compute(wanted)
        position = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        step = progress or (lambda done, total: None)
        step(0, len(futures))
        for done, (future, value) in enumerate(as_completed(futures, with_results=True), 1):
            results[position[future.key]] = value  # gathered as they finish: the workers let go of them
            future.release()
            step(done, len(futures))
        del futures

    known: Facts = results[0]
    pieces = [p for p in results[1:1 + len(staged)] if p is not None]
    tables = [t for t in results[1 + len(staged):] if t is not None]
    return assemble(known.rota, [t for t in (clients, workers, payslips) if t is not None], known.moved,
                    merged_stage(pieces, known.homes, keep_timeline, s), clients_table(tables), workers, s)


def merged_stage(pieces: list[Piece], homes: pd.DataFrame, keep_timeline: bool, s: AuditSettings) -> WorkerStage:
    """The partitions' stage results as one, as ``worker_stage`` gives them for all workers at once."""
    stages = [p.stage for p in pieces]
    clients = pd.unique(np.concatenate([p.clients for p in pieces])) if pieces else np.array([], object)
    periods = [st.periods for st in stages if st.periods is not None]
    if keep_timeline:
        timeline = pd.concat([p.kept for p in pieces], ignore_index=True)
    else:
        timeline = homes.rename_axis("client_id").reset_index()
    return WorkerStage(
        timeline=timeline,
        totals=merge_totals([st.totals for st in stages], len(clients)),
        planned_times=sum(st.planned_times for st in stages),
        legs=dict(sum((Counter(st.legs) for st in stages), Counter())),
        periods=pd.concat(periods, ignore_index=True) if periods else None,
        outside=pd.concat([st.outside for st in stages], ignore_index=True),
        flags=ordered_flags([st.flags for st in stages]) if "visits" in s.checks else pd.DataFrame(),
    )


def clients_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Continuity rows of every client partition, by client id as one process orders them."""
    if not tables:
        return pd.DataFrame(columns=CLIENT_COLUMNS)
    table = pd.concat(tables, ignore_index=True)
    return table.sort_values("client_id", kind="stable").reset_index(drop=True)
