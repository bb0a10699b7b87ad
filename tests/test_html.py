"""HTML reports: self-contained, escaped, the same figures as --format json, and drawn by a real browser."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from carerota import html_report, report
from carerota.audit import AuditSettings, audit
from carerota.load import load_clients, load_rota, load_workers
from conftest import HEADER, run, run_json

EX = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE = (EX / "rota.csv", "--clients", EX / "clients.csv", "--workers", EX / "workers.csv")
AS_OF = ("--as-of", "2026-11-23")
EVIL = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed: apt-get install chromium, or run make test as root")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Figure(NamedTuple):
    section: str | None
    tag: str
    field: str
    value: str | None
    text: str
    attrs: dict


class Dom(HTMLParser):
    """What the tests read from a page: every element with data-field, table rows as field → value,
    the tags and links; a mismatched end tag (broken markup) fails the parse."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.figures: list[Figure] = []
        self.rows: list[tuple[str | None, dict]] = []
        self.tags: list[tuple[str, dict]] = []
        self.open: list[tuple[str, dict, list[str]]] = []
        self.section = None
        self.feed(text)
        self.close()
        assert not self.open, [tag for tag, _, _ in self.open]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section":
            self.section = a.get("id")
        if tag == "tr":
            self.rows.append((self.section, {}))
        if tag not in VOID:
            self.open.append((tag, a, []))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.open and self.open[-1][0] == tag, f"</{tag}> closes <{self.open[-1][0] if self.open else ''}>"
        _, a, text = self.open.pop()
        if "data-field" in a:
            self.figures.append(Figure(self.section, tag, a["data-field"], a.get("data-value"),
                                       "".join(text).strip(), a))
            if tag == "td" and self.rows:
                self.rows[-1][1][a["data-field"]] = a.get("data-value")
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        for _, _, text in self.open:
            text.append(data)

    def links(self) -> list[str]:
        return [v for _, a in self.tags for k, v in a.items() if k in ("src", "href", "xlink:href", "action") and v]

    def text(self, tag: str) -> list[str]:
        return [f.text for f in self.figures if f.tag == tag]

    def bars(self, field: str) -> list[Figure]:
        return [f for f in self.figures if f.tag == "rect" and f.field == field]

    def table(self, section: str, key: str) -> list[dict]:
        return [row for where, row in self.rows if where == section and key in row]


