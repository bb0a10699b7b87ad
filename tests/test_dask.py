"""The Dask engine: the same report as the pandas engine, on a distributed.LocalCluster of 2 workers.

The hand-computed rotas (test_handcomputed.py) are each audited on both engines too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carerota.dataset import dataset_files, dataset_parts
from carerota.errors import InputError
from carerota.synth import SynthSpec, synthesise, write

from conftest import DATA, run

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ["--clients", EXAMPLES / "clients.csv", "--workers", EXAMPLES / "workers.csv", "--as-of", "2026-11-23"]


def both(dask_scheduler, dataset, *options, fmt: str = "json"):
    """The pandas and Dask engines' runs of the same audit."""
    args = ["audit", dataset, *options, "--format", fmt]
    return run(*args), run(*args, "--engine", "dask", "--scheduler", dask_scheduler)


def rota_folder(folder: Path, header: str, files: dict[str, list[str]]) -> Path:
    """A folder of small CSV rotas sharing one header, a line per row."""
    folder.mkdir()
    for name, rows in files.items():
        (folder / name).write_text("".join(line + "\n" for line in [header, *rows]))
    return folder


def assert_same(pandas, dask):
    assert pandas.exit_code in (0, 1), pandas.output
    assert (dask.exit_code, dask.stdout) == (pandas.exit_code, pandas.stdout), dask.output


@pytest.mark.parametrize("options", [
    (),
    ("--times", "actual"),
    ("--period", "fortnight"),
    ("--period", "month", "--period-start", "2026-10-15"),
    ("--only", "continuity", "--continuity", "0.8", "--team-size", "2"),
    ("--only", "pay", "--wage", "rlw"),
    ("--only", "visits", "--min-visit", "20"),
    ("--include-locations",),
])
def test_example_report_is_the_same_on_both_engines(dask_scheduler, options):
    pandas, dask = both(dask_scheduler, EXAMPLES / "rota.csv", *SHARED, *options)
    assert_same(pandas, dask)
    report = json.loads(dask.stdout)
    assert report["summary"]["visits"] == 708 and report["findings"]  # a real report, not two empty ones


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_csv_and_terminal_reports_are_the_same(dask_scheduler, fmt):
    assert_same(*both(dask_scheduler, EXAMPLES / "rota.csv", *SHARED, fmt=fmt))


def test_html_report_is_the_same(dask_scheduler, tmp_path):
    pages = []
    for engine in (["--engine", "pandas"], ["--engine", "dask", "--scheduler", dask_scheduler]):
        page = tmp_path / f"{engine[1]}.html"
        result = run("audit", EXAMPLES / "rota.csv", *SHARED, "--html", page, "-q", *engine)
        assert result.exit_code == 1, result.output
        pages.append(page.read_bytes())
    assert pages[0] == pages[1] and b"Visits" in pages[0]


@pytest.mark.parametrize("rota, options", [("canonical.csv", ()), ("roster-export.csv", ()),
                                           ("rota.xlsx", ("--sheet", "Visits"))])
def test_export_layouts_are_the_same(dask_scheduler, rota, options):
    formats = EXAMPLES / "formats"
    assert_same(*both(dask_scheduler, formats / rota, "--clients", formats / "clients.csv", "--as-of", "2026-11-23",
                      *options))


@pytest.mark.parametrize("rota", ["compact.csv", "rural.csv", "mixed.csv"])
def test_tender_rotas_are_the_same(dask_scheduler, rota):
    assert_same(*both(dask_scheduler, EXAMPLES / "tenders" / rota, "--as-of", "2026-11-23"))


