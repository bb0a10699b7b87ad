"""Real exports: spreadsheets, TSV, dates and times of day, durations, column mapping, profiles,
``carerota columns`` and ``carerota schema``. Each layout must audit to the same figures as the
canonical CSV of the same visits (examples/formats, made by make_formats.py)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import run, run_json
from carerota.errors import InputError
from carerota.load import load_rota
from carerota.read import Reading
from carerota.schema import FILES, PROFILES, json_schema

FORMATS = Path(__file__).parent.parent / "examples" / "formats"
CLIENTS = FORMATS / "clients.csv"
PARTS = ("summary", "workers", "clients", "visits", "findings")


def without_ids(records: list[dict]) -> list[dict]:
    """Records with visit ids (and messages naming them) left out: the portal claim has no visit id."""
    return [{k: v for k, v in r.items() if k not in ("visit_id", "message")} for r in records]


def test_spreadsheet_audits_like_the_canonical_csv():
    canonical, code = run_json("audit", FORMATS / "canonical.csv", "--clients", CLIENTS)
    sheet, sheet_code = run_json("audit", FORMATS / "rota.xlsx", "--sheet", "Visits", "--clients", CLIENTS)
    assert code == sheet_code == 1
    for part in PARTS:
        assert sheet[part] == canonical[part], part
    assert any("sheet 'Visits'" in note for note in sheet["notes"])


def test_portal_claim_audits_like_the_canonical_csv():
    """The council claim layout (date, claimed start and duration, actual start and duration) has no
    pay and no visit id: its visits, continuity and travel figures match the canonical file's."""
    only = ("--only", "visits", "--only", "continuity")
    canonical, _ = run_json("audit", FORMATS / "canonical.csv", "--clients", CLIENTS, *only)
    claim, _ = run_json("audit", FORMATS / "portal-claim.csv", "--clients", CLIENTS, *only)
    assert claim["summary"] == canonical["summary"]
    assert claim["clients"] == canonical["clients"]
    assert without_ids(claim["visits"]) == without_ids(canonical["visits"])
    assert without_ids(claim["findings"]) == without_ids(canonical["findings"])
    assert any("portal-claim layout" in note for note in claim["notes"])


def test_portal_claim_times_are_read_as_claimed():
    """Hand-checked: row 10 is claimed 02/11/2026 23:30 for 00:45:00, checked in 23:50 for 00:40:00,
    so it ends 00:15 and was checked out 00:30 on the 3rd."""
    visits = load_rota(FORMATS / "portal-claim.csv").visits
    row = visits.set_index("row").loc[10]
    assert row["start"] == pd.Timestamp("2026-11-02 23:30", tz="UTC")
    assert row["end"] == pd.Timestamp("2026-11-03 00:15", tz="UTC")
    assert row["actual_start"] == pd.Timestamp("2026-11-02 23:50", tz="UTC")
    assert row["actual_end"] == pd.Timestamp("2026-11-03 00:30", tz="UTC")
    assert visits.set_index("row").loc[12, "actual_start"] is pd.NaT  # no call monitoring for that visit


def test_profile_none_turns_detection_off():
    result = run("audit", FORMATS / "portal-claim.csv", "--profile", "none")
    assert result.exit_code == 2
    assert "missing required column 'start'" in result.stderr and "--map" in result.stderr


def test_unknown_profile_is_a_usage_error():
    result = run("audit", FORMATS / "canonical.csv", "--profile", "nope")
    assert result.exit_code == 2 and "portal-claim" in result.output


# --- times and durations ---------------------------------------------------------------------------

def test_date_column_and_times_of_day_across_midnight(write):
    """A visit 23:30-00:15 ends the next day; a check-in at 00:05 for it is the next day too, and its
    check-out at 00:40 after that: 45 minutes planned, 35 delivered."""
    path = write("r.csv", "worker_id,client_id,date,start,end,actual_start,actual_end",
                 "W1,C1,02/11/2026,23:30,00:15,00:05,00:40",
                 "W1,C1,03/11/2026,07:00:00,07:30,06:55,07:20")
    v = load_rota(path).visits
    assert list(v["start"]) == [pd.Timestamp("2026-11-02 23:30", tz="UTC"), pd.Timestamp("2026-11-03 07:00", tz="UTC")]
    assert (v["end"] - v["start"]).dt.total_seconds().tolist() == [45 * 60, 30 * 60]
    assert v.loc[0, "actual_start"] == pd.Timestamp("2026-11-03 00:05", tz="UTC")
    assert (v["actual_end"] - v["actual_start"]).dt.total_seconds().tolist() == [35 * 60, 25 * 60]
    assert v.loc[1, "actual_start"] == pd.Timestamp("2026-11-03 06:55", tz="UTC")


