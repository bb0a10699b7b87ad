"""The fast paths behind large audits give the same answers as the plain ones: JSON written by
pyarrow kernels, cells parsed once per distinct value, and small rotas audited together in a batch."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carerota import batch
from carerota.audit import AuditSettings, audit
from carerota.errors import InputError, Problem
from carerota.findings import RULES, fixed, iso_dates, rule_codes, sorted_findings, stacked
from carerota.load import load_clients, load_rota, load_workers
from carerota.output import in_order, json_array, json_values
from conftest import run_json

EXAMPLES = Path(__file__).parent.parent / "examples"


def decoded(frame: pd.DataFrame, rows_per_chunk: int = 100_000) -> list[dict]:
    return json.loads(b"".join(in_order(json_array(frame, rows_per_chunk))).decode("utf-8"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=20))
def test_any_text_survives_the_json_writer(values):
    # quotes, backslashes, control characters, surrogates aside: json.loads gives back what went in
    values = [v if v is None else v.encode("utf-8", "replace").decode("utf-8") for v in values]
    frame = pd.DataFrame({"text": pd.Series(values, dtype=object)})
    assert [r["text"] for r in decoded(frame)] == values


def test_numbers_booleans_and_missing_values_read_back_exactly():
    frame = pd.DataFrame({
        "hours": [30.0, 1.23456, np.nan, -0.5, 1e20],
        "pay": [12.005, 0.1 + 0.2, 3.0, np.nan, 7.5],
        "visits": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "ok": [True, False, True, False, True],
        "team": [["W1", "W2"], [], ["W3"], [], ["W4"]],
    })
    records = decoded(frame)
    assert [r["hours"] for r in records] == [30.0, 1.2346, None, -0.5, 1e20]  # 4 places; 30.0 stays a float
    assert isinstance(records[0]["hours"], float)
    assert [r["pay"] for r in records] == [12.0, 0.3, 3.0, None, 7.5]  # money to the penny (numpy's round)
    assert [r["visits"] for r in records] == [1, None, 3, 4, 5]
    assert [r["ok"] for r in records] == [True, False, True, False, True]
    assert [r["team"] for r in records] == [["W1", "W2"], [], ["W3"], [], ["W4"]]


def as_arrow(values: list, type_: pa.DataType) -> pd.Series:
    return pd.Series(pa.array(values, type_), dtype=pd.ArrowDtype(type_))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.one_of(st.none(), st.text()), max_size=4)), min_size=1,
                max_size=12), st.integers(1, 5))
def test_arrow_lists_write_the_bytes_pythons_json_writes(teams, rows_per_chunk):
    """A client's team as an arrow list: the same text as each list through json.dumps, in slices of
    any size (a slice's items start part-way through the list's values)."""
    teams = [t if t is None else [x if x is None else x.encode("utf-8", "replace").decode("utf-8") for x in t]
             for t in teams]
    arrow = pd.DataFrame({"team": as_arrow(teams, pa.list_(pa.string()))})
    python = pd.DataFrame({"team": pd.Series(teams, dtype=object)})
    written = b"".join(in_order(json_array(arrow, rows_per_chunk)))
    assert written == b"".join(in_order(json_array(python, rows_per_chunk)))
    assert [r["team"] for r in json.loads(written)] == teams


def test_arrow_lists_of_records_write_the_bytes_pythons_json_writes():
    """A client's weeks: records of whole numbers, figures (rounded to 4 places, as the audit gives
    them) and dates, as json.dumps writes them."""
    week = pa.struct([("visits", pa.int64()), ("hours", pa.float64()), ("team_share", pa.float64()),
                      ("week_start", pa.string())])
    weeks = [[{"visits": 4, "hours": 2.0, "team_share": 0.8571, "week_start": "2026-11-02"},
              {"visits": 1, "hours": 0.25, "team_share": 1.0, "week_start": "2026-11-09"}],
             [], None, [{"visits": 0, "hours": 0.0001, "team_share": None, "week_start": 'a "quoted" week'}]]
    for rows_per_chunk in (1, 3, 10):
        written = b"".join(in_order(json_array(pd.DataFrame({"weeks": as_arrow(weeks, pa.list_(week))}),
                                               rows_per_chunk)))
        expected = b"".join(in_order(json_array(pd.DataFrame({"weeks": pd.Series(weeks, dtype=object)}),
                                                rows_per_chunk)))
        assert written == expected
    assert [r["weeks"] for r in json.loads(written)] == weeks
    assert b'{"visits":4,"hours":2.0,"team_share":0.8571,"week_start":"2026-11-02"}' in written


@pytest.mark.parametrize("rows_per_chunk", [1, 2, 3, 100])
def test_columns_missing_throughout_a_chunk_are_written_as_in_any_other(rows_per_chunk):
    """A column missing throughout a chunk (a visit's finding has no pay period) is written once into
    the text between columns: every line must still be the line Python's json writes, key order and
    all, whether the missing column comes first, between or last, or every column is missing."""
    frame = pd.DataFrame({
        "start": pd.Series([None, None, "2026-11-02", None, None], dtype="str"),
        "rule": ["short-visit", "late-start", "below-wage-floor", "late-start", "late-start"],
        "row": pd.array([3, None, None, 7, 8], dtype="Int64"),
        "amount": [np.nan, np.nan, 1.5, np.nan, np.nan],
        "end": pd.Series([None] * 5, dtype="str"),
    })
    lines = b"".join(in_order(json_array(frame, rows_per_chunk))).decode("utf-8").splitlines()[1:-1]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert [line.rstrip(",") for line in lines] == [json.dumps(r, separators=(",", ":")) for r in records]
    empty = frame.iloc[:2][["amount", "end"]]
    assert decoded(empty, rows_per_chunk) == [{"amount": None, "end": None}] * 2


def test_chunks_join_into_the_same_bytes():
    frame = pd.DataFrame({"id": [f"V{i}" for i in range(7)], "minutes": np.arange(7) / 3})
    assert b"".join(in_order(json_array(frame, 2))) == b"".join(in_order(json_array(frame, 100)))
    assert b"".join(in_order(json_array(frame.iloc[:0]))) == b"[]"


def test_a_quote_in_one_message_escapes_only_that_message():
    values = pd.Series(['plain', 'says "hi"', 'back\\slash', 'tab\there', 'Zoë'], dtype="str")
    literals, bare = json_values(values)
    assert not bare
    assert literals.to_pylist() == ['"plain"', '"says \\"hi\\""', '"back\\\\slash"', '"tab\\there"', '"Zoë"']
    # text with nothing to escape is left bare, for the caller's quotes
    assert json_values(pd.Series(["a", "Zoë"], dtype="str"))[1]
    assert not json_values(pd.Series(["a", None], dtype="str"))[1]  # a null must be written null


def test_the_example_audit_json_matches_pythons_encoder():
    data, _ = run_json("audit", EXAMPLES / "rota.csv", "--clients", EXAMPLES / "clients.csv",
                       "--workers", EXAMPLES / "workers.csv")
    for key in ("workers", "clients", "visits", "findings"):
        assert data[key], key
        # every record is what Python's own json would make of the same values
        assert json.loads(json.dumps(data[key])) == data[key]
    assert {f["rule"] for f in data["findings"]} >= {"short-visit", "travel-not-scheduled", "below-wage-floor"}


def test_a_repeated_bad_time_is_reported_on_every_row(write):
    rows = ["W1,C1,2026-11-02 08:00,2026-11-02 08:30"] * 3 + ["W1,C1,2026-11-31 09:00,2026-11-02 09:30"] * 2
    path = write("r.csv", "worker_id,client_id,start,end", *rows[:3], rows[3], "W2,C2,2026-11-02 10:00,"
                 "2026-11-02 10:30", rows[4])
    with pytest.raises(InputError) as caught:
        load_rota(path)
    bad = [(p.row, p.column) for p in caught.value.problems]
    assert bad == [(5, "start"), (7, "start")]


def test_distinct_values_parse_like_each_cell(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay,agreed_short",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,\"£1,234.50\",yes",
                 "W1,C1,2026-11-03 08:00,08:45,12,no",
                 "W2,C1,02/11/2026 08:00,2026-11-02 08:30,\"£1,234.50\",YES",
                 "W2,C1,2026-11-03T08:00:00+00:00,2026-11-03 08:20,,")
    v = load_rota(path).visits
    assert v["visit_pay"].tolist()[:3] == [1234.5, 12.0, 1234.5] and np.isnan(v["visit_pay"].iloc[3])
    assert v["agreed_short"].tolist() == [True, False, True, False]
    minutes = ((v["end"] - v["start"]).dt.total_seconds() / 60).tolist()
    assert minutes == [30, 45, 30, 20]


def split_example(folder: Path) -> list[Path]:
    """The example week cut into files of whole workers, plus a copy of the first file: the copy's
    workers and clients have the same ids as the first's, and must stay apart from them."""
    rota = pd.read_csv(EXAMPLES / "rota.csv", dtype=str, keep_default_na=False)
    workers = sorted(rota["worker_id"].unique())
    paths = []
    for k, chunk in enumerate((workers[:3], workers[3:6], workers[6:], workers[:3])):
        path = folder / f"r{k}.csv"
        rota[rota["worker_id"].isin(chunk)].to_csv(path, index=False)
        paths.append(path)
    return paths


def test_small_rotas_audited_together_give_each_files_own_figures(tmp_path, monkeypatch):
    s = AuditSettings(as_of=date(2026, 11, 23))
    jobs = [batch.BatchFile(str(p), s, str(EXAMPLES / "clients.csv"), str(EXAMPLES / "workers.csv"))
            for p in split_example(tmp_path)]
    alone = [batch.audit_file(job) for job in jobs]
    with monkeypatch.context() as m:  # the grouped path must not fall back to one-by-one
        m.setattr(batch, "audit_file", lambda job: pytest.fail(f"fell back for {job.rota}"))
        together = batch.audit_together(jobs)
    assert together == alone
    assert [row["status"] for row, _ in together] == ["findings"] * 4
    assert together[0][1]["visits"] + together[1][1]["visits"] + together[2][1]["visits"] == 708


def test_one_unreadable_file_is_its_own_error_row(tmp_path):
    s = AuditSettings(as_of=date(2026, 11, 23))
    paths = split_example(tmp_path)
    paths[1].write_text(paths[1].read_text().replace("2026-11-03 07:00", "2026-11-03 7 o'clock", 1))
    jobs = [batch.BatchFile(str(p), s, str(EXAMPLES / "clients.csv")) for p in paths]
    rows = [row for row, _ in batch.audit_together(jobs)]
    assert [row["status"] for row in rows] == ["findings", "error", "findings", "findings"]
    assert "7 o'clock" in rows[1]["error"] and "start" in rows[1]["error"]


def test_a_bug_in_the_grouped_audit_is_logged_not_hidden_and_the_files_still_audited(tmp_path, monkeypatch, caplog):
    s = AuditSettings(as_of=date(2026, 11, 23))
    jobs = [batch.BatchFile(str(p), s, str(EXAMPLES / "clients.csv")) for p in split_example(tmp_path)]
    alone = [batch.audit_file(job) for job in jobs]

    def failing(error: Exception):
        def stacked_audit(_jobs):
            raise error
        return stacked_audit

    monkeypatch.setattr(batch, "stacked_audit", failing(KeyError("start")))
    with caplog.at_level("WARNING", logger="carerota.batch"):
        assert batch.audit_together(jobs) == alone
    assert [r.getMessage() for r in caplog.records] == [
        "carerota batch: auditing 4 files together failed (internal error: KeyError: 'start'); each was audited "
        "on its own. Please report it."]
    caplog.clear()
    monkeypatch.setattr(batch, "stacked_audit", failing(InputError(Problem("r1.csv", "expected a start"))))
    with caplog.at_level("WARNING", logger="carerota.batch"):
        assert batch.audit_together(jobs) == alone  # an unreadable file: one by one, as designed, and quietly
    assert not caplog.records


def test_batches_group_alike_files_and_keep_the_rest_alone(tmp_path):
    s = AuditSettings()
    files = [batch.BatchFile(f"r{i}.csv", s, "c.csv") for i in range(6)]
    files.append(batch.BatchFile("p.csv", s, "c.csv", payslips="pay.csv"))
    files.append(batch.BatchFile("m.csv", s, "other.csv"))
    tasks = batch.batches(files, workers=2)
    assert sorted(i for task in tasks for i in task) == list(range(8))
    assert [6] in tasks and [7] in tasks
    assert all(len(task) <= 2 for task in tasks)  # six alike files, at least two tasks per process


START_CELLS = ["2026-11-02 08:00", "02/11/2026 08:00", "2026-11-02T08:00:00+01:00", "2026-03-29 01:30",
               "2026-10-25 01:30", "2026-13-01 08:00", "", "soon", "2026-11-02"]
PAY_CELLS = ["9.50", "£9.50", "£1,234.50", "1,234.50", "", "-3", "nine", "1e3", "inf"]
SHORT_CELLS = ["true", "FALSE", "yes", "", "0", "maybe"]


def outcome(path: Path) -> tuple[dict, list]:
    """Each row's parsed values, or the problems as (row, column, value)."""
    try:
        v = load_rota(path).visits
    except InputError as error:
        return {}, sorted((p.row, p.column, p.value) for p in error.problems) + [("omitted", error.omitted)]
    return {r: (s.isoformat(), None if np.isnan(p) else p, a) for r, s, p, a in
            zip(v["row"], v["start"], v["visit_pay"], v["agreed_short"])}, []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(START_CELLS), st.sampled_from(PAY_CELLS), st.sampled_from(SHORT_CELLS)),
                min_size=1, max_size=8))
