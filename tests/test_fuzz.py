"""Hostile and broken input: whatever bytes a rota, clients or workers file holds, ``carerota audit``
ends with an audit (exit 0 or 1, JSON with a summary) or a clear input error (exit 2, naming the
file), never a traceback or a hang.

The fuzzer starts from small valid files and mutates them (cells, columns, rows, quoting, delimiters,
line ends, encodings, BOMs, truncation, stray bytes), so most cases get past the header into the
parsers. The bounded run is part of ``make test``: derandomised and database-free, so every run tries
the same cases. A long run explores new cases each time:

    CAREROTA_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q -p no:cacheprovider

(about 20 minutes per thousand examples of each of the three tests; add --hypothesis-show-statistics
for the share of audits and input errors, and --hypothesis-seed=N to repeat a run; a failure prints
the smallest file found and a ``@reproduce_failure`` blob).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import lzma
import os
import signal
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from carerota import read
from carerota.cli import app
from carerota.load import MAX_MONEY, load_clients, load_rota, load_workers
from carerota.read import MAX_HEADER_BYTES, MAX_ROW_BYTES, READ_BLOCK, Reading

EXAMPLES = Path(__file__).parent.parent / "examples"

LONG_RUN = int(os.environ.get("CAREROTA_FUZZ_EXAMPLES", "0"))
EXAMPLE_SECONDS = 20  # one small file; a hang is anything slower

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # an overflow or NaN cast is a wrong figure

FUZZ = settings(
    max_examples=LONG_RUN or 120,
    derandomize=not LONG_RUN,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ROTA = """\