def parsed(value: str | None):
    """A data-value as JSON reads it: numbers, null, true/false, lists; other text as it is."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def consistent(text: str, value) -> bool:
    """The shown text is the value to its displayed precision (£1,234.56, 12.3%, 466.30, —)."""
    if value is None:
        return text == "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    m = re.search(r"(−|-)?£?([\d,]+(?:\.(\d+))?)(%)?", text)
    assert m, text
    number = float(m.group(2).replace(",", "")) * (-1 if m.group(1) else 1) / (100 if m.group(4) else 1)
    tolerance = 0.5 * 10 ** -len(m.group(3) or "") / (100 if m.group(4) else 1)
    return abs(number - value) <= tolerance + 1e-9


def assert_consistent(dom: Dom) -> None:
    for f in dom.figures:
        if f.tag in ("td", "span"):
            assert consistent(f.text, parsed(f.value)), f


def summary_value(summary: dict, field: str):
    head, _, rest = field.partition(".")
    return summary[head][rest] if rest else summary[field]


def check_against_json(dom: Dom, data: dict) -> None:
    """Every figure of the page equals the JSON output of the same run, and is shown consistently."""
    s = data["summary"]
    summary = [f for f in dom.figures if (f.section == "summary" and f.field in s) or "." in f.field]
    assert {f.field for f in summary} >= {
        "visits", "worker_periods", "total_shortfall", "travel_share", "short_visit_share",
        "clients_below_continuity", "median_team_share", "findings"}
    for f in summary:
        assert parsed(f.value) == summary_value(s, f.field), f
    assert_consistent(dom)
    fails = [a["data-result"] for t, a in dom.tags if "data-result" in a]
    assert fails == ["pass" if ok else "fail" for _, ok, _ in html_report.scorecard_rows(s)]

    workers = {(w["worker_id"], w["period_start"]): w for w in data["workers"]}
    below = dom.table("pay", "worker_id")
    assert sorted((r["worker_id"], r["period_start"]) for r in below) == sorted(
        k for k, w in workers.items() if not w["compliant"])
    for row in below:
        for field, value in row.items():
            assert parsed(value) == workers[row["worker_id"], row["period_start"]][field], (row, field)
    rates = dom.bars("effective_rate")
    assert len(rates) == len(data["workers"])
    assert sorted(parsed(b.value) for b in rates) == sorted(w["effective_rate"] for w in data["workers"])
    assert sum(b.attrs["class"] == "bad" for b in rates) == (s["worker_periods_below_floor"] or 0)

    clients = {c["client_id"]: c for c in data["clients"]}
    for row in dom.table("continuity", "client_id"):
        assert not clients[row["client_id"]]["continuity_ok"]
        for field, value in row.items():
            assert parsed(value) == clients[row["client_id"]][field], (row, field)
    assert len(dom.table("continuity", "client_id")) == (s["clients_below_continuity"] or 0)
    shares = {b.attrs["data-id"].removesuffix(" *"): parsed(b.value) for b in dom.bars("team_share")}
    assert shares == {c: clients[c]["team_share"] for c in clients}

    assert sum(parsed(b.value) for b in dom.bars("visits")) == s["visits"]
    assert [f.value for f in dom.figures if f.field == "as_of"] == [s["as_of"]]


@pytest.fixture(scope="module")
def example():
    return audit(load_rota(EX / "rota.csv"), clients=load_clients(EX / "clients.csv"),
                 workers=load_workers(EX / "workers.csv"), settings=AuditSettings(as_of=date(2026, 11, 23)))


def audit_html(tmp_path: Path, *args) -> tuple[str, dict]:
    """The page and the JSON of the same audit, both through the command line."""
    out = tmp_path / "report.html"
    result = run("audit", *args, *AS_OF, "--html", out, "--quiet")
    assert result.exit_code in (0, 1), result.output
    data, _ = run_json("audit", *args, *AS_OF)
    return out.read_text(encoding="utf-8"), data


def test_cli_page_has_the_json_figures(tmp_path):
    page, data = audit_html(tmp_path, *EXAMPLE)
    check_against_json(Dom(page), data)
    assert 'data-field="total_shortfall" data-value="520.61">£520.61<' in page


def test_scorecard_is_the_terminal_scorecard(example):
    table = report.scorecard(example)
    cells = [[str(c) for c in col._cells] for col in table.columns]
    rows = html_report.scorecard_rows(example.summary)
    assert [(p, "pass" if ok else "FAIL", h) for p, ok, h in rows] == list(zip(*cells))
    page = html_report.audit_page(example, "rota.csv")
    assert all(html_report.esc(h) in page for _, _, h in rows)
    assert page.count(">FAIL<") == sum(not ok for _, ok, _ in rows) > 0


def test_page_is_self_contained_accessible_and_repeatable(example):
    page = html_report.audit_page(example, "rota.csv")
    assert page == html_report.audit_page(example, "rota.csv")
    dom = Dom(page)
    assert not re.search(r"https?:|url\(|@import", page) and "<script" not in page and dom.links() == []
    assert '<meta charset="utf-8">' in page and "default-src 'none'" in page
    assert page.count("<svg") == page.count('<title id="') == 4
    assert page.count("<table") == page.count("<caption>") and "<th scope=" in page
    assert f"carerota {html_report.__version__}" in page and "as of" in page
    floor = [a for t, a in dom.tags if t == "line" and a.get("class") == "ref"]
    assert len(floor) >= 4  # per-age-band floor ticks, the all-workers travel share, the minimum, the target
    assert "each worker&#x27;s wage floor (age band)" in page and "minimum 30 min" in page and "target 90%" in page


def test_everything_from_the_input_is_escaped(write):
    rota = write("r.csv", HEADER,
                 f"{EVIL},C&<b>1</b>,2026-11-02 08:00,2026-11-02 08:20,53.80,-1.55,5",
                 f"{EVIL},C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,5")
    result = audit(load_rota(rota), settings=AuditSettings(as_of=date(2026, 11, 23)))
    assert any(EVIL in n for n in result.notes)  # the age-unknown note names the worker
    page = html_report.audit_page(result, "<b>rota</b>.csv")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;rota&lt;/b&gt;.csv" in page
    dom = Dom(page)
    assert [t for t, _ in dom.tags if t in ("script", "b")] == []
    assert EVIL in dom.text("td") and f"{EVIL} · " not in page
    assert [b.attrs["data-id"] for b in dom.bars("effective_rate")] == [EVIL]


def test_big_charts_show_the_worst(write):
    rows = [f"W{i:03},C{i:03},2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,{5 + i / 5:.2f}" for i in range(100)]
    result = audit(load_rota(write("r.csv", HEADER, *rows)), settings=AuditSettings(as_of=date(2026, 11, 23)))
    page = html_report.audit_page(result, "r.csv")
    dom = Dom(page)
    assert "The worst 60 of 100 worker-periods." in page
    assert "The highest 60 of 100 workers." in page and "The least continuous 60 of 100 clients." in page
    assert sorted(b.attrs["data-id"] for b in dom.bars("effective_rate")) == [f"W{i:03}" for i in range(60)]
    assert len(dom.bars("team_share")) == len(dom.bars("travel_share")) == 60


@pytest.mark.parametrize("only", ["pay", "visits", "continuity"])
def test_checks_that_did_not_run(tmp_path, only):
    page, data = audit_html(tmp_path, *EXAMPLE, "--only", only)
    dom = Dom(page)
    check_against_json(dom, data)
    assert page.count("check did not run (see --only)") == 2
    nulls = [f for f in dom.figures if f.section == "summary" and f.value == "null"]
    assert nulls and all(f.text == "—" for f in nulls)


def test_histogram_marks_the_minimum(tmp_path):
    page, data = audit_html(tmp_path, *EXAMPLE, "--min-visit", "45")
    dom = Dom(page)
    bins = dom.bars("visits")
    assert "minimum 45 min" in page and "minimum visit 45 minutes" in page
    assert {b.attrs["class"] for b in bins if int(b.attrs["data-bin"]) + 5 <= 45} == {"bad"}
    assert {b.attrs["class"] for b in bins if int(b.attrs["data-bin"]) >= 45} == {"good"}
    short = sum(parsed(b.value) for b in bins if b.attrs["class"] == "bad")
    assert short == round(data["summary"]["short_visit_share"] * data["summary"]["visits"])


def test_values_are_rounded_as_in_json():
    assert html_report.json_value(0.123456, "travel_share") == "0.1235"
    assert html_report.json_value(12.345678, "total_shortfall") == "12.35"
    assert html_report.json_value(float("nan"), "pay") == html_report.json_value(None) == "null"
    assert html_report.json_value(np.int64(3)) == "3" and html_report.json_value(date(2026, 11, 2)) == "2026-11-02"
    assert html_report.shown(-3.5, "margin") == "−£3.50" and html_report.shown(0.1234, "team_share") == "12.3%"


BATCH = pd.DataFrame({
    "file": ["a.csv", "<img src=x onerror=alert(1)>.csv", "c.csv"],
    "status": ["findings", "ok", "error"],
    "error": [None, None, "c.csv: row 3: <b>bad</b> date"],
    "visits": [10, 20, np.nan],
    "worker_periods_below_floor": [2, 0, np.nan],
    "total_shortfall": [12.345678, 0.0, np.nan],
    "travel_share": [0.1234567, 0.2, np.nan],
    "median_team_share": [0.755555, 1.0, None],
    "findings": [7, 0, None],
    "provider_region": ["North", "South", None],
})


def test_batch_page():
    page = html_report.batch_page(BATCH, "Nightly <audit>")
    dom = Dom(page)
    assert "<img" not in page and "<b>" not in page and "Nightly &lt;audit&gt;" in page
    counts = {f.field: parsed(f.value) for f in dom.figures if f.field.startswith("status.")}
    assert counts == {"status.ok": 1, "status.findings": 1, "status.error": 1}
    rows = [row for _, row in dom.rows if "file" in row]
    assert [r["file"] for r in rows] == BATCH["file"].tolist()
    assert [r["total_shortfall"] for r in rows] == ["12.35", "0.0", "null"]
    assert [r["travel_share"] for r in rows] == ["0.1235", "0.2", "null"]
    assert rows[2]["error"] == "c.csv: row 3: <b>bad</b> date" and ">Why it could not be read<" in page
    assert "provider_region" not in page  # the page shows the headline columns; the CSV has them all
    assert sorted(parsed(b.value) for b in dom.bars("total_shortfall")) == [0.0, 12.35]
    assert [b.attrs["class"] for b in dom.bars("total_shortfall")] == ["bad", "good"]
    assert_consistent(dom)
    assert not re.search(r"https?:|url\(", page) and dom.links() == []
    Dom(html_report.batch_page(BATCH.iloc[0:0], "empty"))
    Dom(html_report.batch_page(BATCH[["file", "visits"]], "no status"))


BIDS = pd.DataFrame({
    "bid_id": ["B1", "B<2>"], "price_per_hour": [24.5, 19.0], "contact_hours": [1000.0, 500.0],
    "travel_hours_per_contact_hour": [0.2, 0.35], "cost_floor_per_hour": [21.234567, 22.5],
    "planned_cost_floor_per_hour": [20.9, np.nan], "margin": [3.265433, -3.5],
    "verdict": ["sustainable", "below cost"], "note": ["x", "y"],
})
ASSUMPTIONS = {"wage_rate": 12.71, "on_costs": {"employer_ni_rate": 0.138, "holiday_share": 0.1207},
               "source": "<UKHCA>"}


def test_tender_page():
    page = html_report.tender_page(BIDS, ASSUMPTIONS, "Tender")
    dom = Dom(page)
    bars = dom.bars("price_per_hour")
    assert [(b.attrs["data-id"], b.attrs["class"]) for b in bars] == [("B<2>", "bad"), ("B1", "good")]
    refs = [a["class"] for t, a in dom.tags if t == "line" and "ref" in a.get("class", "")]
    assert refs == ["ref", "ref", "ref2"]  # a cost-floor tick per bid, a planned one where known
    assert "£19.00 below cost" in page and "B&lt;2&gt;" in page and "&lt;UKHCA&gt;" in page
    rows = [row for _, row in dom.rows if "bid_id" in row]
    for row, bid in zip(rows, BIDS.to_dict(orient="records")):
        assert row == {k: json.dumps(report.clean(v, k)) if k not in ("bid_id", "verdict", "note") else v
                       for k, v in bid.items()}
    values = {f.field: f.value for f in dom.figures}
    assert values["on_costs.employer_ni_rate"] == "0.138" and values["wage_rate"] == "12.71"
    assert ">13.8%<" in page and ">£12.71<" in page
    assert values["verdict.sustainable"] == values["verdict.below cost"] == "1"
    assert 'class="sub"' in page
    assert_consistent(dom)
    Dom(html_report.tender_page(BIDS.iloc[0:0], {}, "none"))


# --- a real browser ----------------------------------------------------------------------------------

def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium with no network chatter and a throwaway profile."""
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=60)


