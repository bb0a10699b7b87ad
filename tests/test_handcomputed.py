"""Every figure worked out by hand from docs/method.md, on rotas of a few visits.

Each test writes its CSVs to tmp_path, runs `carerota audit --format json` in-process and compares the
report with arithmetic done in the comments. Travel comes from a --travel-matrix so it is exact.
Rates used (gov.uk): NLW 21+ £12.21 (2025-26), £12.71 (2026-27); 18-20 £10.00 (2025-26), £10.85
(2026-27); under 18 £8.00 (2026-27); 2021-22 23+ £8.91, 21-22 £8.36; 2022-23 23+ £9.50; 2023-24 23+
£10.42. Real Living Wage (LWF): £12.60 / London £13.85 until 30 April 2026, £13.45 / £14.80 from
1 May 2026.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carerota.cli import app

MONEY = 0.005
HOURS = 1e-4
AS_OF = "2026-11-23"


def csv_file(path: Path, rows: list[dict]) -> Path:
    """Write dicts as a CSV; the columns are the union of the keys, in first-seen order."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)] + [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def visit(worker: str, client: str, start: str, end: str, **extra) -> dict:
    return {"worker_id": worker, "client_id": client, "start": start, "end": end, **extra}


def audit(tmp_path: Path, visits: list[dict], *options: str, matrix: list[tuple] = (),
          workers: list[dict] = (), payslips: list[dict] = (), as_of: str = AS_OF, stdin: bool = False):
    """Run the CLI on the visits; returns (exit code, parsed JSON report)."""
    rota = csv_file(tmp_path / "rota.csv", visits)
    args = ["audit", "-" if stdin else str(rota), "--format", "json", "--as-of", as_of, *options]
    if matrix:
        rows = [{"from_client": a, "to_client": b, "minutes": m} for a, b, m in matrix]
        args += ["--travel-matrix", str(csv_file(tmp_path / "matrix.csv", rows))]
    if workers:
        args += ["--workers", str(csv_file(tmp_path / "workers.csv", list(workers)))]
    if payslips:
        args += ["--payslips", str(csv_file(tmp_path / "payslips.csv", list(payslips)))]
    result = CliRunner().invoke(app, args, input=rota.read_text(encoding="utf-8") if stdin else None)
    assert result.exit_code in (0, 1), result.output
    if not stdin:  # every hand-computed rota is also a check that the Dask engine gives the same report
        on_dask = CliRunner().invoke(app, [*args, "--engine", "dask", "--scheduler", SCHEDULER["address"]])
        assert (on_dask.exit_code, on_dask.stdout) == (result.exit_code, result.stdout), on_dask.output
    return result.exit_code, json.loads(result.stdout)


SCHEDULER: dict = {}


@pytest.fixture(autouse=True)
def dask_engine_too(dask_scheduler):
    SCHEDULER["address"] = dask_scheduler


def period(report: dict, worker: str, start: str) -> dict:
    """The worker-period row of `worker` for the period starting on `start`."""
    (row,) = [r for r in report["workers"] if r["worker_id"] == worker and r["period_start"] == start]
    return row


def h(minutes: float) -> float:
    return minutes / 60


AGE_30 = [{"worker_id": "w1", "age": 30}]


# 1. Averaging within a pay reference period, never across ------------------------------------------

def test_low_paid_day_offset_by_high_paid_day_in_the_same_week(tmp_path):
    # Mon 2 Nov and Tue 3 Nov 2026, same week; 2 h each, paid £20 and £32; gap 22 h → no travel.
    # 4 h × £12.71 = £50.84 ≤ £52 paid → compliant; effective rate 52 / 4 = £13.
    code, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 10:00", visit_pay=20),
        visit("w1", "A", "2026-11-03 08:00", "2026-11-03 10:00", visit_pay=32),
    ], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["period_end"] == "2026-11-08"
    assert row["working_hours"] == pytest.approx(4, abs=HOURS)
    assert row["pay"] == pytest.approx(52, abs=MONEY)
    assert row["effective_rate"] == pytest.approx(13, abs=HOURS)
    assert row["shortfall"] == pytest.approx(0, abs=MONEY)
    assert row["compliant"] is True
    assert report["summary"]["worker_periods_below_floor"] == 0
    assert code == 0


def test_the_same_two_days_split_across_weeks_are_not_averaged(tmp_path):
    # Sun 8 Nov (week of 2 Nov): 2 h, £20 → 2 × 12.71 = 25.42 − 20 = £5.42 short (£10/h).
    # Mon 9 Nov (week of 9 Nov): 2 h, £32 → £16/h, compliant.
    code, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-08 08:00", "2026-11-08 10:00", visit_pay=20),
        visit("w1", "A", "2026-11-09 08:00", "2026-11-09 10:00", visit_pay=32),
    ], workers=AGE_30)
    low, high = period(report, "w1", "2026-11-02"), period(report, "w1", "2026-11-09")
    assert low["effective_rate"] == pytest.approx(10, abs=HOURS)
    assert low["shortfall"] == pytest.approx(5.42, abs=MONEY)
    assert low["arrears"] == pytest.approx(5.42, abs=MONEY)  # as-of in the same rate year: R2 = R1
    assert low["compliant"] is False
    assert high["effective_rate"] == pytest.approx(16, abs=HOURS)
    assert high["shortfall"] == pytest.approx(0, abs=MONEY)
    assert high["compliant"] is True
    assert report["summary"]["worker_periods_below_floor"] == 1
    assert report["summary"]["total_shortfall"] == pytest.approx(5.42, abs=MONEY)
    assert code == 1


# 2. Travel between visits only ----------------------------------------------------------------------

