"""`carerota batch`: many files, one row each, a bad file never stops the rest, exit 2 > 1 > 0."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from carerota.batch import COLUMNS, SUMMARY_COLUMNS
from conftest import run, run_json

UNDERPAID = ("worker_id,client_id,start,end,lat,lon,hourly_rate",
             "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,12.71",
             "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,12.71")
PAID_WELL = ("worker_id,client_id,start,end,lat,lon,hourly_rate",
             "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,20",
             "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,20")
BROKEN = ("worker_id,client_id,start,end", "W1,C1,not a time,2026-11-02 08:30")
AS_OF = ("--as-of", "2026-11-23")


def batch_csv(*args) -> tuple[list[dict], int, str]:
    result = run("batch", *args, *AS_OF, "--format", "csv", "--jobs", "1")
    return list(csv.DictReader(io.StringIO(result.stdout))), result.exit_code, result.stderr


def test_one_row_per_file_with_the_documented_columns(write):
    good, bad = write("good.csv", *PAID_WELL), write("bad.csv", *BROKEN)
    under = write("under.csv", *UNDERPAID)
    rows, code, stderr = batch_csv(good, under, bad)
    assert code == 2  # one file could not be read
    assert list(rows[0]) == COLUMNS
    assert [r["status"] for r in rows] == ["ok", "findings", "error"]
    assert [r["file"] for r in rows] == [str(good), str(under), str(bad)]
    # The unreadable file names its row and column, in the CSV and on stderr.
    assert "row 2" in rows[2]["error"] and "start" in rows[2]["error"] and rows[2]["visits"] == ""
    assert "bad.csv" in stderr and rows[0]["error"] == ""


def test_figures_equal_the_single_file_audit(write):
    under = write("under.csv", *UNDERPAID)
    rows, code, _ = batch_csv(under)
    single, _ = run_json("audit", under)
    s = single["summary"]
    assert code == 1
    for name in ("visits", "worker_periods_below_floor", "total_shortfall", "total_arrears", "travel_share",
                 "contact_hours", "median_team_share", "findings"):
        assert float(rows[0][name]) == pytest.approx(s[name], abs=1e-9), name
    assert int(rows[0]["findings_by_rule.below-wage-floor"]) == s["findings_by_rule"]["below-wage-floor"]
    assert float(rows[0]["thresholds.min_visit_minutes"]) == 30


def test_exit_codes(write):
    assert batch_csv(write("a.csv", *PAID_WELL), write("b.csv", *PAID_WELL))[1] == 0
    assert batch_csv(write("c.csv", *PAID_WELL), write("d.csv", *UNDERPAID))[1] == 1
    assert batch_csv(write("e.csv", *UNDERPAID), write("f.csv", *BROKEN))[1] == 2


def test_json_contract(write):
    result = run("batch", write("good.csv", *PAID_WELL), write("bad.csv", *BROKEN), *AS_OF, "--format", "json",
                 "--jobs", "1")
    doc = json.loads(result.stdout)
    assert doc["counts"] == {"ok": 1, "findings": 0, "error": 1}
    good, bad = doc["files"]
    assert set(good) == {"file", "status", "error", "summary"}
    assert good["summary"]["visits"] == 2 and good["error"] is None
    assert bad["summary"] is None and "start" in bad["error"]


def test_folder_glob_and_stdin_names(write, tmp_path):
    write("a.csv", *PAID_WELL)
    write("b.csv", *UNDERPAID)
    assert [r["status"] for r in batch_csv(tmp_path)[0]] == ["ok", "findings"]
    assert len(batch_csv(str(tmp_path / "*.csv"))[0]) == 2
    result = run("batch", "-", *AS_OF, "--format", "csv", "--jobs", "1",
                 input=f"{tmp_path / 'b.csv'}\n\n{tmp_path / 'a.csv'}\n")
    assert [r["status"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["findings", "ok"]


def test_manifest_gives_per_file_paths_and_settings(write, tmp_path):
    write("clients.csv", "client_id,lat,lon", "C1,53.80,-1.55", "C2,53.81,-1.56")
    write("nolocation.csv", "worker_id,client_id,start,end,hourly_rate",
          "W1,C1,2026-11-02 08:00,2026-11-02 08:30,13.50", "W1,C2,2026-11-02 08:40,2026-11-02 09:10,13.50")
    manifest = write("manifest.csv", "rota,clients,wage,min_visit",
                     "nolocation.csv,clients.csv,,", "nolocation.csv,clients.csv,rlw,45")
    rows, code, _ = batch_csv(manifest)
    assert code == 1
    nlw, rlw = rows
    assert nlw["wage_floor"].startswith("National Living Wage") and nlw["findings_by_rule.short-visit"] == "0"
    # The same rota: 30-minute visits pass the default minimum and are short against this row's 45.
    assert rlw["wage_floor"] == "Real Living Wage" and rlw["thresholds.min_visit_minutes"] == "45.0"
    assert int(rlw["findings_by_rule.short-visit"]) == 2


def test_bad_manifest_cell_is_an_input_error(write):
    write("r.csv", *PAID_WELL)
    manifest = write("manifest.csv", "rota,continuity", "r.csv,1.5")
    result = run("batch", manifest, "--format", "csv")
    assert result.exit_code == 2
    assert "manifest.csv, row 2, column 'continuity'" in result.stderr
    unknown = write("m2.csv", "rota,colour", "r.csv,blue")
    result = run("batch", unknown)
    assert result.exit_code == 2 and "unknown column(s) colour" in result.stderr


def test_nothing_to_audit_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("batch", empty)
    assert result.exit_code == 2 and "has none" in result.stderr
    assert run("batch", str(tmp_path / "nope-*.csv")).exit_code == 2


def test_parallel_processes_and_exit_code(write, tmp_path):
    """Through a real process with two workers: same rows as in-process, exit 2 for the broken file."""
    files = [write(f"r{i}.csv", *(UNDERPAID if i % 2 else PAID_WELL)) for i in range(4)]
    files.append(write("broken.csv", *BROKEN))
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "carerota", "batch", *map(str, files), *AS_OF, "--jobs", "2",
                           "--format", "csv", "--output", str(out), "--quiet"],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=300)
    assert proc.returncode == 2, proc.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["status"] for r in rows] == ["ok", "findings", "ok", "findings", "error"]
    assert rows == batch_csv(*files)[0]


def test_summary_columns_are_the_audit_json_names(write):
    data, _ = run_json("audit", write("r.csv", *UNDERPAID))
    for name in SUMMARY_COLUMNS:
        parent, _, child = name.partition(".")
        assert parent in data["summary"] and (not child or child in data["summary"][parent]), name


def test_table_report(write):
    result = run("batch", write("good.csv", *PAID_WELL), write("bad.csv", *BROKEN), *AS_OF, "--jobs", "1")
    assert result.exit_code == 2
    assert "1 ok · 0 with findings · 1 could not be read" in result.stdout


def test_a_manifest_in_a_folder_is_just_a_file(write, tmp_path):
    """Only a manifest named on the command line is read as one: in a folder it is an unreadable rota."""
    write("a.csv", *PAID_WELL)
    write("bids.csv", "bid_id,price_per_hour,rota", "X,20,a.csv")
    rows, code, _ = batch_csv(tmp_path)
    assert code == 2 and [(r["file"].rsplit("/", 1)[-1], r["status"]) for r in rows] == [
        ("a.csv", "ok"), ("bids.csv", "error")]


def test_an_audit_without_messages_finds_the_same():
    # the batch audits without finding messages (it only counts them): every other figure must be the same
    from carerota.audit import AuditSettings, audit
    from carerota.load import load_clients, load_rota, load_workers

    examples = Path(__file__).resolve().parent.parent / "examples"
    tables = dict(clients=load_clients(examples / "clients.csv"), workers=load_workers(examples / "workers.csv"))
    rota, settings = load_rota(examples / "rota.csv"), AuditSettings(as_of=date(2026, 11, 23))
    full = audit(rota, settings=settings, **tables)
    bare = audit(rota, settings=settings, messages=False, **tables)
    assert {"below-wage-floor", "continuity-below-target", "short-visit"} <= set(full.findings["rule"])
    assert full.findings["message"].notna().all() and bare.findings["message"].isna().all()
    assert bare.flags["message"].isna().all()
    pd.testing.assert_frame_equal(bare.findings.drop(columns="message"), full.findings.drop(columns="message"))
    assert bare.summary == full.summary and bare.exit_code == full.exit_code


def test_totals_of_parts_at_once_are_each_parts_own(write):
    """``visit_totals_by`` (a group's files totalled at once) gives, for each part, what
    ``visit_totals`` gives for that part's visits alone: counts, whole-second sums, first and last,
    short visits; a part without visits has none, and NaT for its first and last."""
    import numpy as np

    from carerota.audit import AuditSettings, audit, visit_totals, visit_totals_by
    from carerota.load import load_rota

    rows = [UNDERPAID[0]] + [f"W{k % 7},C{k % 5},2026-11-{2 + k % 20:02d} {8 + k % 9:02d}:00,"
                             f"2026-11-{2 + k % 20:02d} {8 + k % 9:02d}:{15 + 10 * (k % 4):02d},53.8,-1.5{k % 6},12.71"
                             for k in range(120)]
    timeline = audit(load_rota(write("r.csv", *rows)), settings=AuditSettings()).timeline
    part = np.random.default_rng(3).integers(0, 3, len(timeline))  # parts 0-2 of 4: part 3 is empty
    got = visit_totals_by(timeline, AuditSettings(), part, 4)
    for k in range(3):
        assert got[k] == visit_totals(timeline[part == k], AuditSettings())
    assert (got[3]["visits"], got[3]["workers"], got[3]["duration_s"], got[3]["short"]) == (0, 0, 0.0, 0)
    assert pd.isna(got[3]["first"]) and pd.isna(got[3]["last"])
    assert sum(g["visits"] for g in got) == len(timeline) and got[0]["short"] > 0