def test_times_of_day_in_summer_are_bst(write):
    path = write("r.csv", "worker_id,client_id,date,start,end", "W1,C1,2026-07-01,08:00,08:30")
    assert load_rota(path).visits.loc[0, "start"] == pd.Timestamp("2026-07-01 07:00", tz="UTC")


@pytest.mark.parametrize("duration", ["30", "00:30", "0:30:00", "30.0"])
def test_duration_forms_give_the_same_end(write, duration):
    path = write("r.csv", "worker_id,client_id,start,duration", f"W1,C1,2026-11-02 08:00,{duration}")
    assert load_rota(path).visits.loc[0, "end"] == pd.Timestamp("2026-11-02 08:30", tz="UTC")


def test_duration_is_elapsed_time_across_the_clock_change(write):
    """01:30 BST on 25 October 2026 plus 60 minutes is 01:30 GMT: an hour of work, not two."""
    path = write("r.csv", "worker_id,client_id,start,duration", "W1,C1,2026-10-25 01:30,60")
    v = load_rota(path).visits
    assert (v.loc[0, "end"] - v.loc[0, "start"]) == pd.Timedelta(minutes=60)


def test_actual_duration_gives_the_check_out(write):
    path = write("r.csv", "worker_id,client_id,start,end,actual_start,actual_duration",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,2026-11-02 08:04,00:21")
    v = load_rota(path).visits
    assert v.loc[0, "actual_end"] == pd.Timestamp("2026-11-02 08:25", tz="UTC")


def test_time_bad_inputs_name_row_and_column(write):
    cases = {
        ("worker_id,client_id,start,end", "W1,C1,08:00,08:30"): ("row 2", "column 'start'", "needs a date column"),
        ("worker_id,client_id,date,start,end", "W1,C1,,08:00,08:30"): ("row 2", "column 'date'", "visit's date"),
        ("worker_id,client_id,start,duration", "W1,C1,2026-11-02 08:00,abc"): ("row 2", "column 'duration'", "minutes"),
        ("worker_id,client_id,start,duration", "W1,C1,2026-11-02 08:00,"): ("row 2", "column 'duration'", "blank"),
        ("worker_id,client_id,date,start,end", "W1,C1,2026-11-02,25:00,26:00"): ("row 2", "column 'start'", "expected"),
    }
    for (header, row), expected in cases.items():
        result = run("audit", write("bad.csv", header, row))
        assert result.exit_code == 2, (header, row)
        for text in expected:
            assert text in result.stderr, (header, row, result.stderr)


def test_end_or_duration_is_required(write):
    result = run("audit", write("r.csv", "worker_id,client_id,start", "W1,C1,2026-11-02 08:00"))
    assert result.exit_code == 2
    assert "missing required column 'end'" in result.stderr and "'duration'" in result.stderr


# --- delimiters, spreadsheets ------------------------------------------------------------------------

def test_tsv_and_delimiter_option(tmp_path):
    rows = [["worker_id", "client_id", "start", "end", "visit_pay"],
            ["W1", "C1", "2026-11-02 08:00", "2026-11-02 08:30", "6.50"]]
    tsv = tmp_path / "r.tsv"
    tsv.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    assert load_rota(tsv).visits.loc[0, "visit_pay"] == 6.5
    # a header with no separator the sniffer knows, read with --delimiter
    odd = tmp_path / "r.txt"
    odd.write_text("\n".join("~".join(r) for r in rows) + "\n", encoding="utf-8")
    assert load_rota(odd, Reading(delimiter="~")).visits.loc[0, "visit_pay"] == 6.5
    assert run("audit", odd, "--delimiter", "~~").exit_code == 2


def test_spreadsheet_types_and_row_numbers(tmp_path):
    """Typed cells (dates, times, durations, numbers) read as their CSV text; rows numbered as the
    spreadsheet shows them, after a blank title row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["worker_id", "client_id", "date", "start", "duration", "visit_pay"])
    sheet.append(["W1", "C1", dt.date(2026, 11, 2), dt.time(8, 0), dt.timedelta(minutes=45), 6])
    sheet.append(["W1", "C2", dt.datetime(2026, 11, 2), dt.time(9, 0), 30, "lots"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    with pytest.raises(InputError) as error:
        load_rota(path)
    assert "row 4, column 'visit_pay'" in str(error.value)
    sheet["F4"] = 7.25
    book.save(path)
    v = load_rota(path).visits
    assert v["row"].tolist() == [3, 4]
    assert v.loc[0, "end"] == pd.Timestamp("2026-11-02 08:45", tz="UTC")
    assert v.loc[1, "end"] == pd.Timestamp("2026-11-02 09:30", tz="UTC")
    assert v["visit_pay"].tolist() == [6.0, 7.25]


def test_unknown_sheet_and_corrupt_spreadsheet_are_input_errors(tmp_path):
    result = run("audit", FORMATS / "rota.xlsx", "--sheet", "Nope")
    assert result.exit_code == 2 and "'Cover', 'Visits'" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run("audit", broken)
    assert result.exit_code == 2 and "not a readable spreadsheet" in result.stderr
    assert "Traceback" not in result.output


def test_spreadsheet_from_stdin():
    result = run("audit", "-", "--sheet", "2", "--clients", CLIENTS, "--format", "csv", "-q",
                 input=(FORMATS / "rota.xlsx").read_bytes())
    assert result.exit_code == 1 and result.stdout.startswith("worker_id,period_start")


# --- column mapping ---------------------------------------------------------------------------------

MAPPED = ["CarerRef,SU,When,Mins,Rate,Team", "W1,C1,2026-11-02 08:00,30,12.71,x",
          "W1,C2,2026-11-02 08:30,30,12.71,y"]
MAPS = ("--map", "client_id=SU", "--map", "start=When", "--map", "duration=Mins", "--map", "hourly_rate=Rate")


def test_map_option_reads_any_header(write):
    path = write("r.csv", *MAPPED)
    assert run("audit", path).exit_code == 2
    data, _ = run_json("audit", path, *MAPS, "--only", "continuity")
    assert data["summary"]["visits"] == 2


def test_map_naming_no_column_is_an_input_error(write):
    path = write("r.csv", *MAPPED)
    result = run("audit", path, *MAPS, "--map", "visit_type=Kind")
    assert result.exit_code == 2 and "visit_type=Kind names no column" in result.stderr


@pytest.mark.parametrize("bad", ["clientid=SU", "client_id", "staff.worker_id=X", "clients.start=When"])
def test_bad_map_is_a_usage_error(write, bad):
    result = run("audit", write("r.csv", *MAPPED), "--map", bad)
    assert result.exit_code == 2 and "--map" in result.output


def test_columns_table_in_carerota_toml(write, tmp_path, monkeypatch):
    """[columns] in carerota.toml maps headers (and [columns.clients] another file's); --map wins."""
    rota = write("r.csv", *MAPPED)
    clients = write("c.csv", "Ref,lat,lon,Carers", "C1,53.6,-1.7,W1", "C2,53.61,-1.71,W1")
    (tmp_path / "carerota.toml").write_text(
        'min-visit = 30\n[columns]\nclient_id = "SU"\nstart = "When"\nduration = "Mins"\nhourly_rate = "Rate"\n'
        '[columns.clients]\nclient_id = "Ref"\nnamed_team = "Carers"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    data, _ = run_json("audit", rota, "--clients", clients)
    assert data["summary"]["visits"] == 2
    assert {c["client_id"]: c["named_team"] for c in data["clients"]} == {"C1": ["W1"], "C2": ["W1"]}
    assert run("audit", rota, "--map", "start=Nope").exit_code == 2  # the flag beats the file
    (tmp_path / "carerota.toml").write_text('[columns]\nstrat = "When"\n', encoding="utf-8")
    result = run("audit", rota)
    assert result.exit_code == 2 and "unknown field 'strat'" in result.stderr


def test_headers_match_ignoring_case_spaces_and_punctuation(write):
    path = write("r.csv", "Carer Ref,Service-User Ref,Start Time,END_TIME,Visit Pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,6")
    v = load_rota(path).visits
    assert v.loc[0, ["worker_id", "client_id", "visit_pay"]].tolist() == ["W1", "C1", 6.0]


# --- carerota columns -------------------------------------------------------------------------------

def test_columns_shows_each_column_and_exit_codes(write):
    data = json.loads(run("columns", FORMATS / "portal-claim.csv", "--format", "json").stdout)
    by_header = {c["header"]: c for c in data["columns"]}
    assert data["profile"] == "portal-claim" and data["missing"] == []
    assert by_header["StartTimeClaimed"]["field"] == "start"
    assert by_header["StartTimeClaimed"]["how"] == "profile portal-claim"
    assert by_header["StartTimeClaimed"]["example"] == "07:00:00"
    assert by_header["PaymentClaimed"]["field"] is None  # a council payment, not the carer's pay

    path = write("r.csv", *MAPPED)
    result = run("columns", path, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["missing"] == ["client_id", "start", "end"]
    assert run("columns", path, *MAPS).exit_code == 0
    assert run("columns", path.with_name("absent.csv")).exit_code == 2


def test_columns_for_other_files_and_csv(write):
    path = write("w.csv", "Staff No,DOB,Transport", "W1,1990-01-01,car")
    result = run("columns", path, "--kind", "workers", "--map", "workers.worker_id=Staff No", "--format", "csv")
    assert result.exit_code == 0
    rows = pd.read_csv(__import__("io").StringIO(result.stdout))
    assert rows["field"].tolist() == ["worker_id", "date_of_birth", "travel_mode"]


def test_columns_command_exit_codes_in_a_process(write):
    path = write("r.csv", *MAPPED)
    proc = subprocess.run([sys.executable, "-m", "carerota", "columns", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "missing required column 'start'" in proc.stdout
    assert "[columns] table" in proc.stdout


# --- carerota schema --------------------------------------------------------------------------------

def test_schema_json_is_a_json_schema_of_every_file():
    result = run("schema", "--format", "json")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["$defs"]) == set(FILES)
    rota = schema["$defs"]["rota"]
    assert rota["required"] == ["worker_id", "client_id", "start"]
    assert {"anyOf": [{"required": ["end"]}, {"required": ["duration"]}]} in rota["allOf"]
    assert rota["properties"]["hourly_rate"]["x-unit"] == "£ an hour"
    assert "carer_ref" in rota["properties"]["worker_id"]["x-aliases"]
    one = json.loads(run("schema", "payslips", "--format", "json").stdout)
    assert one == json_schema("payslips") and one["required"] == ["worker_id", "period_start", "period_end", "gross_pay"]


def test_schema_table_and_csv_list_every_field():
    table = run("schema", "rota")
    assert table.exit_code == 0
    for name in FILES["rota"]:
        assert name in table.stdout
    rows = pd.read_csv(__import__("io").StringIO(run("schema", "--format", "csv").stdout))
    assert len(rows) == sum(len(f) for f in FILES.values())
    assert set(rows["file"]) == set(FILES)


def test_every_profile_column_is_a_rota_field():
    for profile in PROFILES.values():
        assert set(profile.columns) <= set(FILES["rota"]), profile.name
        assert set(profile.signature) <= set(profile.columns.values()), profile.name


def test_batch_reads_spreadsheets_in_a_folder(tmp_path):
    """A folder's .xlsx is audited like its .csv; other files are left alone."""
    import shutil

    for name in ("canonical.csv", "rota.xlsx"):
        shutil.copy(FORMATS / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a rota", encoding="utf-8")
    result = run("batch", tmp_path, "--sheet", "Visits", "--clients", CLIENTS, "--format", "json", "-q",
                 "--as-of", "2026-11-23", "--jobs", "1")
    assert result.exit_code == 1, result.output
    files = json.loads(result.stdout)["files"]
    assert [Path(f["file"]).name for f in files] == ["canonical.csv", "rota.xlsx"]
    assert files[0]["summary"] == files[1]["summary"]


def test_one_column_cannot_be_two_fields(write):
    path = write("r.csv", *MAPPED)
    result = run("audit", path, *MAPS, "--map", "end=When")
    assert result.exit_code == 2 and "cannot be both 'start' and 'end'" in result.stderr


def test_only_times_of_day_move_to_the_nearest_day(write):
    """A check-in given as a full date-time is taken as given, even a day out; only a time of day is
    placed on the day nearest the planned start."""
    path = write("r.csv", "worker_id,client_id,date,start,end,actual_start,actual_end",
                 "W1,C1,2026-11-02,23:30,23:59,2026-11-02 00:10,2026-11-02 00:40",
                 "W1,C2,2026-11-03,00:10,00:40,23:55,00:35")
    v = load_rota(path).visits
    assert v.loc[0, "actual_start"] == pd.Timestamp("2026-11-02 00:10", tz="UTC")
    assert v.loc[1, "actual_start"] == pd.Timestamp("2026-11-02 23:55", tz="UTC")
    assert v.loc[1, "actual_end"] == pd.Timestamp("2026-11-03 00:35", tz="UTC")


def test_columns_on_an_empty_file_is_an_input_error(write):
    result = run("columns", write("empty.csv"))
    assert result.exit_code == 2 and "the file is empty" in result.stderr


def test_help_keeps_bracketed_words():
    """Rich markup would eat [tool.carerota], [tender] and [columns] if they were not escaped."""
    assert "[tool.carerota]" in run("audit", "--help").stdout
    assert "[tender]" in run("tender", "--help").stdout