def test_travel_counts_between_visits_not_from_or_to_home(tmp_path):
    # Mon: A 08:00-08:30, B 08:40-09:10, C 09:25-09:55; T(A,B) = 10, T(B,C) = 15, T(C,A) = 25.
    # First visit: nothing. A→B gap 10 = T → travel 10. B→C gap 15 = T → travel 15.
    # Tue: A 08:00-08:30 after a 22 h gap → new shift, C→home→A is commuting: nothing.
    # Contact 4 × 30 = 120 min; travel 25 min; waiting 0; working 145 min.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=10),
        visit("w1", "B", "2026-11-02 08:40", "2026-11-02 09:10", visit_pay=10),
        visit("w1", "C", "2026-11-02 09:25", "2026-11-02 09:55", visit_pay=10),
        visit("w1", "A", "2026-11-03 08:00", "2026-11-03 08:30", visit_pay=10),
    ], matrix=[("A", "B", 10), ("B", "C", 15), ("C", "A", 25)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["contact_hours"] == pytest.approx(2, abs=HOURS)
    assert row["travel_hours"] == pytest.approx(h(25), abs=HOURS)
    assert row["waiting_hours"] == pytest.approx(0, abs=HOURS)
    assert row["working_hours"] == pytest.approx(h(145), abs=HOURS)


def test_travel_and_waiting_belong_to_the_visit_they_lead_to(tmp_path):
    # A Sun 8 Nov 23:00-23:45; B Mon 9 Nov 00:15-00:45. Matrix gives only B→A = 10 (looked up the
    # other way round). Gap 30 ≤ 60 → travel 10 + waiting 20, both in B's week (9 Nov).
    # Week 2 Nov: contact 0.75 h, nothing else. Week 9 Nov: 0.5 + 10/60 + 20/60 = 1.0 h.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-08 23:00", "2026-11-08 23:45", visit_pay=20),
        visit("w1", "B", "2026-11-09 00:15", "2026-11-09 00:45", visit_pay=20),
    ], matrix=[("B", "A", 10)], workers=AGE_30)
    first, second = period(report, "w1", "2026-11-02"), period(report, "w1", "2026-11-09")
    assert (first["contact_hours"], first["travel_hours"], first["waiting_hours"]) == (0.75, 0, 0)
    assert second["contact_hours"] == pytest.approx(0.5, abs=HOURS)
    assert second["travel_hours"] == pytest.approx(h(10), abs=HOURS)
    assert second["waiting_hours"] == pytest.approx(h(20), abs=HOURS)
    assert second["working_hours"] == pytest.approx(1, abs=HOURS)


def test_consecutive_visits_at_the_same_client_take_no_travel(tmp_path):
    # A 08:00-08:30 then A 09:00-09:30, no matrix and no locations: travel 0, waiting 30.
    # Working 30 + 30 + 30 = 90 min.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=10),
        visit("w1", "A", "2026-11-02 09:00", "2026-11-02 09:30", visit_pay=10),
    ], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["travel_hours"] == 0
    assert row["waiting_hours"] == pytest.approx(0.5, abs=HOURS)
    assert row["working_hours"] == pytest.approx(1.5, abs=HOURS)


# 3. Gap rules at their boundaries ------------------------------------------------------------------