def test_travel_matrix_with_modes_is_the_same(dask_scheduler, tmp_path):
    ids = pd.read_csv(EXAMPLES / "clients.csv")["client_id"].tolist()[:8]
    matrix = tmp_path / "matrix.csv"
    matrix.write_text("from_client,to_client,minutes,mode\n"
                      + "".join(f"{a},{b},7,\n{a},{b},19,walk\n" for a in ids for b in ids if a != b))
    pandas, dask = both(dask_scheduler, EXAMPLES / "rota.csv", *SHARED, "--travel-matrix", matrix)
    assert_same(pandas, dask)
    assert "travel leg(s) estimated" in json.loads(dask.stdout)["notes"][-1] or json.loads(dask.stdout)["notes"]


def test_payslips_including_a_worker_with_no_visits(dask_scheduler, write):
    rota = write("rota.csv", "worker_id,client_id,start,end,lat,lon",
                 "w1,A,2026-11-02 08:00,2026-11-02 09:00,53.80,-1.55",
                 "w1,B,2026-11-02 09:20,2026-11-02 10:00,53.81,-1.54",
                 "w2,A,2026-11-03 08:00,2026-11-03 09:00,53.80,-1.55")
    slips = write("slips.csv", "worker_id,period_start,period_end,gross_pay",
                  "w1,2026-11-02,2026-11-08,20", "w2,2026-11-02,2026-11-08,15", "w9,2026-11-02,2026-11-08,99")
    pandas, dask = both(dask_scheduler, rota, "--payslips", slips, "--as-of", "2026-11-23")
    assert_same(pandas, dask)
    assert "w9" in {w["worker_id"] for w in json.loads(dask.stdout)["workers"]}


def test_a_client_with_two_homes_uses_the_first_in_visit_order_across_files(dask_scheduler, tmp_path):
    """The first location is the first in the whole dataset's visit order (by worker, then time): here
    the one in b.csv, as w1 comes before w2. A partition holding only a.csv would take H next to K."""
    folder = rota_folder(tmp_path / "rotas", "worker_id,client_id,start,end,lat,lon,hourly_rate", {
        "a.csv": ["w2,H,2026-11-02 08:00,2026-11-02 09:00,53.801,-1.55,12",
                  "w2,K,2026-11-02 09:10,2026-11-02 10:00,53.80,-1.55,12"],
        "b.csv": ["w1,H,2026-11-03 08:00,2026-11-03 09:00,53.70,-1.55,12",
                  "w1,K,2026-11-03 09:05,2026-11-03 10:00,53.80,-1.55,12"],
    })
    args = ["audit", folder, "--as-of", "2026-11-23", "--format", "json", "--include-locations"]
    pandas = run(*args)
    dask = run(*args, "--engine", "dask", "--scheduler", dask_scheduler, "--partitions", "2")
    assert_same(pandas, dask)
    report = json.loads(dask.stdout)
    assert any("1 client(s) have more than one location" in n for n in report["notes"])
    (home,) = [(c["lat"], c["lon"]) for c in report["clients"] if c["client_id"] == "H"]
    assert home == (53.7, -1.55)
    (w2,) = [w for w in report["workers"] if w["worker_id"] == "w2"]
    assert w2["travel_hours"] > 5 / 60  # 11 km from H's first home, not 100 m


@pytest.fixture(scope="module")
def synthetic_200k(tmp_path_factory):
    """A synthetic rota of about 200,000 visits split across six uneven files, workers cut between
    files, one of them Parquet."""
    root = tmp_path_factory.mktemp("synth200k")
    write(synthesise(SynthSpec(workers=1072, clients=2681, weeks=4, seed=11)), root)
    lines = (root / "rota.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    folder = root / "split"
    folder.mkdir()
    cuts = [0, 1, 18, 40_018, 40_021, 130_000, len(body)]
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        text = header + "".join(body[a:b])
        if k == 4:  # as Parquet, every column text: rows are numbered by record
            frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"part{k}.parquet",
                           row_group_size=20_000)
        else:
            (folder / f"part{k}.csv").write_text(text, encoding="utf-8")
    return root, folder, len(body)


