"""The command line: formats, output files, stdin, options, help and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from conftest import run, run_json

ROWS = ("worker_id,client_id,start,end,lat,lon,hourly_rate",
        "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,12.71",
        "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,12.71")
PAID_WELL = ("worker_id,client_id,start,end,lat,lon,hourly_rate",
             "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,20",
             "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,20")


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("carerota ")


def test_the_command_line_starts_without_pandas():
    # --help and --version need none of the audit's libraries, and audit reads its rota while they
    # import (read.read_ahead): so neither the command line nor the reading of a file may load pandas,
    # nor pyarrow.compute (which pandas imports meanwhile, as pyarrow parses the rota)
    code = ("import sys, carerota.cli, carerota.read, carerota.config; "
            "print(sorted(m for m in ('pandas', 'rich', 'ortools', 'dask', 'pyarrow.compute') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_help_lists_examples_and_exit_codes():
    result = run("audit", "--help")
    assert result.exit_code == 0
    assert "carerota audit rota.csv" in result.stdout and "Exit codes" in result.stdout


def test_json_contract(write):
    data, code = run_json("audit", write("r.csv", *ROWS))
    assert code == 1
    assert set(data) >= {"summary", "workers", "findings"}
    assert set(data["summary"]) >= {
        "visits", "workers", "worker_periods", "worker_periods_below_floor", "total_shortfall",
        "total_arrears", "travel_share", "travel_minutes_per_contact_hour"}
    row = data["workers"][0]
    assert list(row)[:14] == ["worker_id", "period_start", "period_end", "visits", "contact_hours",
                              "travel_hours", "waiting_hours", "working_hours", "pay", "effective_rate",
                              "floor_rate", "shortfall", "arrears", "compliant"]
    finding = data["findings"][0]
    assert {"rule", "severity", "worker_id", "client_id", "visit_id", "message"} <= set(finding)
    assert finding["rule"] == "below-wage-floor" and finding["worker_id"] == "W1"


def test_compliant_rota_exits_zero(write):
    data, code = run_json("audit", write("r.csv", *PAID_WELL))
    assert code == 0 and data["findings"] == [] and data["workers"][0]["compliant"] is True


def test_csv_output_has_one_row_per_worker_period(write):
    result = run("audit", write("r.csv", *ROWS), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1 and rows[0]["worker_id"] == "W1" and rows[0]["compliant"] == "False"


def test_output_file(write, tmp_path):
    out = tmp_path / "audit.json"
    result = run("audit", write("r.csv", *ROWS), "--format", "json", "--output", out)
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["summary"]["visits"] == 2


def test_table_output_file_has_no_colour_codes(write, tmp_path):
    out = tmp_path / "audit.txt"
    run("audit", write("r.csv", *ROWS), "--output", out)
    text = out.read_text()
    assert "Worker-periods, worst first" in text and "\x1b[" not in text


def test_stdin_matches_the_file(write):
    path = write("r.csv", *ROWS)
    from_file, _ = run_json("audit", path)
    from_stdin, _ = run_json("audit", "-", input=path.read_text())
    assert from_stdin["workers"] == from_file["workers"]


def test_table_report_shows_the_verdict(write):
    result = run("audit", write("r.csv", *ROWS))
    assert result.exit_code == 1
    assert "1 of 1 worker-periods below the wage floor" in result.stdout
    assert "W1" in result.stdout


def test_notes_go_to_stderr_and_quiet_silences_them(write):
    path = write("r.csv", *ROWS)
    assert "Age unknown" in run("audit", path, "--format", "json").stderr
    assert run("audit", path, "--format", "json", "--quiet").stderr == ""


@pytest.mark.parametrize("args,fragment", [
    (["--wage", "lots"], "--wage"),
    (["--period", "day"], "--period"),
    (["--period-start", "soon"], "--period-start"),
    (["--paid-gap", "200"], "paid-gap"),
    (["--mode", "rocket"], "--mode"),
    (["--speed-kmh", "walk=0"], "--speed-kmh"),
    (["--circuity", "boat=1.2"], "--circuity"),
    (["--format", "xml"], "--format"),
])
def test_bad_options_are_usage_errors(write, args, fragment):
    result = run("audit", write("r.csv", *ROWS), *args)
    assert result.exit_code == 2 and fragment in result.output


def test_speed_option_changes_travel(write):
    path = write("r.csv", *ROWS)
    slow, _ = run_json("audit", path, "--speed-kmh", "15")
    fast, _ = run_json("audit", path, "--speed-kmh", "drive=30")
    assert slow["summary"]["travel_hours"] == pytest.approx(2 * fast["summary"]["travel_hours"], abs=1e-4)


def test_missing_location_is_an_input_error(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5", "W1,C2,2026-11-02 08:40,2026-11-02 09:10,5")
    result = run("audit", path)
    assert result.exit_code == 2 and "no location for client 'C1'" in result.stderr


def test_clients_file_supplies_locations(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5", "W1,C2,2026-11-02 08:40,2026-11-02 09:10,5")
    clients = write("c.csv", "client_id,lat,lon", "C1,53.80,-1.55", "C2,53.81,-1.56")
    data, _ = run_json("audit", path, "--clients", clients)
    assert data["summary"]["travel_hours"] > 0


def test_no_color_is_respected(write):
    path = write("r.csv", *ROWS)
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "", "TERM": "xterm-256color"}
    env.pop("FORCE_COLOR")
    proc = subprocess.run([sys.executable, "-m", "carerota", "audit", str(path)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "\x1b[3" not in proc.stdout


def test_closed_pipe_ends_quietly(write):
    rows = [ROWS[0]] + [f"W{i},C1,2026-11-02 08:00,2026-11-02 08:30,53.8,-1.55,12.71" for i in range(3000)]
    path = write("r.csv", *rows)
    proc = subprocess.run(f'"{sys.executable}" -m carerota audit "{path}" --format csv | head -1; '
                          'echo "exit ${PIPESTATUS[0]}"', shell=True, executable="/bin/bash",
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("worker_id,") and "Traceback" not in proc.stderr
    assert proc.stdout.splitlines()[-1] == "exit 1"  # Typer's quiet end on a closed pipe


def test_sigpipe_is_left_ignored():
    """Python ignores SIGPIPE, so a write to a pipe whose reader has gone is an error the writer
    handles; its default action would kill the command (a batch's pool, writing to a worker process
    Ctrl-C had stopped, did)."""
    code = ("import signal, carerota.cli as c; "
            "c.app = lambda: print(signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN); c.main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "True"


def test_the_command_exits_at_once_with_its_output_flushed(write):
    """`leave` skips the interpreter's teardown: the exit code must still be the command's, and the
    output written to a pipe (block-buffered) and to the terminal stream must arrive whole."""
    rows = [ROWS[0]] + [f"W{i},C1,2026-11-02 08:00,2026-11-02 08:30,53.8,-1.55,12.71" for i in range(3000)]
    path = write("r.csv", *rows)
    proc = subprocess.run([sys.executable, "-m", "carerota", "audit", str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1  # findings
    assert len(json.loads(proc.stdout)["workers"]) == 3000
    bad = write("bad.csv", "worker_id,client_id,start,end", "W1,C1,2026-11-02 08:00,not a time")
    proc = subprocess.run([sys.executable, "-m", "carerota", "audit", str(bad)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "not a time" in proc.stderr and "Traceback" not in proc.stderr


def test_an_early_error_does_not_wait_for_the_rota_being_read(write, tmp_path):
    """A missing --clients file is found while the rota is still being read ahead on a thread: the
    command says so and exits, without waiting for the read (here, one that never ends)."""
    path = write("r.csv", *ROWS)
    code = ("import sys, threading, concurrent.futures as cf, carerota.read as r; "
            "r.read_ahead = lambda *a, **k: cf.ThreadPoolExecutor(1).submit(threading.Event().wait); "
            f"sys.argv = ['carerota', 'audit', {str(path)!r}, '--clients', {str(tmp_path / 'missing.csv')!r}]\n"
            "from carerota.__main__ import run\nrun()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "missing.csv" in proc.stderr and "file not found" in proc.stderr


def test_client_with_two_locations_is_noted(write):
    path = write("r.csv", "worker_id,client_id,start,end,lat,lon,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,20",
                 "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,20",
                 "W1,C1,2026-11-02 09:20,2026-11-02 09:50,53.90,-1.55,20")
    data, _ = run_json("audit", path)
    assert any("C1" in n and "more than one location" in n for n in data["notes"])