@pytest.mark.parametrize("options,b_start,travel,waiting", [
    # Defaults --paid-gap 60 --split-gap 180; A ends 08:30, T(A,B) = 20.
    ((), "08:30", 20, 0),     # gap 0 < T: travel still counted in full, no waiting
    ((), "09:30", 20, 40),    # gap 60 = paid gap: travel 20 + waiting 40
    ((), "09:31", 20, 0),     # gap 61: a break, travel only
    ((), "11:30", 20, 0),     # gap 180 = split gap: travel only
    ((), "11:31", 0, 0),      # gap 181: a new shift, nothing
    (("--paid-gap", "30", "--split-gap", "90"), "09:00", 20, 10),  # gap 30 = paid gap
    (("--paid-gap", "30", "--split-gap", "90"), "09:01", 20, 0),   # gap 31
    (("--paid-gap", "30", "--split-gap", "90"), "10:00", 20, 0),   # gap 90 = split gap
    (("--paid-gap", "30", "--split-gap", "90"), "10:01", 0, 0),    # gap 91
])
def test_gap_rules(tmp_path, options, b_start, travel, waiting):
    # A 08:00-08:30, B starts at b_start and lasts 30 min; working = 60 min + travel + waiting.
    hour, minute = map(int, b_start.split(":"))
    b_end = f"{hour + (minute + 30) // 60:02d}:{(minute + 30) % 60:02d}"
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=20),
        visit("w1", "B", f"2026-11-02 {b_start}", f"2026-11-02 {b_end}", visit_pay=20),
    ], *options, matrix=[("A", "B", 20)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["contact_hours"] == pytest.approx(1, abs=HOURS)
    assert row["travel_hours"] == pytest.approx(h(travel), abs=HOURS)
    assert row["waiting_hours"] == pytest.approx(h(waiting), abs=HOURS)
    assert row["working_hours"] == pytest.approx(h(60 + travel + waiting), abs=HOURS)


def test_travel_in_a_break_is_capped_at_the_gap(tmp_path):
    # A 08:00-08:30, B 10:00-10:30: gap 90 (60 < 90 ≤ 180), T(A,B) = 100 → travel min(100, 90) = 90.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=20),
        visit("w1", "B", "2026-11-02 10:00", "2026-11-02 10:30", visit_pay=20),
    ], matrix=[("A", "B", 100)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["travel_hours"] == pytest.approx(1.5, abs=HOURS)
    assert row["waiting_hours"] == 0
    assert row["working_hours"] == pytest.approx(2.5, abs=HOURS)


def test_overlapping_visits_are_counted_once_and_reported(tmp_path):
    # A 08:00-09:00, B 08:30-09:30: gap −30 → travel T = 10, no waiting; the overlap 08:30-09:00
    # counts once, so visit time is 08:00-09:30 = 90 min; working 90 + 10 = 100 min.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 09:00", visit_pay=20),
        visit("w1", "B", "2026-11-02 08:30", "2026-11-02 09:30", visit_pay=20),
    ], matrix=[("A", "B", 10)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["contact_hours"] == pytest.approx(1.5, abs=HOURS)
    assert row["travel_hours"] == pytest.approx(h(10), abs=HOURS)
    assert row["waiting_hours"] == 0
    assert row["working_hours"] == pytest.approx(h(100), abs=HOURS)
    assert [f["rule"] for f in report["findings"]].count("overlapping-visits") == 1


def test_gap_is_measured_from_the_latest_end_of_earlier_visits(tmp_path):
    # A 08:00-10:00, B 08:30-09:00 inside it, C 10:30-11:00; every pair 10 min apart.
    # B: gap 08:30 − 10:00 = −90 → travel 10. C: gap 10:30 − 10:00 (A's end, not B's) = 30 → travel 10
    # + waiting 20. Visit time 08:00-10:00 once + 30 = 150 min; working 150 + 20 + 20 = 190 min.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 10:00", visit_pay=50),
        visit("w1", "B", "2026-11-02 08:30", "2026-11-02 09:00", visit_pay=50),
        visit("w1", "C", "2026-11-02 10:30", "2026-11-02 11:00", visit_pay=50),
    ], matrix=[("A", "B", 10), ("B", "C", 10), ("A", "C", 10)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["contact_hours"] == pytest.approx(2.5, abs=HOURS)
    assert row["travel_hours"] == pytest.approx(h(20), abs=HOURS)
    assert row["waiting_hours"] == pytest.approx(h(20), abs=HOURS)
    assert row["working_hours"] == pytest.approx(h(190), abs=HOURS)


def test_travel_of_a_leg_is_rounded_to_the_second(tmp_path):
    # T(A,B) = 10.123 min = 607.38 s → 607 s. Gap 10 min < T: no waiting.
    # Working 50 min + 607 s = 3607 s = 1.001944 h; travel 607 s = 0.168611 h.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=50),
        visit("w1", "B", "2026-11-02 08:40", "2026-11-02 09:00", visit_pay=50),
    ], matrix=[("A", "B", 10.123)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["travel_hours"] == pytest.approx(607 / 3600, abs=HOURS)
    assert row["working_hours"] == pytest.approx(3607 / 3600, abs=HOURS)


# 4. Age bands: the age on the period's first day ---------------------------------------------------

def test_age_bands_fixed_by_age_on_the_first_day_of_the_period(tmp_path):
    # Every visit 2 h paid £20 (£10/h), weeks of 2 and 9 Nov 2026 (NLW 12.71, 18-20 10.85, <18 8.00).
    # w20: age 20                      → 10.85: 21.70 − 20 = 1.70 short.
    # w20to21: born 2005-11-04, 21 on Wed 4 Nov: week 2 Nov (age 20 on Mon) at 10.85 for both visits,
    #   Mon + Thu = 4 h, £40 → 43.40 − 40 = 3.40; week 9 Nov at 12.71 → 25.42 − 20 = 5.42.
    # w19to20: born 2006-11-04, 20 mid-week: 18-20 band both weeks → 1.70 and 1.70.
    # w17to18: born 2008-11-04: week 2 Nov at 8.00 → 16 < 20 compliant; week 9 Nov at 10.85 → 1.70.
    # wmon: born 2005-11-09, 21 on the Monday 9 Nov: week 2 Nov 10.85 → 1.70; week 9 Nov 12.71 → 5.42.
    # wnone: not in the workers file → top rate 12.71 → 5.42, age_known false.
    people = ["w20", "w20to21", "w19to20", "w17to18", "wmon", "wnone"]
    visits = []
    for w in people:
        visits += [visit(w, "A", "2026-11-02 08:00", "2026-11-02 10:00", visit_pay=20),
                   visit(w, "A", "2026-11-09 08:00", "2026-11-09 10:00", visit_pay=20)]
    visits.append(visit("w20to21", "A", "2026-11-05 08:00", "2026-11-05 10:00", visit_pay=20))
    _, report = audit(tmp_path, visits, workers=[
        {"worker_id": "w20", "date_of_birth": "", "age": 20},
        {"worker_id": "w20to21", "date_of_birth": "2005-11-04", "age": ""},
        {"worker_id": "w19to20", "date_of_birth": "2006-11-04", "age": ""},
        {"worker_id": "w17to18", "date_of_birth": "2008-11-04", "age": ""},
        {"worker_id": "wmon", "date_of_birth": "2005-11-09", "age": ""},
    ])
    expected = {  # worker: ((rate, shortfall) week of 2 Nov, (rate, shortfall) week of 9 Nov)
        "w20": ((10.85, 1.70), (10.85, 1.70)),
        "w20to21": ((10.85, 3.40), (12.71, 5.42)),
        "w19to20": ((10.85, 1.70), (10.85, 1.70)),
        "w17to18": ((8.00, 0.00), (10.85, 1.70)),
        "wmon": ((10.85, 1.70), (12.71, 5.42)),
        "wnone": ((12.71, 5.42), (12.71, 5.42)),
    }
    for worker, weeks in expected.items():
        for start, (rate, shortfall) in zip(["2026-11-02", "2026-11-09"], weeks):
            row = period(report, worker, start)
            assert row["floor_rate"] == pytest.approx(rate, abs=MONEY), (worker, start)
            assert row["shortfall"] == pytest.approx(shortfall, abs=MONEY), (worker, start)
            assert row["age_known"] is (worker != "wnone")
    assert any("wnone" in note for note in report["notes"])


# 5. Rate changes on 1 April: the rate in force on the period's first day ---------------------------

def test_week_spanning_1_april_keeps_the_old_rate(tmp_path):
    # Week Mon 30 Mar 2026: Mon + Thu 2 Apr, 2 h each, £20 each → 4 h at 12.21 = 48.84 − 40 = 8.84.
    # Arrears as of 23 Nov 2026 (R2 = 12.71): 884p ÷ 12.21 × 12.71 = 920.20p → £9.20.
    # Week Mon 6 Apr: 2 h, £20 at 12.71 → 25.42 − 20 = 5.42; arrears = 5.42 (R1 = R2).
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-03-30 08:00", "2026-03-30 10:00", visit_pay=20),
        visit("w1", "A", "2026-04-02 08:00", "2026-04-02 10:00", visit_pay=20),
        visit("w1", "A", "2026-04-06 08:00", "2026-04-06 10:00", visit_pay=20),
    ], workers=AGE_30)
    old, new = period(report, "w1", "2026-03-30"), period(report, "w1", "2026-04-06")
    assert old["floor_rate"] == 12.21 and new["floor_rate"] == 12.71
    assert old["working_hours"] == pytest.approx(4, abs=HOURS)
    assert old["shortfall"] == pytest.approx(8.84, abs=MONEY)
    assert old["arrears"] == pytest.approx(9.20, abs=MONEY)
    assert new["shortfall"] == pytest.approx(5.42, abs=MONEY)
    assert new["arrears"] == pytest.approx(5.42, abs=MONEY)
    assert report["summary"]["total_arrears"] == pytest.approx(14.62, abs=MONEY)