@pytest.mark.parametrize("options", [(), ("--times", "actual", "--period", "fortnight", "--partitions", "3")])
def test_200k_visits_in_uneven_files_give_the_same_report(dask_scheduler, synthetic_200k, options):
    root, folder, visits = synthetic_200k
    shared = ["--clients", root / "clients.csv", "--workers", root / "workers.csv", "--as-of", "2026-11-23"]
    pandas = run("audit", folder, *shared, *options[:4], "--format", "json")
    dask = run("audit", folder, *shared, *options, "--format", "json", "--engine", "dask",
               "--scheduler", dask_scheduler)
    assert_same(pandas, dask)
    report = json.loads(dask.stdout)
    assert report["summary"]["visits"] == visits > 190_000
    assert set(report["summary"]["findings_by_rule"].values()) != {0}


def test_a_parquet_file_is_read_in_parts_of_whole_row_groups(synthetic_200k):
    _, folder, _ = synthetic_200k
    parts = [p for p in dataset_parts(dataset_files(str(folder)), rows=50_000) if p.parquet]
    assert [p.first for p in parts] == [1, 60_001]  # 20,000-row groups: three, then the last two
    assert [len(p.row_groups) for p in parts] == [3, 2]


# --- convert -----------------------------------------------------------------------------------------

def test_convert_writes_weekly_periods_and_audits_to_the_same_report(dask_scheduler, tmp_path):
    out = tmp_path / "rota.parquet"
    result = run("convert", EXAMPLES / "rota.csv", "--to", "parquet", out, "--format", "json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["visits"] == 708 and done["periods"] == ["2026-11-02"]
    files = sorted(out.rglob("*.parquet"))
    assert [f.parent.name for f in files] == ["period=2026-11-02"]
    table = pq.read_table(files[0])
    assert table.column("source_row").to_pylist()[:3] == [2, 3, 4]
    assert set(table.column("source_file").to_pylist()) == {str(EXAMPLES / "rota.csv")}
    original = run("audit", EXAMPLES / "rota.csv", *SHARED, "--format", "json")
    for engine in (["--engine", "pandas"], ["--engine", "dask", "--scheduler", dask_scheduler]):
        converted = run("audit", out, *SHARED, "--format", "json", *engine)
        assert (converted.exit_code, converted.stdout) == (original.exit_code, original.stdout)


def test_convert_partitions_by_pay_period(write, tmp_path):
    rota = write("rota.csv", "worker_id,client_id,start,end,lat,lon,hourly_rate",
                 *[f"w1,A,2026-11-{d:02d} 08:00,2026-11-{d:02d} 09:00,53.8,-1.5,12" for d in (1, 2, 9, 16, 30)])
    out = tmp_path / "out"
    assert run("convert", rota, "--to", "parquet", out, "-q").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "period=2026-10-26", "period=2026-11-02", "period=2026-11-09", "period=2026-11-16", "period=2026-11-30"]
    month = tmp_path / "month"
    assert run("convert", rota, "--to", "parquet", month, "--period", "month", "-q").exit_code == 0
    assert sorted(p.name for p in month.iterdir()) == ["period=2026-11-01"]


def test_convert_refuses_a_folder_with_files_unless_overwrite(write, tmp_path):
    rota = write("rota.csv", "worker_id,client_id,start,end,lat,lon,hourly_rate",
                 "w1,A,2026-11-02 08:00,2026-11-02 09:00,53.8,-1.5,12")
    out = tmp_path / "out"
    assert run("convert", rota, "--to", "parquet", out, "-q").exit_code == 0
    again = run("convert", rota, "--to", "parquet", out)
    assert again.exit_code == 2 and "expected an empty or new folder" in again.stderr
    assert run("convert", rota, "--to", "parquet", out, "--overwrite", "-q").exit_code == 0
    assert len(list(out.rglob("*.parquet"))) == 1


def test_convert_refuses_a_rota_the_audit_refuses(tmp_path):
    result = run("convert", DATA / "badinputs" / "end_before_start.csv", "--to", "parquet", tmp_path / "out")
    assert result.exit_code == 2
    assert "end_before_start.csv, row" in result.stderr
    assert not list(tmp_path.rglob("*.parquet"))


