"""Reports leave client homes out unless asked, and an interrupted run leaves output files whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from carerota.cli import write_output
from conftest import run

EXAMPLES = Path(__file__).parent.parent / "examples"
INPUTS = [str(EXAMPLES / "rota.csv"), "--clients", str(EXAMPLES / "clients.csv"),
          "--workers", str(EXAMPLES / "workers.csv"), "--as-of", "2026-11-23"]


def coordinates() -> set[str]:
    """Every home as the inputs write it, and as a report would round it."""
    rota, clients = pd.read_csv(EXAMPLES / "rota.csv"), pd.read_csv(EXAMPLES / "clients.csv")
    values = pd.concat([rota["lat"], rota["lon"], clients["lat"], clients["lon"]]).dropna()
    return {f"{x:.6f}".rstrip("0") for x in values} | {f"{x:.4f}".rstrip("0") for x in values}


def test_no_report_holds_a_home_unless_asked(tmp_path):
    page = tmp_path / "page.html"
    outputs = []
    for fmt in ("json", "csv", "table"):
        result = run("audit", *INPUTS, "--format", fmt, *(["--html", page] if fmt == "json" else []))
        assert result.exit_code == 1, result.output
        outputs.append(result.stdout)
    outputs.append(page.read_text(encoding="utf-8"))
    found = [(c, i) for c in coordinates() for i, text in enumerate(outputs) if c in text]
    assert not found


def test_include_locations_adds_each_clients_home():
    result = run("audit", *INPUTS, "--format", "json", "--include-locations")
    assert any(c in result.stdout for c in coordinates())  # what the test above looks for is found when present
    clients = {c["client_id"]: (c["lat"], c["lon"]) for c in json.loads(result.stdout)["clients"]}
    homes = pd.read_csv(EXAMPLES / "clients.csv").set_index("client_id")
    rota = pd.read_csv(EXAMPLES / "rota.csv").groupby("client_id")[["lat", "lon"]].first()
    for client, (lat, lon) in clients.items():
        # the rota's own lat/lon come first; the clients file fills rows without them
        home = rota.loc[client] if client in rota.index and rota.loc[client].notna().all() else homes.loc[client]
        assert lat == pytest.approx(home["lat"], abs=5e-7) and lon == pytest.approx(home["lon"], abs=5e-7)


def test_an_interrupted_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "audit.json"
    target.write_text("the old report\n")

    def half_then_ctrl_c(out):
        out.write(b'{"summary": ')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_output(half_then_ctrl_c, target)
    assert target.read_text() == "the old report\n"
    assert os.listdir(tmp_path) == ["audit.json"]  # no temporary file left behind


def test_private_files_are_for_their_owner_only(tmp_path):
    target = tmp_path / "lookup.csv"
    write_output("kind,id,pseudonym\n", target, private=True)
    assert target.stat().st_mode & 0o077 == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130_without_a_traceback(tmp_path):
    """The audit waits on stdin that never ends; Ctrl-C stops it, and --output keeps its old file."""
    target = tmp_path / "audit.json"
    target.write_text("the old report\n")
    proc = subprocess.Popen([sys.executable, "-m", "carerota", "audit", "-", "--format", "json", "--output",
                             str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(b"worker_id,client_id,start,end\n")
    proc.stdin.flush()
    time.sleep(3)  # past the imports (they are covered too, but this is the common case)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    assert target.read_text() == "the old report\n"


def test_work_in_processes_comes_back_by_index_and_errors_stop_it():
    from carerota.processes import in_processes

    assert sorted(in_processes(abs, [-1, 2, -3], 2)) == [(0, 1), (1, 2), (2, 3)]
    with pytest.raises(ValueError):
        list(in_processes(int, ["1", "x", "3", "4"], 2))


PROBE = """
import os, sys


def loaded(name):
    return os.getppid(), name in sys.modules
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are spawned elsewhere")
def test_worker_processes_are_forked_with_the_modules_already_imported(tmp_path):
    """`start_early` starts the server the batch's processes are forked from, importing the audit's
    modules once: each process then starts with them (a spawned one would import them itself)."""
    (tmp_path / "probe.py").write_text(PROBE)
    code = ("import json, os; from carerota.processes import start_early, in_processes; "
            "start_early(['carerota.batch']); import probe; print(json.dumps([os.getpid(), [r for _, r in "
            "sorted(in_processes(probe.loaded, ['carerota.batch', 'ortools', 'pandas'], 2))]]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    pid, found = json.loads(proc.stdout)  # found: [parent pid, loaded] by name
    assert [loaded for _, loaded in found] == [True, False, True]  # carerota.batch, ortools, pandas
    assert all(parent != pid for parent, _ in found)  # forked by the server, not by the command