def test_2021_bands(tmp_path):
    # Week Mon 7 Jun 2021, 2 h paid £15 each.
    # Age 30 (23+, 8.91): 17.82 − 15 = 2.82; arrears as of 1 Jun 2022 (23+ 9.50): 282 ÷ 8.91 × 9.50
    #   = 300.67p → £3.01.
    # Age 22 (21-22, 8.36): 16.72 − 15 = 1.72; arrears (21-22 9.18): 172 ÷ 8.36 × 9.18 = 188.87p → £1.89.
    # Age unknown: top rate 23+ 8.91 → 2.82, £3.01.
    _, report = audit(tmp_path, [
        visit(w, "A", "2021-06-07 08:00", "2021-06-07 10:00", visit_pay=15) for w in ("w30", "w22", "wnone")
    ], workers=[{"worker_id": "w30", "age": 30}, {"worker_id": "w22", "age": 22}], as_of="2022-06-01")
    for worker, rate, shortfall, arrears in [("w30", 8.91, 2.82, 3.01), ("w22", 8.36, 1.72, 1.89),
                                             ("wnone", 8.91, 2.82, 3.01)]:
        row = period(report, worker, "2021-06-07")
        assert row["floor_rate"] == pytest.approx(rate, abs=MONEY), worker
        assert row["shortfall"] == pytest.approx(shortfall, abs=MONEY), worker
        assert row["arrears"] == pytest.approx(arrears, abs=MONEY), worker


def test_arrears_use_the_band_of_the_period_not_the_age_at_determination(tmp_path):
    # Born 2005-06-01: 20 in the week of 3 Nov 2025 (18-20, £10.00); 21 by 23 Nov 2026.
    # 2 h paid £15 → 20.00 − 15 = 5.00. Arrears use the 18-20 rate on 23 Nov 2026 (10.85), not 12.71:
    # 500p ÷ 10.00 × 10.85 = 542.5p → half-up 543p → £5.43.
    _, report = audit(tmp_path, [visit("w1", "A", "2025-11-03 08:00", "2025-11-03 10:00", visit_pay=15)],
                      workers=[{"worker_id": "w1", "date_of_birth": "2005-06-01"}])
    row = period(report, "w1", "2025-11-03")
    assert row["floor_rate"] == 10.00
    assert row["shortfall"] == pytest.approx(5.00, abs=MONEY)
    assert row["arrears"] == pytest.approx(5.43, abs=MONEY)


def test_unknown_age_before_2021_takes_the_25_plus_rate(tmp_path):
    # Week Mon 1 Jun 2020, age unknown → 25+ rate 8.72: 2 h paid £10 → 17.44 − 10 = 7.44.
    _, report = audit(tmp_path, [visit("w1", "A", "2020-06-01 08:00", "2020-06-01 10:00", visit_pay=10)],
                      as_of="2020-11-01")
    row = period(report, "w1", "2020-06-01")
    assert row["floor_rate"] == 8.72
    assert row["shortfall"] == pytest.approx(7.44, abs=MONEY)
    assert row["arrears"] == pytest.approx(7.44, abs=MONEY)


def test_periods_outside_the_rate_table(tmp_path):
    # Week Mon 5 Apr 2027 starts after 31 Mar 2027: latest known rate 12.71 used, and flagged.
    # 2 h paid £10 → 25.42 − 10 = 15.42.
    _, report = audit(tmp_path, [visit("w1", "A", "2027-04-05 08:00", "2027-04-05 10:00", visit_pay=10)],
                      workers=AGE_30)
    row = period(report, "w1", "2027-04-05")
    assert row["floor_rate"] == 12.71
    assert row["shortfall"] == pytest.approx(15.42, abs=MONEY)
    assert any("2027-03-31" in note for note in report["notes"])
    # Fri 1 Apr 2016 is in the week of Mon 28 Mar 2016, before the first known rate: an input error.
    rota = csv_file(tmp_path / "early.csv", [visit("w1", "A", "2016-04-01 08:00", "2016-04-01 10:00",
                                                   visit_pay=20)])
    assert CliRunner().invoke(app, ["audit", str(rota), "--format", "json"]).exit_code == 2


# 6. Real Living Wage and a fixed floor -------------------------------------------------------------

def test_real_living_wage_uk_and_london_from_1_may(tmp_path):
    # Age 30; 2 h paid £20 in the week of Mon 27 Apr 2026 (visit on Fri 1 May) and of Mon 4 May.
    # Week 27 Apr (rate in force on 27 Apr): UK 12.60 → 25.20 − 20 = 5.20; London 13.85 → 27.70 − 20 = 7.70.
    #   Arrears as of 23 Nov 2026: UK 520 ÷ 12.60 × 13.45 = 555.08p → 5.55;
    #   London 770 ÷ 13.85 × 14.80 = 822.82p → 8.23.
    # Week 4 May: UK 13.45 → 26.90 − 20 = 6.90; London 14.80 → 29.60 − 20 = 9.60.
    # w17 (age 17, UK): under 18 → statutory 8.00 → 16 < 20, compliant, both weeks.
    visits = []
    for w in ("uk", "ldn", "w17"):
        visits += [visit(w, "A", "2026-05-01 08:00", "2026-05-01 10:00", visit_pay=20),
                   visit(w, "A", "2026-05-04 08:00", "2026-05-04 10:00", visit_pay=20)]
    _, report = audit(tmp_path, visits, "--wage", "rlw", workers=[
        {"worker_id": "uk", "age": 30, "london": "false"},
        {"worker_id": "ldn", "age": 30, "london": "true"},
        {"worker_id": "w17", "age": 17, "london": "false"},
    ])
    for worker, start, rate, shortfall, arrears in [
        ("uk", "2026-04-27", 12.60, 5.20, 5.55), ("ldn", "2026-04-27", 13.85, 7.70, 8.23),
        ("uk", "2026-05-04", 13.45, 6.90, 6.90), ("ldn", "2026-05-04", 14.80, 9.60, 9.60),
        ("w17", "2026-04-27", 8.00, 0, 0), ("w17", "2026-05-04", 8.00, 0, 0),
    ]:
        row = period(report, worker, start)
        assert row["floor_rate"] == pytest.approx(rate, abs=MONEY), (worker, start)
        assert row["shortfall"] == pytest.approx(shortfall, abs=MONEY), (worker, start)
        assert row["arrears"] == pytest.approx(arrears, abs=MONEY), (worker, start)