def test_typed_parquet_audits_like_its_csv(dask_scheduler, tmp_path):
    """Parquet from elsewhere, with real timestamp (zoned), number and boolean columns."""
    csv = tmp_path / "rota.csv"
    csv.write_text("worker_id,client_id,start,end,lat,lon,hourly_rate,agreed_short\n"
                   "w1,A,2026-11-02T08:00:00Z,2026-11-02T08:20:00Z,53.8,-1.55,11.5,false\n"
                   "w1,B,2026-11-02T08:40:00Z,2026-11-02T09:40:00Z,53.81,-1.54,11.5,true\n")
    typed = pa.table({
        "worker_id": ["w1", "w1"], "client_id": ["A", "B"],
        "start": pa.array(pd.to_datetime(["2026-11-02 08:00", "2026-11-02 08:40"]).tz_localize("UTC")),
        "end": pa.array(pd.to_datetime(["2026-11-02 08:20", "2026-11-02 09:40"]).tz_localize("UTC")),
        "lat": [53.8, 53.81], "lon": [-1.55, -1.54], "hourly_rate": [11.5, 11.5], "agreed_short": [False, True],
    })
    pq.write_table(typed, tmp_path / "rota.parquet")
    expected = run("audit", csv, "--format", "json", "--as-of", "2026-11-23")
    for engine in (["--engine", "pandas"], ["--engine", "dask", "--scheduler", dask_scheduler]):
        got = run("audit", tmp_path / "rota.parquet", "--format", "json", "--as-of", "2026-11-23", *engine)
        assert got.exit_code == expected.exit_code == 1
        a, b = json.loads(expected.stdout), json.loads(got.stdout)
        assert a["workers"] == b["workers"] and a["summary"] == b["summary"]
        # a CSV's rows are its lines (the header is row 1); a Parquet file's are its records
        rows = [(f["rule"], f["row"]) for f in a["findings"] if f["row"] is not None]
        assert [(f["rule"], f["row"]) for f in b["findings"] if f["row"] is not None] == [(r, n - 1) for r, n in rows]
        assert rows  # the short visit on CSV row 2 is Parquet record 1


# --- errors and exit codes ---------------------------------------------------------------------------

BAD = sorted((DATA / "badinputs").glob("*.csv"))


@pytest.mark.parametrize("bad", BAD, ids=[p.name for p in BAD])
def test_bad_inputs_give_the_same_error_on_dask(dask_scheduler, bad):
    """An input error raised on a Dask worker reaches the user as the pandas engine words it: exit 2,
    the file, row and column, no traceback."""
    pandas, dask = both(dask_scheduler, bad, "--as-of", "2026-11-23")
    if pandas.exit_code != 2:  # a readable rota with findings (overlapping visits, say)
        assert_same(pandas, dask)
        return
    assert (dask.exit_code, dask.stderr) == (2, pandas.stderr)
    assert "Traceback" not in dask.output and str(bad) in dask.stderr


def test_a_bad_file_in_a_folder_is_named(dask_scheduler, tmp_path):
    folder = tmp_path / "region"
    folder.mkdir()
    (folder / "a.csv").write_bytes((EXAMPLES / "rota.csv").read_bytes())
    (folder / "b.csv").write_bytes((DATA / "badinputs" / "bad_datetime.csv").read_bytes())
    (folder / ".hidden.csv").write_text("not,a,rota\n")  # hidden and temporary files are not part of it
    for engine in (["--engine", "pandas"], ["--engine", "dask", "--scheduler", dask_scheduler]):
        result = run("audit", folder, *engine)
        assert result.exit_code == 2 and f"{folder / 'b.csv'}, row" in result.stderr, result.output