def test_parsing_distinct_values_equals_parsing_each_row_alone(tmp_path_factory, rows):
    # the whole file (each distinct cell parsed once, spread to its rows) against each row read alone
    folder = tmp_path_factory.mktemp("rows")
    head = "worker_id,client_id,start,duration,visit_pay,agreed_short"
    lines = [f'W{i},C1,{s},30,"{p}",{a}' for i, (s, p, a) in enumerate(rows)]
    whole = folder / "all.csv"
    whole.write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    values, problems = outcome(whole)
    alone_values, alone_problems = {}, []
    for i, line in enumerate(lines):
        one = folder / f"row{i}.csv"
        one.write_text(f"{head}\n{line}\n", encoding="utf-8")
        v, p = outcome(one)
        alone_values.update({i + 2: value for value in v.values()})
        alone_problems += [(i + 2, column, value) for _, column, value in p[:-1]] if p else []
    if not alone_problems:
        assert (values, problems) == (alone_values, [])
    else:  # the first ten problems are listed, the rest counted
        assert set(problems[:-1]) <= set(alone_problems)
        assert len(problems) - 1 + problems[-1][1] == len(alone_problems)


int_keys = st.lists(st.tuples(st.integers(0, 6), st.integers(-1, 40), st.integers(0, 3)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(int_keys)
def test_packed_sort_orders_like_lexsort(rows):
    from carerota.findings import sort_order
    keys = [np.array([r[i] for r in rows], dtype="int64") for i in range(3)]
    assert sort_order(keys).tolist() == np.lexsort(keys).tolist()


@pytest.fixture(scope="module")
def example_findings() -> pd.DataFrame:
    return audit(load_rota(EXAMPLES / "rota.csv"), clients=load_clients(EXAMPLES / "clients.csv"),
                 workers=load_workers(EXAMPLES / "workers.csv"),
                 settings=AuditSettings(as_of=date(2026, 11, 23))).findings


def one_sort(findings: pd.DataFrame) -> pd.DataFrame:
    """The documented order by pandas itself: rule (as RULES lists them), worker, client, period,
    row; missing values first; stable."""
    keyed = findings.assign(_rule=findings["rule"].map(list(RULES).index))
    return (keyed.sort_values(["_rule", "worker_id", "client_id", "period_start", "row"], kind="stable",
                              na_position="first").drop(columns="_rule").reset_index(drop=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_findings_sorted_by_part_and_stacked_are_in_the_order_of_one_sort(example_findings, seed, by_check):
    rng = np.random.default_rng(seed)
    shuffled = example_findings.take(rng.permutation(len(example_findings))).reset_index(drop=True)
    check = shuffled["rule"].map(lambda r: RULES[r][1])
    if by_check:  # as the audit gives them: one part per check, their rules in separate ranges
        parts = [shuffled[check == c].drop(columns="severity") for c in ("continuity", "visits", "pay")]
    else:  # rules interleave across parts: one sort of them all
        side = rng.random(len(shuffled)) < 0.5
        parts = [shuffled[side], shuffled[~side]]
    expected = one_sort(example_findings)
    assert set(expected["rule"]) >= {"below-wage-floor", "short-visit", "continuity-below-target"}
    pd.testing.assert_frame_equal(stacked([sorted_findings(p) for p in parts]), expected)


def test_findings_already_in_order_are_not_moved(example_findings):
    visits = example_findings[example_findings["rule"] == "short-visit"]
    assert sorted_findings(visits) is visits


@given(st.lists(st.tuples(st.sampled_from([*RULES, None]), st.integers(1, 4)), max_size=12),
       st.sampled_from(["str", object]))
def test_rule_codes_are_factorize_by_runs(runs, dtype):
    rules = pd.Series([rule for rule, times in runs for _ in range(times)], dtype=dtype)
    codes, names = rule_codes(rules)
    expected_codes, expected_names = pd.factorize(rules)
    assert codes.tolist() == expected_codes.tolist() and list(names) == list(expected_names)


def test_keys_too_wide_to_pack_fall_back_to_lexsort():
    from carerota.findings import sort_order
    keys = [np.array([3, 2**40, 5, 2**40]), np.array([2**40, 1, 2**40, 0])]
    assert sort_order(keys).tolist() == np.lexsort(keys).tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(0, 3), st.integers(1, 9)), max_size=60))
def test_visits_are_ordered_like_lexsort(rows):
    # same worker and start (a double booking): by end, then row, then place in the file
    from carerota.worktime import worker_time_order
    worker, start, end, row = (np.array([r[i] for r in rows], dtype="int64") for i in range(4))
    start, end = start * 900 + 1_800_000_000, start * 900 + 1_800_000_000 + end * 600
    assert worker_time_order(worker, start, end, row).tolist() == np.lexsort((row, end, start, worker)).tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=80))