def test_fixed_wage_floor(tmp_path):
    # --wage 13: 2 h (Mon 3 Nov 2025) paid £20 → 26 − 20 = 6.00; arrears = shortfall (R1 = R2 = 13).
    _, report = audit(tmp_path, [visit("w1", "A", "2025-11-03 08:00", "2025-11-03 10:00", visit_pay=20)],
                      "--wage", "13")
    row = period(report, "w1", "2025-11-03")
    assert row["floor_rate"] == 13
    assert row["shortfall"] == pytest.approx(6.00, abs=MONEY)
    assert row["arrears"] == pytest.approx(6.00, abs=MONEY)


# 7. Arrears: the HMRC / NI Business Info worked example ---------------------------------------------

@pytest.mark.parametrize("as_of,arrears", [
    ("2023-06-01", 90.49),  # 8250p ÷ 9.50 × 10.42 = 9048.95p → £90.49
    ("2022-12-01", 82.50),  # same rate year: R2 = R1 = 9.50 → arrears = shortfall
])
def test_hmrc_arrears_example(tmp_path, as_of, arrears):
    # June 2022, monthly period, age 30 (23+, £9.50). Five 7 h visits = 35 h, £50 each = £250.
    # Floor 35 × 9.50 = 332.50 → shortfall 82.50; effective rate 250 / 35 = 7.1429.
    days = ["2022-06-01", "2022-06-02", "2022-06-03", "2022-06-06", "2022-06-07"]
    _, report = audit(tmp_path, [visit("w1", "A", f"{d} 09:00", f"{d} 16:00", visit_pay=50) for d in days],
                      "--period", "month", workers=AGE_30, as_of=as_of)
    row = period(report, "w1", "2022-06-01")
    assert row["period_end"] == "2022-06-30"
    assert row["working_hours"] == pytest.approx(35, abs=HOURS)
    assert row["pay"] == pytest.approx(250, abs=MONEY)
    assert row["effective_rate"] == pytest.approx(7.1429, abs=HOURS)
    assert row["floor_rate"] == 9.50
    assert row["shortfall"] == pytest.approx(82.50, abs=MONEY)
    assert row["arrears"] == pytest.approx(arrears, abs=MONEY)
    assert report["summary"]["total_arrears"] == pytest.approx(arrears, abs=MONEY)
    (finding,) = [f for f in report["findings"] if f["rule"] == "below-wage-floor"]
    assert finding["message"] == ("w1 was paid £250.00 for 35.00 working hours (2022-06-01 to 2022-06-30): "
                                  "£7.14 an hour against a floor of £9.50; shortfall £82.50")


def test_pay_finding_words_its_figures_in_pounds_and_pence(tmp_path):
    # June 2022, monthly, age 30 (£9.50). 16 visits of 8 h = 128 h at £75 = £1,200; floor 128 × 9.50 =
    # £1,216 → shortfall £16.00; rate 1200 / 128 = £9.375 exactly, a tie written as Python writes it
    # (to even: £9.38). Thousands take a comma.
    days = [f"2022-06-{d:02d}" for d in range(1, 17)]
    _, report = audit(tmp_path, [visit("w1", "A", f"{d} 09:00", f"{d} 17:00", visit_pay=75) for d in days],
                      "--period", "month", workers=AGE_30)
    (finding,) = [f for f in report["findings"] if f["rule"] == "below-wage-floor"]
    assert (finding["period_start"], finding["period_end"], finding["amount"]) == ("2022-06-01", "2022-06-30", 16.0)
    assert finding["message"] == ("w1 was paid £1,200.00 for 128.00 working hours (2022-06-01 to 2022-06-30): "
                                  "£9.38 an hour against a floor of £9.50; shortfall £16.00")


# 8. Mileage is never pay; travel pay is -----------------------------------------------------------

def test_mileage_pay_is_not_pay_but_travel_pay_is(tmp_path):
    # A 08:00-09:00, B 09:10-10:10, C 10:25-11:25; T(A,B) = 10, T(B,C) = 15 (gaps equal T).
    # Pay: 3 × 12 visit pay + 1.50 travel pay on B = 37.50; mileage 4.50 + 3.00 ignored.
    # Working 180 + 25 = 205 min; floor 12.71 × 205/60 = 43.4258 → shortfall 5.9258 → 5.93.
    # Unpaid travel: the 15 min leading to C (travel_pay 0); the 10 min to B is paid.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 09:00", visit_pay=12, travel_pay="", mileage_pay=4.50),
        visit("w1", "B", "2026-11-02 09:10", "2026-11-02 10:10", visit_pay=12, travel_pay=1.50, mileage_pay=""),
        visit("w1", "C", "2026-11-02 10:25", "2026-11-02 11:25", visit_pay=12, travel_pay=0, mileage_pay=3),
    ], matrix=[("A", "B", 10), ("B", "C", 15)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["pay"] == pytest.approx(37.50, abs=MONEY)
    assert row["working_hours"] == pytest.approx(h(205), abs=HOURS)
    assert row["shortfall"] == pytest.approx(5.93, abs=MONEY)
    assert row["unpaid_travel_hours"] == pytest.approx(0.25, abs=HOURS)
    assert report["summary"]["unpaid_travel_hours"] == pytest.approx(0.25, abs=HOURS)


def test_visit_pay_wins_over_hourly_rate(tmp_path):
    # Mon: 2 h with visit_pay 20 and hourly_rate 100 → £20. Tue: 2 h, hourly_rate 10 only → £20.
    # 4 h × 12.71 = 50.84 − 40 = 10.84.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 10:00", visit_pay=20, hourly_rate=100),
        visit("w1", "A", "2026-11-03 08:00", "2026-11-03 10:00", visit_pay="", hourly_rate=10),
    ], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["pay"] == pytest.approx(40, abs=MONEY)
    assert row["shortfall"] == pytest.approx(10.84, abs=MONEY)