@needs_browser
def test_browser_dom_has_the_json_figures(tmp_path):
    page, data = audit_html(tmp_path, *EXAMPLE)
    done = chromium(tmp_path, "--dump-dom", (tmp_path / "report.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Dom(done.stdout)
    check_against_json(dom, data)
    assert len(dom.figures) == len(Dom(page).figures)


@needs_browser
def test_browser_keeps_input_as_text(tmp_path):
    path = tmp_path / "batch.html"
    path.write_text(html_report.batch_page(BATCH.assign(file=BATCH["file"].replace("a.csv", EVIL)), "b"),
                    encoding="utf-8")
    done = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Dom(done.stdout)
    assert [t for t, _ in dom.tags if t in ("script", "img", "b")] == []
    assert [r["file"] for _, r in dom.rows if "file" in r][:2] == [EVIL, "<img src=x onerror=alert(1)>.csv"]


@needs_browser
def test_browser_screenshot(tmp_path):
    audit_html(tmp_path, *EXAMPLE)
    png = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,2000", (tmp_path / "report.html").as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 2000)
    chunks, at = [], 8
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + size])
        at += 12 + size
    pixels = zlib.decompress(b"".join(chunks))
    assert len(set(pixels)) > 100  # text, bars and rules drawn, not a blank page