visit_id,worker_id,client_id,start,end,actual_start,actual_end,lat,lon,visit_pay,hourly_rate,travel_pay,mileage_pay,visit_type,agreed_short
V0001,W01,C10,2026-11-02 07:00,2026-11-02 07:15,2026-11-02 07:01,2026-11-02 07:15,53.65999,-1.82039,5.50,,,0.00,medication,false
V0002,W01,C16,2026-11-02 07:35,2026-11-02 08:05,2026-11-02 07:35,2026-11-02 08:08,53.65868,-1.83537,9.50,,,0.36,personal care,false
V0003,W01,C15,2026-11-02 08:05,2026-11-02 08:35,2026-11-02 08:08,2026-11-02 08:39,53.65812,-1.80341,9.50,,,0.77,personal care,false
V0004,W02,C10,2026-11-02 11:45,2026-11-02 12:15,2026-11-02 11:44,2026-11-02 12:15,53.65999,-1.82039,,12.21,1.20,1.57,meal,true
V0005,W02,C15,2026-11-02 12:15,2026-11-02 12:45,2026-11-02 12:15,2026-11-02 12:44,53.65812,-1.80341,,12.21,1.20,0.41,meal,false
V0006,W02,C16,2026-11-03 07:00,2026-11-03 07:15,2026-11-03 07:01,2026-11-03 07:16,53.65868,-1.83537,,12.21,,0.00,medication,false
"""

ROTA_BY_DAY = """\
Visit Ref,Carer,Client,Date,Planned Start,Planned End,Actual Start,Actual Duration,Hourly Rate,window_start,window_end,carers,required_skill,Latitude,Longitude
V1,W01,C10,02/11/2026,07:00,07:30,07:02,00:29,£12.50,06:45,07:15,1,,53.65999,-1.82039
V2,W01,C16,02/11/2026,07:45,08:15,07:50,25,£12.50,07:30,08:00,2,hoist,53.65868,-1.83537
V3,W02,C16,02/11/2026,07:45,08:15,07:52,00:23:00,"£1,012.50",07:30,08:00,2,hoist,53.65868,-1.83537
V4,W02,C15,02/11/2026,23:30,00:15,23:35,40,£12.50,,,1,,53.65812,-1.80341
V5,W01,C10,03/11/2026,07:00,07:30,00:01,30,12.5,,,,,53.65999,-1.82039
"""

ROTA_NO_HOMES = """\
visit_id,worker_id,client_id,start,duration,actual_start,actual_end,hourly_rate
V1,W01,C10,2026-11-02T07:00:00Z,30,2026-11-02 07:01,2026-11-02 07:31,12.21
V2,W01,C16,2026-11-02T07:45:00+00:00,00:30,2026-11-02 07:44,2026-11-02 08:15,12.21
V3,W02,C15,2026-10-25 01:30,45,2026-10-25 01:31,2026-10-25 02:10,12.21
V4,W02,C10,2026-03-29 01:30,30,,,12.21
"""

CLIENTS = """\
client_id,lat,lon,named_team
C10,53.65999,-1.82039,W01;W02
C15,53.65812,-1.80341,W02
C16,53.65868,-1.83537,
"""

WORKERS = """\
worker_id,date_of_birth,age,travel_mode,london,availability
W01,1971-04-18,,drive,false,Mon 07:00-13:00; 2026-11-03 07:00-12:00
W02,,19,walk,yes,daily 06:00-22:00
"""

PAYSLIPS = """\
worker_id,period_start,period_end,gross_pay,expenses
W01,2026-11-02,2026-11-08,250.00,10
W02,2026-11-02,2026-11-08,180.50,
"""

ABSURD = [
    "", " ", "  \t ", "0", "-0", "-1", "1e308", "-1e308", "1e-320", "inf", "-inf", "Infinity", "nan", "NaN", "NA",
    "null", "None", "99999999999999999999999999999", "9" * 400, "0x1A", "1_000", "£", "£ 12.50", "£-5", "£1,234.50",
    "1,234,5", "12,50", "1.2.3", "１２", "٣", "½", "true", "false", "yes", "TRUE", "2", "24:00", "24:01", "25:00",
    "23:59:60", "00:00", "-00:30", "99:99", "2026-11-02", "2026-11-02 08:00", "2026-11-02T08:00", "02/11/2026 08:00",
    "31/02/2026 08:00", "2026-02-30 08:00", "2026-13-01 08:00", "0001-01-01 00:00", "9999-12-31 23:59",
    "1677-09-21 00:12", "2262-04-12 00:00", "10000-01-01 00:00", "2026-11-02 08:00+14:00", "2026-11-02 08:00-12:00",
    "2026-11-02 08:00:00.123456789Z", "2026-11-02T08:00:00+99:99", "1999-12-31T23:59:59Z", "2026-10-25 01:30",
    "2026-03-29 01:30", "02/11/2026", "2/11/26 8:00", "Mon 07:00-13:00", "daily 25:00-26:00", "2026-02-30 07:00-08:00",
    "drive", "WALK", "teleport", "W01;W02", "W01", "C10", "'", '"', '""', '"quoted"', "a,b", "a;b", "a\tb", "a|b",
    "line\nbreak", "line\r\nbreak", "cr\rbreak", "\u2028", "\x85", "\x00", "\x1a", "\x7f", "\ufeff", "\ud7ff",
    "Zoë", "£€", "😀", "=cmd|' /C calc'!A0", "<script>", "\\", "%s%n", "AB11 6EW", "BT1 1AA", "ZZ99 9ZZ",
]
HEADERS = ["visit_id", "worker_id", "client_id", "start", "end", "date", "duration", "actual_start",
           "actual_end", "actual_duration", "lat", "lon", "postcode", "visit_pay", "hourly_rate", "travel_pay",
           "mileage_pay", "visit_type", "agreed_short", "window_start", "window_end", "required_skill", "carers",
           "named_team", "age", "date_of_birth", "travel_mode", "london", "availability", "home_lat", "home_lon",
           "home_postcode", "skills", "Carer", "Client", "Planned Start", "PlannedStart", "START", " start ",
           "", "unnamed", "worker_id.1"]

cells = st.one_of(
    st.sampled_from(ABSURD),
    st.text(max_size=12),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet="0123456789:-/ .TZ+", max_size=22),
    st.integers(1, 5000).map(lambda n: "x" * n),
)


@st.composite
def mutated_grid(draw, text: str) -> list[list[str]]:
    """The rows of a valid file with a few edits to cells, columns and rows."""
    grid = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, 5]))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "column", "header", "drop column", "copy column",
                                   "add column", "short row", "long row", "drop row", "copy row", "blank row",
                                   "whitespace row", "swap rows"]))
        width = max((len(row) for row in grid), default=0)
        if not grid or not width:
            break
        lowest = 0 if op in ("cell", "short row", "long row") else 1  # the header is edited, not moved
        r = min(draw(st.integers(lowest, 9)), len(grid) - 1)
        c = draw(st.integers(0, width - 1))
        if op == "cell" and c < len(grid[r]):
            grid[r][c] = draw(cells)
        elif op == "column":
            value = draw(cells)
            for row in grid[1:]:
                if c < len(row):
                    row[c] = value
        elif op == "header" and c < len(grid[0]):
            grid[0][c] = draw(st.one_of(st.sampled_from(HEADERS), st.text(max_size=10)))
        elif op == "drop column":
            grid = [row[:c] + row[c + 1:] for row in grid]
        elif op == "copy column":
            grid = [row + row[c:c + 1] for row in grid]
        elif op == "add column":
            value = draw(cells)
            grid = [grid[0] + [draw(st.sampled_from(HEADERS))]] + [row + [value] for row in grid[1:]]
        elif op == "short row" and grid[r]:
            grid[r] = grid[r][:-1]
        elif op == "long row":
            grid[r] = grid[r] + [draw(cells)]
        elif op == "drop row":
            del grid[r]
        elif op == "copy row":
            grid.insert(r, list(grid[r]))
        elif op == "blank row":
            grid.insert(r, [""] * width)
        elif op == "whitespace row":
            grid.insert(r, [" "] * width)
        elif op == "swap rows":
            s = min(draw(st.integers(1, 9)), len(grid) - 1)
            grid[r], grid[s] = grid[s], grid[r]
    return grid


@st.composite
def file_bytes(draw, text: str) -> bytes:
    """A valid file mutated: grid edits, then how it is written (delimiter, quoting, line ends,
    encoding), then edits to the bytes."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=2000))
    grid = draw(mutated_grid(text))
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quoting = draw(st.sampled_from(["minimal", "minimal", "all", "none"]))
    if quoting == "none":
        lines = [delimiter.join(row) for row in grid]
    else:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n",
                   quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL).writerows(grid)
        lines = out.getvalue().split("\n")[:-1]
    body = newline.join(lines) + draw(st.sampled_from([newline, "", newline * 3]))
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "cp1252", "utf-16", "utf-16-le", "latin-1"]))
    data = body.encode(encoding, errors="replace")
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["truncate", "insert", "delete", "flip"]))
        if op == "truncate":
            data = data[:at]
        elif op == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)):]
        elif op == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    return data