# 9. Clock changes -----------------------------------------------------------------------------------

def test_visits_across_clock_changes_last_as_long_as_they_really_did(tmp_path):
    # Each worker has one visit, hourly_rate £20 so pay = 20 × real hours.
    # spring 29 Mar 2026 00:30 GMT → 02:30 BST = 00:30Z → 01:30Z: 1 h.
    # autumn 25 Oct 2026 00:30 BST → 02:30 GMT = 23:30Z → 02:30Z: 3 h.
    # repeat 25 Oct 01:10-01:50: both first (BST) occurrence: 40 min.
    # back   25 Oct 01:30-01:15: end before start as BST, so read as GMT: 00:30Z → 01:15Z: 45 min.
    # skip   29 Mar 01:30-03:00: 01:30 does not exist, moved to 02:00 BST = 01:00Z → 02:00Z: 1 h.
    cases = {"spring": ("2026-03-29", "00:30", "02:30", 60), "autumn": ("2026-10-25", "00:30", "02:30", 180),
             "repeat": ("2026-10-25", "01:10", "01:50", 40), "back": ("2026-10-25", "01:30", "01:15", 45),
             "skip": ("2026-03-29", "01:30", "03:00", 60)}
    _, report = audit(tmp_path, [visit(w, "A", f"{d} {s}", f"{d} {e}", hourly_rate=20)
                                 for w, (d, s, e, _) in cases.items()])
    for worker, (day, _, _, minutes) in cases.items():
        week = "2026-03-23" if day == "2026-03-29" else "2026-10-19"  # both dates are Sundays
        row = period(report, worker, week)
        assert row["contact_hours"] == pytest.approx(h(minutes), abs=HOURS), worker
        assert row["pay"] == pytest.approx(20 * h(minutes), abs=MONEY), worker
    notes = " ".join(report["notes"])
    assert "repeated hour" in notes and "skipped" in notes  # both are reported


def test_times_with_an_offset_and_day_first_dates(tmp_path):
    # 8 Jun 2026 is BST. 08:00Z = 09:00 local; 08/06/2026 10:00 local = 09:00Z; 1 h.
    # 15/06/2026 08:00:00 → 08:30 local = 30 min. Weeks of 8 and 15 Jun.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-06-08T08:00Z", "08/06/2026 10:00", hourly_rate=20),
        visit("w1", "A", "15/06/2026 08:00:00", "2026-06-15T08:30:00", hourly_rate=20),
    ], workers=AGE_30)
    assert period(report, "w1", "2026-06-08")["contact_hours"] == pytest.approx(1, abs=HOURS)
    assert period(report, "w1", "2026-06-15")["contact_hours"] == pytest.approx(0.5, abs=HOURS)


# 10. Payslips ----------------------------------------------------------------------------------------

def test_payslip_pay_and_period_replace_the_rota(tmp_path):
    # Rota pay £100 a visit is ignored. Payslip 2 Nov-15 Nov 2026: gross 50 − expenses 5 = £45 for
    # Mon 2 Nov + Tue 10 Nov, 2 h each = 4 h (one period, not two weeks): 50.84 − 45 = 5.84.
    # Mon 23 Nov is outside every payslip: counted, left out of pay.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 10:00", visit_pay=100),
        visit("w1", "A", "2026-11-10 08:00", "2026-11-10 10:00", visit_pay=100),
        visit("w1", "A", "2026-11-23 08:00", "2026-11-23 09:00", visit_pay=100),
    ], workers=AGE_30, payslips=[{"worker_id": "w1", "period_start": "2026-11-02", "period_end": "2026-11-15",
                                  "gross_pay": 50, "expenses": 5}])
    (row,) = report["workers"]
    assert (row["period_start"], row["period_end"]) == ("2026-11-02", "2026-11-15")
    assert row["visits"] == 2
    assert row["working_hours"] == pytest.approx(4, abs=HOURS)
    assert row["pay"] == pytest.approx(45, abs=MONEY)
    assert row["shortfall"] == pytest.approx(5.84, abs=MONEY)
    assert report["summary"]["visits_outside_payslips"] == 1
    assert report["summary"]["total_pay"] == pytest.approx(45, abs=MONEY)


def test_payslip_period_across_1_april_uses_the_rate_on_its_first_day(tmp_path):
    # No pay columns in the rota. Payslip 25 Mar-24 Apr 2026, gross £48, for Mon 30 Mar and
    # Mon 20 Apr, 2 h each: rate on 25 Mar = 12.21 → 4 × 12.21 = 48.84 − 48 = 0.84.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-03-30 08:00", "2026-03-30 10:00"),
        visit("w1", "A", "2026-04-20 08:00", "2026-04-20 10:00"),
    ], workers=AGE_30, payslips=[{"worker_id": "w1", "period_start": "2026-03-25", "period_end": "2026-04-24",
                                  "gross_pay": 48}])
    row = period(report, "w1", "2026-03-25")
    assert row["period_end"] == "2026-04-24"
    assert row["floor_rate"] == 12.21
    assert row["shortfall"] == pytest.approx(0.84, abs=MONEY)


# Pay periods: fortnights, anchors and local dates ---------------------------------------------------

def test_fortnights_start_on_the_monday_on_or_before_the_first_visit(tmp_path):
    # First visit of the rota Wed 4 Nov → fortnights 2-15 Nov and 16-29 Nov. 2 h each.
    # 4 Nov (£20) + Sun 15 Nov (£32): 4 h, £52 ≥ 50.84 → compliant. Mon 16 Nov £20 → 5.42 short.
    # w2's first visit (Tue 10 Nov) falls in the rota's fortnight 2-15 Nov, not one from 9 Nov.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-04 08:00", "2026-11-04 10:00", visit_pay=20),
        visit("w1", "A", "2026-11-15 08:00", "2026-11-15 10:00", visit_pay=32),
        visit("w1", "A", "2026-11-16 08:00", "2026-11-16 10:00", visit_pay=20),
        visit("w2", "A", "2026-11-10 08:00", "2026-11-10 10:00", visit_pay=30),
    ], "--period", "fortnight", workers=AGE_30)
    first, second = period(report, "w1", "2026-11-02"), period(report, "w1", "2026-11-16")
    assert first["period_end"] == "2026-11-15" and second["period_end"] == "2026-11-29"
    assert first["shortfall"] == 0 and first["compliant"] is True
    assert second["shortfall"] == pytest.approx(5.42, abs=MONEY)
    assert period(report, "w2", "2026-11-02")["period_end"] == "2026-11-15"