def test_an_error_found_in_the_audit_names_the_file_of_its_row(dask_scheduler, tmp_path):
    """A client with no home, or a pay period with no wage-floor rate, shows up only once the files
    are one rota: the row named is in its own file, and the error names that file, not the folder.
    (The Dask engine keeps no rows for the second: there it names the folder.)"""
    header = "visit_id,worker_id,client_id,start,end,hourly_rate,lat,lon"
    folder = rota_folder(tmp_path / "region", header, {
        "a.csv": ["V1,W1,C1,2026-11-02 08:00,2026-11-02 08:30,13,53.64,-1.78",
                  "V2,W1,C2,2026-11-02 09:00,2026-11-02 09:30,13,53.65,-1.79"],
        "b.csv": ["V3,W2,C1,2026-11-02 08:00,2026-11-02 08:30,13,53.64,-1.78",
                  "V4,W2,C9,2026-11-02 09:00,2026-11-02 09:30,13,,"],
    })
    for engine in (["--engine", "pandas"], ["--engine", "dask", "--scheduler", dask_scheduler]):
        result = run("audit", folder, *engine)
        assert result.exit_code == 2, result.output
        assert f"{folder / 'b.csv'}, row 3, column 'lat/lon': no location for client 'C9'" in result.stderr
    old = rota_folder(tmp_path / "old", header, {
        "a.csv": ["V1,W1,C1,2026-11-02 08:00,2026-11-02 08:30,13,53.64,-1.78"],
        "b.csv": ["V3,W2,C1,2012-11-02 08:00,2012-11-02 08:30,13,53.64,-1.78"],
    })
    result = run("audit", old, "--wage", "rlw")
    assert result.exit_code == 2 and f"{old / 'b.csv'}, row 2, column 'start'" in result.stderr, result.output