def test_distinct_keys_match_numpy_unique(values):
    from carerota.worktime import distinct_keys
    key = np.array(values, dtype="int64")
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    got_first, got_inverse = distinct_keys(key)
    assert got_first.tolist() == first.tolist() and got_inverse.tolist() == inverse.tolist()


def test_message_figures_are_formatted_once_per_value_and_read_as_before():
    from carerota.findings import number
    assert number([30.0, 12.54, np.nan, -0.04, 2.25, 30.0, 1e20]).to_pylist() == [
        "30", "12.5", None, "0", "2.2", "30", "1e+20"]  # numpy's round: 2.25 → 2.2; -0.04 → 0, never "-0"


def test_floats_repeat_in_json_as_written_once():
    frame = pd.DataFrame({"minutes": [15.0, -0.0, 15.0, np.nan, 2.5, 15.0]})
    text = b"".join(in_order(json_array(frame))).decode()
    assert text == '[\n{"minutes":15.0},\n{"minutes":0.0},\n{"minutes":15.0},\n{"minutes":null},\n' \
                   '{"minutes":2.5},\n{"minutes":15.0}\n]'


FIGURES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**9, 10**9).map(lambda k: k / 1000),  # ties at the third place: 2.675, 9.375
    st.integers(-10**7, 10**7).map(lambda k: k / 8),  # ties exact in binary
    st.floats(min_value=-1e12, max_value=1e12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FIGURES, max_size=40), st.integers(0, 4), st.booleans())