def test_period_start_anchors_weeks_and_months(tmp_path):
    # Weeks anchored on Wed 4 Nov 2026: Tue 3 Nov is in 28 Oct-3 Nov, Wed 4 Nov in 4-10 Nov.
    _, weeks = audit(tmp_path, [
        visit("w1", "A", "2026-11-03 08:00", "2026-11-03 10:00", visit_pay=30),
        visit("w1", "A", "2026-11-04 08:00", "2026-11-04 10:00", visit_pay=30),
    ], "--period-start", "2026-11-04", workers=AGE_30)
    assert period(weeks, "w1", "2026-10-28")["period_end"] == "2026-11-03"
    assert period(weeks, "w1", "2026-11-04")["period_end"] == "2026-11-10"
    # Months anchored on 31 Jan 2026: they start 28 Feb (Feb is shorter), 31 Mar, 30 Apr.
    # 1 Mar → period 28 Feb-30 Mar. 15 Apr → period 31 Mar-29 Apr, rate on 31 Mar = 12.21:
    # 2 h paid £20 → 24.42 − 20 = 4.42.
    _, months = audit(tmp_path, [
        visit("w1", "A", "2026-03-01 08:00", "2026-03-01 10:00", visit_pay=30),
        visit("w1", "A", "2026-04-15 08:00", "2026-04-15 10:00", visit_pay=20),
    ], "--period", "month", "--period-start", "2026-01-31", workers=AGE_30)
    assert period(months, "w1", "2026-02-28")["period_end"] == "2026-03-30"
    april = period(months, "w1", "2026-03-31")
    assert april["period_end"] == "2026-04-29"
    assert april["floor_rate"] == 12.21
    assert april["shortfall"] == pytest.approx(4.42, abs=MONEY)


def test_a_visit_belongs_to_the_period_of_its_local_start_date(tmp_path):
    # Mon 8 Jun 2026 00:30 BST is Sun 7 Jun 23:30Z: its local date puts it in the week of 8 Jun.
    # Sun 8 Nov 2026 23:00-Mon 00:30 (GMT): starts on Sunday, so all 1.5 h are in the week of 2 Nov.
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-06-08 00:30", "2026-06-08 01:30", visit_pay=20),
        visit("w1", "A", "2026-11-08 23:00", "2026-11-09 00:30", visit_pay=20),
    ], workers=AGE_30)
    assert period(report, "w1", "2026-06-08")["contact_hours"] == pytest.approx(1, abs=HOURS)
    assert period(report, "w1", "2026-11-02")["contact_hours"] == pytest.approx(1.5, abs=HOURS)
    assert len(report["workers"]) == 2


# Rounding of the shortfall ---------------------------------------------------------------------------

def test_shortfall_rounded_half_up_once_per_worker_period(tmp_path):
    # half: 30 min paid £6.35: 12.71 × 0.5 = 6.355 − 6.35 = 0.005 → half-up £0.01, not compliant.
    # third: two weeks of 20 min paid £4.23: 12.71 / 3 = 4.23667 − 4.23 = 0.00667 → £0.01 each.
    # under: 20 min paid £4.24: 4.23667 − 4.24 < 0 → 0, compliant.
    # Totals add the rounded rows: 0.01 + 0.01 + 0.01 = 0.03.
    _, report = audit(tmp_path, [
        visit("half", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=6.35),
        visit("third", "A", "2026-11-02 08:00", "2026-11-02 08:20", visit_pay=4.23),
        visit("third", "A", "2026-11-09 08:00", "2026-11-09 08:20", visit_pay=4.23),
        visit("under", "A", "2026-11-02 08:00", "2026-11-02 08:20", visit_pay=4.24),
    ], workers=[{"worker_id": w, "age": 30} for w in ("half", "third", "under")])
    half = period(report, "half", "2026-11-02")
    assert half["shortfall"] == 0.01 and half["compliant"] is False
    for start in ("2026-11-02", "2026-11-09"):
        assert period(report, "third", start)["shortfall"] == 0.01
    assert period(report, "under", "2026-11-02")["compliant"] is True
    assert report["summary"]["total_shortfall"] == pytest.approx(0.03, abs=1e-9)
    assert report["summary"]["worker_periods_below_floor"] == 3


# 11. Summary figures ----------------------------------------------------------------------------------

SUMMARY_ROTA = [
    # w1 Mon 2 Nov: A 08:00-08:30, B 08:45-09:15 (travel_pay 2), C 09:35-10:05; T(A,B) 10, T(B,C) 15.
    visit("w1", "A", "2026-11-02 08:00", "2026-11-02 08:30", visit_pay=8),
    visit("w1", "B", "2026-11-02 08:45", "2026-11-02 09:15", visit_pay=8, travel_pay=2),
    visit("w1", "C", "2026-11-02 09:35", "2026-11-02 10:05", visit_pay=8),
    # w2 Tue 3 Nov: C 10:00-11:00, A 11:30-12:00; T(C,A) 20 (matrix has A,C). Mon 9 Nov: B 1 h £20.
    visit("w2", "C", "2026-11-03 10:00", "2026-11-03 11:00", visit_pay=15),
    visit("w2", "A", "2026-11-03 11:30", "2026-11-03 12:00", visit_pay=10),
    visit("w2", "B", "2026-11-09 09:00", "2026-11-09 10:00", visit_pay=20),
]
SUMMARY_MATRIX = [("A", "B", 10), ("B", "C", 15), ("A", "C", 20)]
SUMMARY_WORKERS = [{"worker_id": "w1", "age": 30}, {"worker_id": "w2", "age": 30}]