# what a problem's message says about the file: what was expected, or what is missing
EXPLAINED = ("expected", "missing required column", "two columns mean", "no location for", "cannot be both")


class Hang(Exception):
    pass


@contextmanager
def time_bound(seconds: int):
    """Fail an example that runs longer than ``seconds`` (a hang), rather than waiting for ever."""

    def expire(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def audit(path: Path, *extra: str, input: bytes | None = None):
    with time_bound(EXAMPLE_SECONDS):
        return CliRunner().invoke(app, ["audit", str(path), "--format", "json", "--quiet", *extra],
                                  input=input, env={"COLUMNS": "120"}, prog_name="carerota")


def check(result, *names: str) -> None:
    """An audit or a clear input error naming one of the files: nothing else."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        message = result.stderr
        assert message.startswith("error: "), message
        assert any(name in message for name in names), message
        for line in message.removeprefix("error: ").splitlines():
            if line.startswith(names):
                assert any(words in line for words in EXPLAINED), message
                assert ", row " in line or "column '" not in line, message
    else:
        assert "summary" in json.loads(result.stdout)


@FUZZ
@given(data=st.one_of(file_bytes(ROTA), file_bytes(ROTA_BY_DAY)))
def test_any_rota_is_audited_or_rejected_clearly(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "rota.csv"
    path.write_bytes(data)
    result = audit(path)
    check(result, str(path))
    event(f"exit {result.exit_code}")


@FUZZ
@given(which=st.sampled_from(["rota", "clients", "workers", "payslips"]), data=st.data())
def test_any_rota_clients_workers_and_payslips_are_audited_or_rejected_clearly(tmp_path_factory, which, data):
    folder = tmp_path_factory.mktemp("fuzz")
    texts = {"rota": ROTA_NO_HOMES, "clients": CLIENTS, "workers": WORKERS, "payslips": PAYSLIPS}
    paths = {}
    for kind, text in texts.items():
        paths[kind] = folder / f"{kind}.csv"
        paths[kind].write_bytes(data.draw(file_bytes(text)) if kind == which else text.encode())
    result = audit(paths["rota"], *(option for kind in ("clients", "workers", "payslips")
                                     for option in (f"--{kind}", str(paths[kind]))))
    check(result, *map(str, paths.values()))
    event(f"exit {result.exit_code}")


@FUZZ
@given(data=file_bytes(ROTA))
def test_any_rota_on_stdin_is_audited_or_rejected_clearly(data):
    result = audit(Path("-"), input=data)
    check(result, "<stdin>")
    event(f"exit {result.exit_code}")


def read_outcome(path: Path):
    """A file read as a table (its text, rows, skipped rows and notes), or the input error's words."""
    try:
        table = read.read_table(path, "rota", what="visit")
    except read.InputError as err:
        return str(err)
    return table.frame.to_dict("list"), table.rows.tolist(), table.skipped_rows, table.notes


@FUZZ
@given(data=file_bytes(ROTA))
def test_any_file_reads_the_same_mapped_or_copied(tmp_path_factory, data):
    """Files on disk are mapped (``read.mapped``), stdin is copied: the two must read any bytes alike."""
    path = tmp_path_factory.mktemp("fuzz") / "rota.csv"
    path.write_bytes(data)
    with time_bound(EXAMPLE_SECONDS):
        mapped = read_outcome(path)
        with mock.patch.object(read, "mapped", lambda stream, length: stream.read()):
            assert read_outcome(path) == mapped


def test_the_fuzzer_starts_from_valid_files(tmp_path):
    for text in (ROTA, ROTA_BY_DAY):
        assert audit(written(tmp_path, text.encode())).exit_code == 1
    others = [(f"--{kind}", str(written(tmp_path, text.encode(), f"{kind}.csv")))
              for kind, text in (("clients", CLIENTS), ("workers", WORKERS), ("payslips", PAYSLIPS))]
    assert audit(written(tmp_path, ROTA_NO_HOMES.encode()), *sum(others, ())).exit_code == 1


# --- what the fuzzer found, and the limits: one explicit example each -----------------------------

HEADER = "worker_id,client_id,start,end,lat,lon,hourly_rate"
VISIT = "W1,C1,2026-11-02 08:00,2026-11-02 09:00,53.6,-1.8,12.50"


def written(tmp_path, data: bytes, name: str = "rota.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rejected(source: Path, *options: str, says: tuple[str, ...], input: bytes | None = None) -> str:
    """The message of an audit that must end in a clear input error naming ``source``, and saying each
    of ``says``."""
    result = audit(source, *options, input=input)
    check(result, "<stdin>" if str(source) == "-" else str(source))
    assert result.exit_code == 2, result.output
    for words in says:
        assert words in result.stderr, result.stderr
    return result.stderr


def test_lone_carriage_returns_end_lines(tmp_path):
    """Old Mac exports end lines with CR alone: the header was parsed as one line, a csv.Error."""
    path = written(tmp_path, f"{HEADER}\r{VISIT}\r{VISIT.replace('W1', 'W2')}\r".encode())
    assert load_rota(path).visits["worker_id"].tolist() == ["W1", "W2"]


def test_lone_carriage_returns_among_blank_lines_are_numbered(tmp_path):
    """A lone CR (a line end to pyarrow) among blank lines gave more records than line numbers: an
    IndexError. Rows are now the lines an editor shows."""
    data = f"{HEADER}\r\n\r\n{VISIT}\r{VISIT}\r\n\r\nW1,C1,2026-11-02 10:00,soon,53.6,-1.8,12.50\r\n"
    rejected(written(tmp_path, data.encode()), says=("row 6, column 'end'", "'soon'"))


def test_empty_rows_of_clients_and_workers_are_reported(tmp_path):
    """Empty rows were left out of the clients and workers files without a word, as they are not of a rota."""
    clients = load_clients(written(tmp_path, b"client_id,lat,lon\nC1,53.6,-1.8\n,,\n", "clients.csv"))
    workers = load_workers(written(tmp_path, b"worker_id,age\n , \nW1,30\n", "workers.csv"))
    assert any("skipped 1 empty row(s): 3" in note for note in clients.attrs["notes"])
    assert any("skipped 1 empty row(s): 2" in note for note in workers.attrs["notes"])


def test_nanoseconds_are_cut_to_microseconds(tmp_path):
    """Text with nine decimals of a second parsed to nanoseconds, which the microsecond column refused."""
    path = written(tmp_path, f"{HEADER}\nW1,C1,2026-11-02 08:00:00.123456789Z,2026-11-02 09:00,53.6,-1.8,12.50\n"
                   .encode())
    assert load_rota(path).visits.loc[0, "start"] == pd.Timestamp("2026-11-02 08:00:00.123456", tz="UTC")


def test_a_mistyped_year_is_an_error(tmp_path):
    """A visit or pay period in year 9999 overflowed Python's dates when pay periods were counted."""
    path = written(tmp_path, f"{HEADER}\nW1,C1,9999-12-31 08:00,9999-12-31 09:00,53.6,-1.8,12.50\n".encode())
    rejected(path, says=("row 2, column 'start'", "expected a date from 1999-04-01 to 2099-12-31"))
    payslips = written(tmp_path, b"worker_id,period_start,period_end,gross_pay\nW1,2026-11-01,9999-12-31,100\n", "p.csv")
    result = audit(written(tmp_path, f"{HEADER}\n{VISIT}\n".encode()), "--payslips", str(payslips))
    check(result, str(payslips))
    assert result.exit_code == 2 and f"{payslips}, row 2, column 'period_end'" in result.stderr


def test_absurd_money_is_an_error_not_an_overflow(tmp_path):
    """£9.2e16 overflowed integer pence into a wrong total (a RuntimeWarning); money now has a ceiling."""
    path = written(tmp_path, f"{HEADER},visit_pay\n{VISIT},9.223372036854774e+16\n".encode())
    rejected(path, says=("row 2, column 'visit_pay'", f"between 0 and {MAX_MONEY}"))


def test_header_without_a_line_end_has_no_rows(tmp_path):
    """pyarrow cannot skip a header with no line end after it, and said so in its own words."""
    rejected(written(tmp_path, HEADER.encode()), says=("row 2: expected a visit row after the header",))


def test_blank_first_row_is_not_called_an_empty_file(tmp_path):
    message = rejected(written(tmp_path, f"\n{HEADER}\n{VISIT}\n".encode()), says=("row 1: ", "row 1 is blank"))
    assert "empty" not in message


def test_header_line_over_the_limit_is_named(tmp_path):
    """A first line over 128 KiB made the csv module raise 'field larger than field limit'."""
    data = b"x" * (MAX_HEADER_BYTES + 10) + b"\n" + VISIT.encode()
    rejected(written(tmp_path, data), says=("row 1: ", "longer than 64 KiB"))


def test_line_breaks_in_quoted_cells_of_a_large_file(tmp_path):
    """A quoted line break across pyarrow's block boundary made 'CSV parser got out of sync'; the
    rows are the first lines of their records."""
    record = f'{VISIT},"a note\nover two lines"\n'
    data = f"{HEADER},visit_type\n" + record * (MAX_ROW_BYTES // len(record) + 1000)
    rota = load_rota(written(tmp_path, data.encode()))
    assert len(rota.visits) == MAX_ROW_BYTES // len(record) + 1000
    assert rota.visits["row"].iloc[-1] == 2 * len(rota.visits)
    assert rota.visits.loc[0, "visit_type"] == "a note\nover two lines"


def test_a_ten_megabyte_cell_fails_fast_and_names_its_place(tmp_path):
    for cell in ("x" * 10_000_000, '"' + "x" * 10_000_000 + '"', "x" * (2 << 20)):
        data = f"{HEADER}\n{VISIT}\nW1,{cell},2026-11-02 08:00,2026-11-02 09:00,53.6,-1.8,12.50\n"
        started = time.perf_counter()
        rejected(written(tmp_path, data.encode()), says=("row 3, column 'client_id'", "expected a cell of at most 1 MiB"))
        assert time.perf_counter() - started < 5


def test_a_cell_of_the_limit_is_read_and_one_byte_more_is_not(tmp_path):
    """Columns are looked at cell by cell only where a chunk holds over the limit in all."""
    from carerota.read import MAX_CELL_BYTES
    for extra, fails in ((0, False), (1, True)):
        cell = "x" * (MAX_CELL_BYTES + extra)
        data = f"{HEADER}\n{VISIT}\nW1,C2,2026-11-02 10:00,2026-11-02 11:00,53.6,-1.8,12.50\n" + f"W1,{cell},2026-11-03 08:00,2026-11-03 09:00,53.6,-1.8,12.50\n"
        if fails:
            rejected(written(tmp_path, data.encode()), says=("row 4, column 'client_id'", "found one of 1,048,577 bytes"))
        else:
            assert load_rota(written(tmp_path, data.encode())).visits["client_id"].str.len().max() == MAX_CELL_BYTES


def test_an_open_quote_is_suspected(tmp_path):
    data = f'{HEADER}\nW1,"C1,2026-11-02 08:00,2026-11-02 09:00,53.6,-1.8,12.50\n' + f"{VISIT}\n" * 200_000
    rejected(written(tmp_path, data.encode()), says=("row 2: ", "is a quote left open?"))


def test_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 5)
    data = f"{HEADER}\n" + f"{VISIT}\n" * 6
    rejected(written(tmp_path, data.encode()), says=("expected at most 5 rows", "7 lines", "carerota batch"))
    rejected(Path("-"), input=(data * 10).encode(), says=("stopped reading at row 7",))
    assert audit(written(tmp_path, (f"{HEADER}\n" + f"{VISIT}\n" * 5).encode())).exit_code == 1


def test_row_limit_of_a_spreadsheet(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_ROWS", 5)
    rejected(EXAMPLES / "formats" / "rota.xlsx", "--sheet", "Visits",
             says=("expected at most 5 rows", "the sheet 'Visits' has"))


def test_byte_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_BYTES", 10_000)
    data = (f"{HEADER}\n" + f"{VISIT}\n" * 300).encode()
    rejected(written(tmp_path, data), says=("expected a file of at most 9.8 KiB", "about 301 rows"))
    rejected(Path("-"), input=data, says=("stopped reading there",))
    rejected(EXAMPLES / "formats" / "rota.xlsx", says=("unpacks to",))


def test_endless_binary_input_stops_at_once():
    started = time.perf_counter()
    rejected(Path("-"), input=b"\x00" * (READ_BLOCK * 2), says=("binary",))
    assert time.perf_counter() - started < 5
    if Path("/dev/zero").exists():
        rejected(Path("/dev/zero"), says=("binary",))


@pytest.mark.parametrize("packed,found", [(gzip.compress, "compressed (gzip)"), (lzma.compress, "compressed (xz)"),
                                          (lambda data: zipped(data), "a zip archive (of rota.csv)")])
def test_compressed_files_are_named(tmp_path, packed, found):
    data = packed(f"{HEADER}\n{VISIT}\n".encode())
    rejected(written(tmp_path, data, "rota.csv.gz"), says=(found,))


def zipped(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("rota.csv", data)
    return out.getvalue()


def test_utf32_and_bomless_utf16(tmp_path):
    text = f"{HEADER}\n{VISIT}\n"
    assert load_rota(written(tmp_path, text.encode("utf-32"))).visits.loc[0, "worker_id"] == "W1"
    path = written(tmp_path, text.encode("utf-16-le"))
    assert load_rota(path, Reading(encoding="utf-16-le")).visits.loc[0, "worker_id"] == "W1"


@pytest.mark.parametrize("encode", [
    lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),  # Excel's "CSV UTF-8"
    lambda text: text.encode("cp1252"),  # Excel's "CSV (Comma delimited)"
    lambda text: b"\xef\xbb\xbf" + text.encode("cp1252"),  # a BOM over Windows-1252 cells
])
def test_windows_spreadsheet_export(tmp_path, encode):
    """BOM, Windows-1252 £ and CR LF line ends, together: the figures are read as written."""
    text = ("Worker ID,Client,Start,End,Latitude,Longitude,Visit Pay,Hourly Rate,Mileage\r\n"
            "W1,Zoë,02/11/2026 08:00,02/11/2026 08:30,53.6,-1.8,£12.50,,£0.45\r\n"
            'W2,C2,02/11/2026 09:00,02/11/2026 10:00,53.6,-1.8,,"£1,234.50",\r\n')
    visits = load_rota(written(tmp_path, encode(text))).visits
    assert visits["worker_id"].tolist() == ["W1", "W2"] and visits.loc[0, "client_id"] == "Zoë"
    assert visits.loc[0, "visit_pay"] == 12.50 and visits.loc[0, "mileage_pay"] == 0.45
    assert visits.loc[1, "hourly_rate"] == 1234.50
    assert visits["row"].tolist() == [2, 3]
    assert visits.loc[0, "start"] == pd.Timestamp("2026-11-02 08:00", tz="UTC")
