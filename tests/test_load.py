"""Loading rotas: columns and aliases, date forms, stdin, structure, and rows that are skipped."""

from __future__ import annotations

from concurrent.futures import Future
from unittest import mock

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carerota.errors import InputError
from carerota.load import load_clients, load_payslips, load_rota, load_travel_matrix, load_workers
from carerota.dataset import load_dataset
from carerota.read import Reading, read_ahead, read_table


def test_aliases_and_case_are_matched(write):
    path = write("r.csv", "Carer_ID,Service User ID,Start Time,END,Latitude,LNG,Pay Rate",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.8,-1.55,12.71")
    v = load_rota(path).visits
    assert v.loc[0, "worker_id"] == "W1" and v.loc[0, "client_id"] == "C1"
    assert v.loc[0, "hourly_rate"] == 12.71 and v.loc[0, "lon"] == -1.55


def test_uk_day_first_and_iso_give_the_same_instant(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,02/11/2026 08:00,02/11/2026 08:30:00,5",
                 "W1,C1,2026-11-02T08:00,2026-11-02 08:30,5")
    v = load_rota(path).visits
    assert v.loc[0, "start"] == v.loc[1, "start"] == pd.Timestamp("2026-11-02 08:00", tz="UTC")
    assert v.loc[0, "end"] == v.loc[1, "end"]


def test_naive_times_are_london_time(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-07-01 08:00,2026-07-01 08:30,5")
    assert load_rota(path).visits.loc[0, "start"] == pd.Timestamp("2026-07-01 07:00", tz="UTC")


def test_explicit_offsets_are_kept(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-07-01T08:00:00+01:00,2026-07-01T07:30:00Z,5")
    v = load_rota(path).visits
    assert v.loc[0, "start"] == pd.Timestamp("2026-07-01 07:00", tz="UTC")
    assert v.loc[0, "end"] == pd.Timestamp("2026-07-01 07:30", tz="UTC")


@pytest.mark.parametrize("start,end,minutes", [
    ("2026-03-29 00:30", "2026-03-29 02:30", 60),    # clocks go forward: an hour is skipped
    ("2026-10-25 00:30", "2026-10-25 02:30", 180),   # clocks go back: an hour is repeated
    ("2026-10-25 01:30", "2026-10-25 01:15", 45),    # ends in the repeated hour, GMT reading
])
def test_clock_changes_neither_create_nor_lose_an_hour(write, start, end, minutes):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay", f"W1,C1,{start},{end},5")
    rota = load_rota(path)
    v = rota.visits
    assert (v.loc[0, "end"] - v.loc[0, "start"]).total_seconds() == minutes * 60


def test_a_time_in_the_skipped_hour_is_moved_and_noted(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-03-29 01:30,2026-03-29 03:00,5")
    rota = load_rota(path)
    assert rota.visits.loc[0, "start"] == pd.Timestamp("2026-03-29 01:00", tz="UTC")  # 02:00 BST
    assert any("skipped" in n for n in rota.notes)


def test_semicolon_separated_files_are_read(write):
    path = write("r.csv", "worker_id;client_id;start;end;visit_pay",
                 "W1;C1;2026-11-02 08:00;2026-11-02 08:30;5")
    assert load_rota(path).visits.loc[0, "visit_pay"] == 5


def test_bom_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffworker_id,client_id,start,end,visit_pay\r\n"
                     "W1,C1,2026-11-02 08:00,2026-11-02 08:30,£5.50\r\n".encode("utf-8"))
    v = load_rota(path).visits
    assert v.loc[0, "worker_id"] == "W1" and v.loc[0, "visit_pay"] == 5.5


def test_cp1252_file_is_detected_and_said_so(tmp_path):
    """A Windows export (cp1252 £ and ë) reads without options; --encoding utf-8 makes it an error."""
    path = tmp_path / "r.csv"
    path.write_bytes("worker_id,client_id,start,end,visit_pay\nW1,Zoë,2026-11-02 08:00,2026-11-02 08:30,£5\n"
                     .encode("cp1252"))
    rota = load_rota(path)
    assert rota.visits.loc[0, "client_id"] == "Zoë" and rota.visits.loc[0, "visit_pay"] == 5
    assert any("Windows-1252" in note for note in rota.notes)
    with pytest.raises(InputError, match="--encoding"):
        load_rota(path, Reading(encoding="utf-8"))
    assert load_rota(path, Reading(encoding="cp1252")).visits.loc[0, "client_id"] == "Zoë"


def test_bytes_that_are_not_plausible_text_stay_an_error(tmp_path):
    """cp1252 decodes any byte; only text a UK export would hold is read that way."""
    path = tmp_path / "r.csv"
    path.write_bytes(b"worker_id,client_id,start,end\nW1,C\xff\xfe1,2026-11-02 08:00,2026-11-02 08:30\n")
    with pytest.raises(InputError, match="row 2, column 'client_id'"):
        load_rota(path)


def test_utf16_with_bom_reads(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("worker_id,client_id,start,end\r\nW1,Zoë,2026-11-02 08:00,2026-11-02 08:30\r\n"
                     .encode("utf-16"))
    assert load_rota(path).visits.loc[0, "client_id"] == "Zoë"


def test_money_with_pound_sign_and_thousands(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 'W1,C1,2026-11-02 08:00,2026-11-02 08:30,"£1,234.50"')
    assert load_rota(path).visits.loc[0, "visit_pay"] == 1234.5


def test_blank_rows_are_skipped_counted_and_rows_keep_their_line_numbers(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5",
                 ",,,,",
                 "",
                 "W1,C1,2026-11-02 09:00,bad,5")
    with pytest.raises(InputError) as err:
        load_rota(path)
    assert err.value.problems[0].row == 5  # the blank line still counts as a line
    fixed = write("ok.csv", "worker_id,client_id,start,end,visit_pay",
                  "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5", ",,,,", "",
                  "W1,C1,2026-11-02 09:00,2026-11-02 09:30,5")
    rota = load_rota(fixed)
    assert rota.skipped_rows == [3]
    assert rota.visits["row"].tolist() == [2, 5]


def test_a_line_of_spaces_is_an_empty_row_skipped_and_counted_not_a_short_row(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5",
                 "   ",
                 "W1,C2,2026-11-02 09:00,2026-11-02 09:30,6",
                 "\t \r",
                 "W1,C3,2026-11-02 10:00,2026-11-02 10:30,7")
    rota = load_rota(path)
    assert rota.skipped_rows == [3, 5]
    assert rota.visits["row"].tolist() == [2, 4, 6]
    assert rota.visits["client_id"].tolist() == ["C1", "C2", "C3"]
    assert rota.visits["visit_pay"].tolist() == [5, 6, 7]
    short = write("short.csv", "worker_id,client_id,start,end,visit_pay",
                  "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5", "  ", "W1,C2")
    with pytest.raises(InputError) as err:  # a short row beside it is still an error, on its own line
        load_rota(short)
    assert [(p.row, p.expected) for p in err.value.problems] == [(4, "has 2 fields, expected 5 like the header")]


def test_every_bad_cell_is_reported_not_just_the_first(write):
    path = write("r.csv", "worker_id,client_id,start,end,hourly_rate",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,abc",
                 ",C1,2026-11-02 09:00,2026-11-02 09:30,12",
                 "W1,C1,tomorrow,2026-11-02 09:30,12")
    with pytest.raises(InputError) as err:
        load_rota(path)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "hourly_rate"), (3, "worker_id"), (4, "start")}


def test_many_bad_rows_are_counted_beyond_the_first_ten(write):
    rows = [f"W1,C1,2026-11-02 08:00,2026-11-02 08:30,x{i}" for i in range(25)]
    path = write("r.csv", "worker_id,client_id,start,end,hourly_rate", *rows)
    with pytest.raises(InputError) as err:
        load_rota(path)
    assert len(err.value.problems) == 10 and err.value.omitted == 15
    assert "15 more rows" in str(err.value)


def test_problems_are_listed_column_by_column_and_counted_past_the_first_ten(write):
    """Numbers are typed on a second thread beside the times: their problems still come after the
    times' (the columns' order), and the first ten listed are the same a single pass would list."""
    rows = [f"W1,C1,2026-11-02 08:00,2026-11-02 08:30,x{i},yes" for i in range(6)]
    rows += [f"W1,C1,soon,2026-11-02 09:30,12,perhaps{i}" for i in range(7)]
    path = write("r.csv", "worker_id,client_id,start,end,hourly_rate,agreed_short", *rows)
    with pytest.raises(InputError) as err:
        load_rota(path)
    listed = [(p.row, p.column) for p in err.value.problems]
    assert listed == [(r, "start") for r in range(8, 15)] + [(r, "hourly_rate") for r in (2, 3, 4)]
    assert err.value.omitted == 3 + 7  # three more hourly rates, seven agreed_short cells


def test_two_columns_with_one_meaning_is_an_error(write):
    path = write("r.csv", "worker_id,carer_id,client_id,start,end,visit_pay",
                 "W1,W2,C1,2026-11-02 08:00,2026-11-02 08:30,5")
    with pytest.raises(InputError, match="two columns mean 'worker_id'"):
        load_rota(path)


def test_visit_id_defaults_to_row_number(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5")
    assert load_rota(path).visits.loc[0, "visit_id"] == "row 2"


def test_visit_longer_than_a_day_is_an_error(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-04 08:30,5")
    with pytest.raises(InputError, match="at most 24 hours") as err:
        load_rota(path)
    assert (err.value.problems[0].row, err.value.problems[0].value) == (2, "48.5 h")


def test_lengths_at_the_limits(write):
    """A planned visit of 24 hours, a check-out at its check-in and a visit never checked out are
    fine; a planned visit of no length, or of 24 hours and a second, is not."""
    path = write("r.csv", "worker_id,client_id,start,end,actual_start,actual_end",
                 "W1,C1,2026-11-02 08:00,2026-11-03 08:00,2026-11-02 08:00,2026-11-02 08:00",
                 "W1,C2,2026-11-03 09:00,2026-11-03 09:30,2026-11-03 09:00,",
                 "W1,C3,2026-11-04 09:00,2026-11-04 09:00,,",
                 "W1,C4,2026-11-05 09:00:00,2026-11-06 09:00:01,,")
    with pytest.raises(InputError) as err:
        load_rota(path)
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [
        (4, "end", "2026-11-04 09:00"), (5, "end", "24.0 h")]


def test_checkout_before_checkin_is_an_error(write):
    path = write("r.csv", "worker_id,client_id,start,end,actual_start,actual_end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,2026-11-02 08:10,2026-11-02 08:05,5")
    with pytest.raises(InputError) as err:
        load_rota(path)
    assert err.value.problems[0].column == "actual_end"


def test_clients_file(write):
    path = write("c.csv", "client_id,lat,lon,named_team", "C1,53.8,-1.5,W1;W2", "C2,53.9,-1.6,")
    clients = load_clients(path)
    assert clients.loc["C1", "named_team"] == "W1;W2" and clients.loc["C2", "lat"] == 53.9


def test_clients_file_rejects_duplicate_ids(write):
    path = write("c.csv", "client_id,lat,lon", "C1,53.8,-1.5", "C1,53.9,-1.6")
    with pytest.raises(InputError, match="row 3.*each client_id once"):
        load_clients(path)


def test_workers_file(write):
    path = write("w.csv", "worker_id,date_of_birth,travel_mode,london",
                 "W1,1990-05-04,Car,yes", "W2,04/05/2006,walking,false")
    workers = load_workers(path)
    assert workers.loc["W1", "travel_mode"] == "drive" and workers.loc["W2", "travel_mode"] == "walk"
    assert bool(workers.loc["W1", "london"]) and not bool(workers.loc["W2", "london"])
    assert workers.loc["W2", "date_of_birth"] == pd.Timestamp("2006-05-04")


def test_workers_file_rejects_unknown_mode(write):
    path = write("w.csv", "worker_id,travel_mode", "W1,hovercraft")
    with pytest.raises(InputError, match="row 2, column 'travel_mode'"):
        load_workers(path)


def test_payslips_reject_overlapping_periods(write):
    path = write("p.csv", "worker_id,period_start,period_end,gross_pay",
                 "W1,2026-11-02,2026-11-08,100", "W1,2026-11-08,2026-11-15,100")
    with pytest.raises(InputError, match="row 3.*not to overlap"):
        load_payslips(path)


def test_payslip_pay_excludes_expenses(write):
    path = write("p.csv", "worker_id,period_start,period_end,gross_pay,expenses",
                 "W1,2026-11-02,2026-11-08,110,10")
    assert load_payslips(path).loc[0, "pay"] == 100


def test_travel_matrix_rejects_duplicate_pairs(write):
    path = write("m.csv", "from_client,to_client,minutes", "C1,C2,5", "C1,C2,6")
    with pytest.raises(InputError, match="row 3"):
        load_travel_matrix(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_rota(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="found a folder"):
        load_rota(tmp_path)


def test_workers_file_rejects_a_birth_date_in_the_future(write):
    path = write("w.csv", "worker_id,date_of_birth", "W1,1990-01-01", "W2,2090-01-01")
    with pytest.raises(InputError, match="row 3, column 'date_of_birth'"):
        load_workers(path)


def test_cells_are_trimmed_in_any_column_that_needs_it(write):
    # one padded cell is enough for its column to be trimmed; the other columns are left as read
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,5",
                 "W1 ,\u00a0C2\t, 2026-11-02 09:00,2026-11-02 09:30,5 ")
    v = load_rota(path).visits
    assert v["worker_id"].tolist() == ["W1", "W1"] and v["client_id"].tolist() == ["C1", "C2"]
    assert v.loc[1, "start"] == pd.Timestamp("2026-11-02 09:00", tz="UTC") and v.loc[1, "visit_pay"] == 5


@pytest.mark.parametrize("cells, may", [
    (["W1", "W2"], False), (["W1", ""], False), ([None, "W1"], False), (["W 1"], False),
    ([" W1"], True), (["W1\r"], True), (["W1\u00a0"], True), (["Zoë"], True),  # any non-ASCII end: Unicode spaces
])
def test_which_columns_may_need_trimming(cells, may):
    from carerota.read import may_need_trim
    column = pa.array(["x"] + cells, type=pa.string())
    assert may_need_trim(pa.chunked_array([column])) is may
    assert may_need_trim(pa.chunked_array([column.slice(1)])) is may  # a slice reads its own cells' bytes
    assert may_need_trim(pa.chunked_array([column.slice(0, 1), column.slice(1)])) is may  # any chunk


@pytest.mark.parametrize("data", [
    b"", b"plain ascii\n", "\u00a3 \u00eb \u20ac \U0001f600".encode(),  # valid: 2, 3 and 4 bytes
    b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"ok\xff",  # surrogate,
])  # overlong, beyond U+10FFFF, cut short, a lone continuation byte, a byte UTF-8 never uses
def test_utf8_is_judged_as_python_judges_it(data):
    from carerota.read import is_utf8
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert is_utf8(data) is valid


@given(st.binary(max_size=64) | st.text(max_size=32).map(str.encode))
def test_utf8_is_judged_as_python_judges_any_bytes(data):
    from carerota.read import is_utf8
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert is_utf8(data) is valid


@given(st.lists(st.sampled_from([b"\n", b"\r", b"a", b" ", b"\r\n"]), max_size=40).map(b"".join),
       st.integers(1, 8))
def test_line_feeds_are_counted_across_blocks(data, block):
    from carerota import read
    with mock.patch.object(read, "COUNT_BLOCK", block):
        assert read.line_feeds(data) == data.count(b"\n")


def test_a_file_is_mapped_and_reads_as_its_bytes(tmp_path):
    """A file on disk is mapped, not copied; an empty one (which cannot be mapped) is read."""
    import mmap
    from carerota.read import is_blank, line_feeds, read_bytes
    path = tmp_path / "rota.csv"
    path.write_bytes(b"a,b\n1,2\n\n")
    data = read_bytes(path)
    assert isinstance(data, mmap.mmap) and data[:] == path.read_bytes() and line_feeds(data) == 3
    (tmp_path / "empty.csv").write_bytes(b"")
    assert read_bytes(tmp_path / "empty.csv") == b""
    spaces = tmp_path / "spaces.csv"  # blank beyond the first look, then not
    spaces.write_bytes(b" \n" * 40_000)
    assert is_blank(read_bytes(spaces))
    spaces.write_bytes(b" \n" * 40_000 + b"x")
    assert not is_blank(read_bytes(spaces))


def test_a_file_mapped_or_copied_gives_the_same_table(write):
    """The mapped path (most files) and the copied one (any other encoding, or stdin) agree."""
    from carerota import read
    path = write("rota.csv", "worker_id,client_id,start,end,visit_pay",
                 'W1,"C1, flat 2",2026-11-02 08:00,2026-11-02 08:30,5', ",,,,", "",
                 " W2 ,C2,2026-11-02 09:00,2026-11-02 09:30,6")
    mapped = read_table(path, "rota", what="visit")
    with mock.patch.object(read, "mapped", lambda stream, length: stream.read()):
        copied = read_table(path, "rota", what="visit")
    pd.testing.assert_frame_equal(mapped.frame, copied.frame)
    assert mapped.rows.tolist() == copied.rows.tolist() == [2, 5] and mapped.skipped_rows == copied.skipped_rows == [3]
    assert mapped.frame["client_id"].tolist() == ["C1, flat 2", "C2"]


def test_a_header_with_control_characters_is_named_on_one_line(tmp_path):
    # a stray byte in a header (here a file separator, then a byte that is not UTF-8) must not break
    # the error's line or reach the terminal as it is
    path = tmp_path / "r.csv"
    path.write_bytes(b"worker_id,client_id,start,end,\x1c\x81\nW1,C1,2026-11-02 08:00,2026-11-02 08:30,5\n")
    with pytest.raises(InputError) as err:
        load_rota(path)
    first_line = str(err.value).splitlines()[0]
    assert first_line.endswith("row 1, column '\\x1c\ufffd': expected UTF-8 text, found the byte 0x81")


READ_AHEAD_ROWS = ("worker_id,client_id,start,end,lat,lon,hourly_rate",
                   "W1,C1,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,12.71",
                   "W1,C2,2026-11-02 08:40,2026-11-02 09:10,53.81,-1.56,12.71")


def test_a_rota_read_ahead_loads_as_the_rota_read_when_loaded(write):
    path = str(write("rota.csv", *READ_AHEAD_ROWS))
    ahead = read_ahead(path, "rota", what="visit")
    assert ahead is not None
    pd.testing.assert_frame_equal(load_dataset(path, ahead=ahead).visits, load_dataset(path).visits)


def test_load_dataset_takes_the_table_read_ahead_only_for_its_one_file(write, tmp_path):
    # the table read ahead is used, not read again; a folder (or another file) is read as it is
    path = str(write("rota.csv", *READ_AHEAD_ROWS))
    other = write("other.csv", READ_AHEAD_ROWS[0], READ_AHEAD_ROWS[1].replace("W1", "W9"))
    ahead: Future = Future()
    ahead.set_result(read_table(str(other), "rota", what="visit"))
    assert load_dataset(path, ahead=ahead).visits["worker_id"].tolist() == ["W9"]
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "rota.csv").write_text("\n".join(READ_AHEAD_ROWS) + "\n", encoding="utf-8")
    assert load_dataset(str(tmp_path / "folder"), ahead=ahead).visits["worker_id"].tolist() == ["W1", "W1"]


def test_read_ahead_is_only_for_one_table_file(tmp_path):
    (tmp_path / "rota.parquet").write_bytes(b"PAR1")
    for source in ("-", str(tmp_path), str(tmp_path / "missing.csv"), str(tmp_path / "rota.parquet")):
        assert read_ahead(source, "rota") is None


def test_a_bad_file_read_ahead_fails_as_when_read(write):
    path = str(write("bad.csv", READ_AHEAD_ROWS[0], "W1,C1,2026-11-02 08:00"))
    with pytest.raises(InputError) as direct:
        load_dataset(path)
    with pytest.raises(InputError) as ahead:
        load_dataset(path, ahead=read_ahead(path, "rota", what="visit"))
    assert ahead.value.message() == direct.value.message()
    assert "row 2" in ahead.value.message()