def test_figures_are_written_as_pythons_format_writes_them(values, places, thousands):
    """Messages' money and hours (``fixed``): the same text as f"£{x:,.2f}", ties and all."""
    comma = "," if thousands else ""
    assert fixed(np.array(values, dtype="float64"), places, thousands=thousands, prefix="£").to_pylist() == \
        [f"£{x:{comma}.{places}f}" for x in values]


def test_dates_are_written_as_iso_text_and_missing_ones_as_null():
    dates = pd.Series([date(2026, 11, 2), None, date(999, 1, 31), np.nan], dtype=object)
    assert iso_dates(dates).to_pylist() == ["2026-11-02", None, "0999-01-31", None]


CELLS = st.lists(st.text(alphabet="ab1 \t\u00a0é,", max_size=4), max_size=8)


@settings(max_examples=400, deadline=None)
@given(CELLS, CELLS, CELLS)
def test_a_cell_with_space_at_either_end_is_never_missed(before, cells, after):
    """``may_need_trim`` looks at the first and last byte of each cell (an empty cell's neighbours'):
    whatever the cells, and however the column is sliced out of its buffer, a cell that trimming
    would change is seen."""
    from carerota.read import may_need_trim

    whole = pa.array(before + cells + after, type=pa.large_string())
    column = pa.chunked_array([whole.slice(len(before), len(cells))], type=pa.large_string())
    if any(c != c.strip() for c in cells):
        assert may_need_trim(column)
    if not any(c != c.strip() or not c.isascii() for c in before + cells + after):
        assert not may_need_trim(column)  # nothing to trim anywhere: no false alarm