def test_dataset_that_names_no_files(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("audit", tmp_path / "empty")
    assert result.exit_code == 2 and "expected a folder holding rota files" in result.stderr
    result = run("audit", str(tmp_path / "nothing-*.csv"))
    assert result.exit_code == 2 and "expected this pattern to match at least one file" in result.stderr


def test_glob_and_folder_name_the_same_files(tmp_path):
    (tmp_path / "p=1").mkdir()
    for name in ("p=1/b.parquet", "a.csv", "c.tsv", "_SUCCESS", "~$open.xlsx", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert dataset_files(str(tmp_path)) == [str(tmp_path / n) for n in ("a.csv", "c.tsv", "p=1/b.parquet")]
    assert dataset_files(str(tmp_path / "*.csv")) == [str(tmp_path / "a.csv")]


def test_options_only_for_dask_are_usage_errors():
    for option in (["--scheduler", "tcp://127.0.0.1:8786"], ["--partitions", "4"]):
        result = run("audit", EXAMPLES / "rota.csv", *option)
        assert result.exit_code == 2 and "needs --engine dask" in result.output
    assert run("audit", EXAMPLES / "rota.csv", "--engine", "dask", "--partitions", "0").exit_code == 2


def test_stdin_is_refused_by_the_dask_engine():
    result = run("audit", "-", "--engine", "dask", input=(EXAMPLES / "rota.csv").read_text())
    assert result.exit_code == 2 and "the Dask engine reads a dataset from disk" in result.stderr


def test_a_scheduler_that_is_not_there(monkeypatch):
    import distributed

    def refuse(*args, **kwargs):
        raise OSError("Timed out trying to connect")

    monkeypatch.setattr(distributed, "Client", refuse)
    result = run("audit", EXAMPLES / "rota.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "expected a running Dask scheduler at tcp://127.0.0.1:9" in result.stderr


def test_without_dask_installed(monkeypatch):
    from carerota.dask_engine import require_dask

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'carerota\[dask\]'"):
        require_dask()


def test_exit_codes_as_a_process(dask_scheduler, tmp_path):
    base = [sys.executable, "-m", "carerota", "audit"]
    dask = ["--engine", "dask", "--scheduler", dask_scheduler, "-q", "-f", "json"]
    findings = subprocess.run([*base, EXAMPLES / "rota.csv", *dask], capture_output=True, cwd=tmp_path)
    assert findings.returncode == 1 and json.loads(findings.stdout)["summary"]["visits"] == 708
    clean = tmp_path / "clean.csv"
    clean.write_text("worker_id,client_id,start,end,lat,lon,hourly_rate\n"
                     "w1,A,2026-11-02 08:00,2026-11-02 09:00,53.8,-1.55,20\n")
    ok = subprocess.run([*base, clean, *dask, "--min-visit", "30"], capture_output=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*base, DATA / "badinputs" / "empty.csv", *dask], capture_output=True, cwd=tmp_path)
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr and b"empty.csv" in bad.stderr


def test_visit_dtypes_cover_every_column_the_loader_gives(tmp_path):
    """The Dask engine casts every part to VISIT_DTYPES, so a shuffle can stack them: the table must
    name each column the loader can give, with a dtype the loader's values keep."""
    from carerota.dask_engine import VISIT_DTYPES, canonical
    from carerota.load import load_rota

    rota = tmp_path / "rota.csv"
    rota.write_text("visit_id,worker_id,client_id,start,end,actual_start,actual_end,lat,lon,visit_pay,hourly_rate,"
                    "travel_pay,mileage_pay,visit_type,agreed_short,window_start,window_end,required_skill,carers\n"
                    "V1,w1,A,2026-11-02 08:00,2026-11-02 09:00,2026-11-02 08:05,2026-11-02 09:00,53.8,-1.5,12,,"
                    "1,0.4,personal care,false,2026-11-02 07:30,2026-11-02 09:30,hoist,1\n")
    for source in (rota, EXAMPLES / "rota.csv"):
        visits = load_rota(source).visits
        assert set(visits.columns) == set(VISIT_DTYPES)
        assert canonical(visits).astype(str).equals(visits[list(VISIT_DTYPES)].astype(str))


@pytest.mark.parametrize("content", [b"", b"hello", b"PAR1" + b"\0" * 20 + b"PAR1"])
def test_a_file_named_parquet_that_is_not_is_an_input_error(tmp_path, content):
    bad = tmp_path / "rota.parquet"
    bad.write_bytes(content)
    result = run("audit", bad)
    assert result.exit_code == 2 and f"{bad}: expected a Parquet file; it cannot be read" in result.stderr


def test_parquet_without_the_required_columns_names_them(tmp_path):
    pq.write_table(pa.table({"carer": ["w1"], "when": ["2026-11-02 08:00"]}), tmp_path / "rota.parquet")
    result = run("audit", tmp_path / "rota.parquet")
    assert result.exit_code == 2 and "missing required column 'client_id'" in result.stderr
    assert "The Parquet file has the columns: carer, when." in result.stderr


def test_progress_counts_the_stages_results_up_to_their_total(dask_scheduler):
    from carerota.dask_engine import audit_dataset

    calls = []
    result = audit_dataset(str(EXAMPLES / "rota.csv"), scheduler=dask_scheduler, partitions=3,
                           progress=lambda done, total: calls.append((done, total)))
    assert result.summary["visits"] == 708
    assert calls[0] == (0, 7) and calls[-1] == (7, 7)  # the facts, and 3 worker and 3 client partitions
    assert [d for d, _ in calls] == list(range(8))


def test_the_progress_bar_shows_on_a_terminal(dask_scheduler):
    import io

    from rich.console import Console

    from carerota import report

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with report.steps(console, "Auditing on Dask") as step:
        step(0, 4)
        step(4, 4)
    assert "Auditing on Dask" in out.getvalue()
    quiet = Console(file=io.StringIO(), force_terminal=False)
    with report.steps(quiet, "Auditing on Dask") as step:
        step(1, 2)  # a no-op when stderr is not a terminal
    assert quiet.file.getvalue() == ""