# --- the commands' pages against their own JSON -----------------------------------------------------

TENDERS = EX / "tenders"


def test_tender_cli_page_has_the_json_figures(tmp_path):
    out = tmp_path / "tender.html"
    result = run("tender", TENDERS / "bids.csv", "--format", "json", "--html", out)
    assert result.exit_code == 1, result.output
    bids = json.loads(result.stdout)["bids"]
    rows = [row for _, row in Dom(out.read_text(encoding="utf-8")).rows if "bid_id" in row]
    assert [r["bid_id"] for r in rows] == [b["bid_id"] for b in bids]
    for row, bid in zip(rows, bids):
        for key in ("price_per_hour", "contact_hours", "travel_hours_per_contact_hour", "cost_floor_per_hour",
                    "margin"):
            assert json.loads(row[key]) == bid[key], key
        assert row["verdict"] == bid["verdict"]


@needs_browser
def test_browser_batch_page_has_the_json_figures(tmp_path):
    rotas = [TENDERS / f"{name}.csv" for name in ("compact", "mixed", "rural")]
    out = tmp_path / "batch.html"
    result = run("batch", *rotas, "--format", "json", "--html", out, "--jobs", "1", *AS_OF)
    assert result.exit_code == 1, result.output
    files = json.loads(result.stdout)["files"]
    done = chromium(tmp_path, "--dump-dom", out.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [row for _, row in Dom(done.stdout).rows if "file" in row]
    assert [r["file"] for r in rows] == [f["file"] for f in files]
    for row, f in zip(rows, files):
        assert row["status"] == f["status"]
        for key in ("visits", "worker_periods_below_floor", "total_shortfall", "total_arrears", "travel_share",
                    "median_team_share", "findings"):
            assert json.loads(row[key]) == f["summary"][key], key
