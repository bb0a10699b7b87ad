"""Postcodes in rotas, clients and workers files, resolved through the imported table; and the
``carerota postcodes`` commands. The table is built from the ONSPD-layout fixture of Aberdeen rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run, run_json
from carerota.load import load_clients, load_rota, load_workers
from carerota.postcodes import import_table
from carerota.read import Reading

SAMPLE = Path(__file__).parent / "data" / "postcodes" / "onspd_sample.csv"
FORMATS = Path(__file__).parent.parent / "examples" / "formats"
AB11_6EW = (57.142432, -2.104118)  # ONSPD lat/long of AB11 6EW
AB11_6EX = (57.143763, -2.102155)


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("postcodes") / "postcodes.npz"
    import_table(SAMPLE, path)
    return path


def test_roster_export_with_postcodes_audits_like_the_canonical_csv(table):
    canonical, _ = run_json("audit", FORMATS / "canonical.csv", "--clients", FORMATS / "clients.csv")
    roster, _ = run_json("audit", FORMATS / "roster-export.csv", "--clients", FORMATS / "clients.csv",
                         "--postcodes", table)
    for part in ("workers", "clients", "visits", "findings"):
        assert roster[part] == canonical[part], part
    attribution = roster["summary"].pop("attribution")
    assert roster["summary"] == canonical["summary"]
    assert "attribution" not in canonical["summary"]  # no postcode looked up, no attribution
    assert attribution[2] == ("Source: Office for National Statistics licensed under the Open Government "
                              "Licence v.3.0")
    assert attribution[0].startswith("Contains OS data © Crown copyright and database right")


def test_postcodes_are_normalised_and_given_lat_lon_wins(write, table):
    path = write("r.csv", "worker_id,client_id,start,end,postcode,lat,lon",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,ab116ew,,",
                 "W1,C2,2026-11-02 09:00,2026-11-02 09:30,  AB11   6EX ,,",
                 "W1,C3,2026-11-02 10:00,2026-11-02 10:30,AB11 6EX,57.2,-2.2")
    v = load_rota(path, Reading(postcodes=str(table))).visits
    assert (v.loc[0, "lat"], v.loc[0, "lon"]) == AB11_6EW
    assert (v.loc[1, "lat"], v.loc[1, "lon"]) == AB11_6EX
    assert (v.loc[2, "lat"], v.loc[2, "lon"]) == (57.2, -2.2)


@pytest.mark.parametrize("postcode, expected", [
    ("AB11 6FH", "terminated 2016-06"),
    ("AB11 9ZZ", "expected a postcode in the postcode table"),
    ("JE2 4WD", "no location"),
    ("NOT A PC", "expected a UK postcode"),
])
def test_bad_postcodes_are_input_errors_naming_the_row(write, table, postcode, expected):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay,postcode",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5,AB11 6EW",
                 f"W1,C2,2026-11-02 09:00,2026-11-02 09:30,5,{postcode}")
    result = run("audit", path, "--postcodes", table)
    assert result.exit_code == 2
    assert "row 3, column 'postcode'" in result.stderr and expected in result.stderr


def test_northern_ireland_postcodes_are_flagged(write, table):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay,postcode",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,12,BT1 1AA",
                 "W1,C1,2026-11-02 09:00,2026-11-02 09:30,12,BT1 1AA")
    data, _ = run_json("audit", path, "--postcodes", table)
    assert any("Land & Property Services" in note for note in data["notes"])


def test_without_a_table_postcodes_say_how_to_get_one(write, tmp_path):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay,postcode",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5,AB11 6EW",
                 "W1,C2,2026-11-02 09:00,2026-11-02 09:30,5,AB11 6EX")
    result = run("audit", path, "--postcodes", tmp_path / "none.npz")
    assert result.exit_code == 2
    assert "no location for client 'C1'" in result.stderr
    assert "carerota postcodes import" in result.stderr
    # continuity needs no location: the audit runs and notes the unresolved postcodes
    data, _ = run_json("audit", path, "--postcodes", tmp_path / "none.npz", "--only", "continuity")
    assert any("cannot be looked up" in note and "carerota postcodes import" in note for note in data["notes"])


def test_clients_and_workers_files_by_postcode(write, table):
    reading = Reading(postcodes=str(table))
    clients = load_clients(write("c.csv", "client_id,postcode", "C1,AB11 6EW", "C2,AB11 6EX"), reading)
    assert tuple(clients.loc["C1", ["lat", "lon"]]) == AB11_6EW
    assert clients.attrs["attribution"][0].startswith("Contains OS data")
    workers = load_workers(write("w.csv", "worker_id,home_postcode", "W1,AB11 6EX"), reading)
    assert tuple(workers.loc["W1", ["home_lat", "home_lon"]]) == AB11_6EX
    with pytest.raises(Exception, match="row 2, column 'home_postcode'"):
        load_workers(write("w2.csv", "worker_id,home_postcode", "W1,AB11 9ZZ"), reading)


def test_postcode_table_from_the_environment(write, table, monkeypatch):
    monkeypatch.setenv("CAREROTA_POSTCODES", str(table))
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay,postcode",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5,AB11 6EW",
                 "W1,C2,2026-11-02 09:00,2026-11-02 09:30,5,AB11 6EX")
    proc = subprocess.run([sys.executable, "-m", "carerota", "audit", str(path), "--format", "json", "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["attribution"]


def test_html_report_carries_the_attribution(table, tmp_path):
    page = tmp_path / "r.html"
    result = run("audit", FORMATS / "roster-export.csv", "--postcodes", table, "--clients", FORMATS / "clients.csv",
                 "--html", page, "-q")
    assert result.exit_code == 1
    assert "Contains Royal Mail data © Royal Mail copyright and database right" in page.read_text(encoding="utf-8")


# --- carerota postcodes ------------------------------------------------------------------------------

def test_postcodes_import_info_lookup(tmp_path):
    out = tmp_path / "deep" / "pc.npz"
    result = run("postcodes", "import", SAMPLE, "--postcodes", out, "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["live"], summary["terminated"], summary["northern_ireland"]) == (10, 8, 2, 1)
    info = json.loads(run("postcodes", "info", "--postcodes", out, "--format", "json").stdout)
    assert info["rows"] == 10 and len(info["attribution"]) == 3

    found = run("postcodes", "lookup", "ab11 6ew", "--postcodes", out, "--format", "json")
    assert found.exit_code == 0
    record = json.loads(found.stdout)["postcodes"][0]
    assert (record["postcode"], record["lat"], record["lon"], record["status"]) == ("AB11 6EW", *AB11_6EW, "ok")
    mixed = run("postcodes", "lookup", "AB11 6EW", "AB11 6FH", "--postcodes", out, "--format", "csv")
    assert mixed.exit_code == 1 and "terminated" in mixed.stdout


def test_postcodes_commands_fail_cleanly(tmp_path, write):
    assert run("postcodes", "info", "--postcodes", tmp_path / "none.npz").exit_code == 2
    rota = write("r.csv", "worker_id,client_id,start,end", "W1,C1,2026-11-02 08:00,2026-11-02 08:30")
    result = run("postcodes", "import", rota, "--postcodes", tmp_path / "pc.npz")
    assert result.exit_code == 2 and "ONS Postcode Directory" in result.stderr
    assert not (tmp_path / "pc.npz").exists()