def test_summary_figures(tmp_path):
    # w1 week 2 Nov: gap A→B 15: travel 10 + wait 5; gap B→C 20: travel 15 + wait 5.
    #   Contact 90, travel 25, waiting 10 → 125 min. Pay 24 + 2 = 26. 12.71 × 125/60 = 26.4792 → 0.48.
    #   Unpaid travel: 15 min to C (B's travel is paid).
    # w2 week 2 Nov: gap 30: travel 20 + wait 10. Contact 90 → 120 min. Pay 25; 25.42 − 25 = 0.42.
    #   Unpaid travel 20 min. w2 week 9 Nov: 1 h £20, compliant.
    # Totals: contact 90 + 90 + 60 = 240 min = 4 h; travel 45 min = 0.75 h; waiting 20 min;
    #   working 305 min = 5.0833 h; travel_share 45/305 = 0.1475; travel min per contact hour 45/4 = 11.25;
    #   unpaid travel 35 min = 0.5833 h; pay 26 + 25 + 20 = 71; shortfall 0.48 + 0.42 = 0.90.
    code, report = audit(tmp_path, SUMMARY_ROTA, matrix=SUMMARY_MATRIX, workers=SUMMARY_WORKERS)
    w1, w2 = period(report, "w1", "2026-11-02"), period(report, "w2", "2026-11-02")
    assert w1["working_hours"] == pytest.approx(h(125), abs=HOURS)
    assert w1["shortfall"] == pytest.approx(0.48, abs=MONEY)
    assert w1["unpaid_travel_hours"] == pytest.approx(0.25, abs=HOURS)
    assert w2["working_hours"] == pytest.approx(2, abs=HOURS)
    assert w2["shortfall"] == pytest.approx(0.42, abs=MONEY)
    assert w2["unpaid_travel_hours"] == pytest.approx(h(20), abs=HOURS)
    assert period(report, "w2", "2026-11-09")["compliant"] is True
    s = report["summary"]
    assert (s["visits"], s["workers"], s["clients"], s["worker_periods"]) == (6, 2, 3, 3)
    assert s["contact_hours"] == pytest.approx(4, abs=HOURS)
    assert s["travel_hours"] == pytest.approx(0.75, abs=HOURS)
    assert s["waiting_hours"] == pytest.approx(h(20), abs=HOURS)
    assert s["working_hours"] == pytest.approx(h(305), abs=HOURS)
    assert s["travel_share"] == pytest.approx(45 / 305, abs=HOURS)
    assert s["travel_minutes_per_contact_hour"] == pytest.approx(11.25, abs=HOURS)
    assert s["unpaid_travel_hours"] == pytest.approx(h(35), abs=HOURS)
    assert s["total_pay"] == pytest.approx(71, abs=MONEY)
    assert s["total_shortfall"] == pytest.approx(0.90, abs=MONEY)
    assert s["total_shortfall"] == pytest.approx(sum(r["shortfall"] for r in report["workers"]), abs=1e-9)
    assert s["total_arrears"] == pytest.approx(0.90, abs=MONEY)
    assert (s["worker_periods_below_floor"], s["workers_below_floor"]) == (2, 2)
    assert code == 1


# 12. Actual (call-monitoring) times ---------------------------------------------------------------

@pytest.mark.parametrize("times,contact,travel,waiting,pay,shortfall", [
    # Planned: A 08:00-09:00, B 09:30-10:00, C 10:30-11:00 → contact 120; gaps 30 and 30:
    #   travel 10 + 5, waiting 20 + 25 → working 180 min; pay 12 × 2 = 24; 38.13 − 24 = 14.13.
    ("planned", 120, 15, 45, 24.00, 14.13),
    # Actual: A 08:05-08:50 (45), B 09:40-10:10 (30), C planned 10:30-11:00 (30) → contact 105;
    #   gap A→B 50: travel 10 + wait 40; gap B→C 20: travel 5 + wait 15 → working 175 min;
    #   pay 12 × 1.75 = 21; 12.71 × 175/60 = 37.0708 → 16.07.
    ("actual", 105, 15, 55, 21.00, 16.07),
])
def test_actual_times(tmp_path, times, contact, travel, waiting, pay, shortfall):
    _, report = audit(tmp_path, [
        visit("w1", "A", "2026-11-02 08:00", "2026-11-02 09:00", hourly_rate=12,
              actual_start="2026-11-02 08:05", actual_end="2026-11-02 08:50"),
        visit("w1", "B", "2026-11-02 09:30", "2026-11-02 10:00", hourly_rate=12,
              actual_start="2026-11-02 09:40", actual_end="2026-11-02 10:10"),
        visit("w1", "C", "2026-11-02 10:30", "2026-11-02 11:00", hourly_rate=12),
    ], "--times", times, matrix=[("A", "B", 10), ("B", "C", 5)], workers=AGE_30)
    row = period(report, "w1", "2026-11-02")
    assert row["contact_hours"] == pytest.approx(h(contact), abs=HOURS)
    assert row["travel_hours"] == pytest.approx(h(travel), abs=HOURS)
    assert row["waiting_hours"] == pytest.approx(h(waiting), abs=HOURS)
    assert row["working_hours"] == pytest.approx(h(contact + travel + waiting), abs=HOURS)
    assert row["pay"] == pytest.approx(pay, abs=MONEY)
    assert row["shortfall"] == pytest.approx(shortfall, abs=MONEY)
    assert report["summary"]["times"] == times
    if times == "actual":  # C has no check-in/out: it keeps planned times, and their number is reported
        assert any("1 visit" in note for note in report["notes"])


# 13. Standard input ---------------------------------------------------------------------------------

def test_rota_on_stdin_gives_the_same_report(tmp_path):
    # The summary rota read from '-' must give exactly the report read from the file.
    from_file = audit(tmp_path, SUMMARY_ROTA, matrix=SUMMARY_MATRIX, workers=SUMMARY_WORKERS)
    from_stdin = audit(tmp_path, SUMMARY_ROTA, matrix=SUMMARY_MATRIX, workers=SUMMARY_WORKERS, stdin=True)
    assert from_stdin == from_file
