"""Shared helpers: tiny rotas written to tmp_path, and the CLI run in-process or as a process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carerota.cli import app

DATA = Path(__file__).parent / "data"
HEADER = "worker_id,client_id,start,end,lat,lon,hourly_rate"


@pytest.fixture
def write(tmp_path):
    """write('name.csv', 'header', 'row', ...) → path of a CSV in tmp_path."""

    def _write(name: str, *lines: str) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return _write


def run(*args: str, input: str | bytes | None = None):
    """Run the CLI in-process; COLUMNS pinned so Rich tables are stable."""
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env={"COLUMNS": "120"},
                              prog_name="carerota")


def run_json(*args: str, input: str | bytes | None = None) -> tuple[dict, int]:
    """JSON output of a run; arrears are determined on 2026-11-23 unless the test says otherwise."""
    as_of = () if "--as-of" in args else ("--as-of", "2026-11-23")
    result = run(*args, "--format", "json", *as_of, input=input)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


@pytest.fixture(scope="session")
def dask_scheduler():
    """The address of a distributed.LocalCluster of 2 worker processes, shared by the session's tests."""
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.CRITICAL) as cluster:
        yield cluster.scheduler_address
