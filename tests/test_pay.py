"""Pay reference periods, penny rounding and the arrears uplift."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from carerota.pay import PayPeriods, period_bounds, to_pence
from conftest import run, run_json


def bounds(days: list[str], periods: PayPeriods) -> list[tuple[str, str]]:
    start, end = period_bounds(pd.Series(pd.to_datetime(days)), periods)
    return [(s.date().isoformat(), e.date().isoformat()) for s, e in zip(start, end)]


def test_weeks_run_monday_to_sunday():
    assert bounds(["2026-11-02", "2026-11-08", "2026-11-09"], PayPeriods()) == [
        ("2026-11-02", "2026-11-08"), ("2026-11-02", "2026-11-08"), ("2026-11-09", "2026-11-15")]


def test_weeks_anchored_on_a_wednesday():
    assert bounds(["2026-11-03", "2026-11-04"], PayPeriods("week", date(2026, 11, 18))) == [
        ("2026-10-28", "2026-11-03"), ("2026-11-04", "2026-11-10")]


def test_fortnights_start_on_the_monday_before_the_first_visit():
    assert bounds(["2026-11-04", "2026-11-16", "2026-11-17"], PayPeriods("fortnight")) == [
        ("2026-11-02", "2026-11-15"), ("2026-11-16", "2026-11-29"), ("2026-11-16", "2026-11-29")]


def test_calendar_months():
    assert bounds(["2026-02-28", "2026-03-01"], PayPeriods("month")) == [
        ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31")]


def test_months_anchored_on_the_31st_clip_to_short_months():
    assert bounds(["2026-02-27", "2026-02-28", "2026-03-31"], PayPeriods("month", date(2026, 1, 31))) == [
        ("2026-01-31", "2026-02-27"), ("2026-02-28", "2026-03-30"), ("2026-03-31", "2026-04-29")]


def test_unknown_period_kind():
    with pytest.raises(ValueError):
        PayPeriods("day")


@pytest.mark.parametrize("pounds,pence", [(1.005, 101), (2.675, 268), (0.004999, 0), (82.5, 8250),
                                          (127.10000000001, 12710), (0.125, 13)])
def test_to_pence_rounds_half_up_without_float_noise(pounds, pence):
    assert to_pence([pounds])[0] == pence


def test_hmrc_arrears_worked_example(write):
    # NI Business Info: £250 for 35 hours in a 2022 pay period at £9.50: due £332.50, shortfall £82.50,
    # arrears when determined at £10.42 = 82.50 / 9.50 × 10.42 = £90.49.
    rows = [f"W1,C1,2022-06-{d:02d} 09:00,2022-06-{d:02d} 16:00,50" for d in (6, 7, 8, 9, 10)]
    rota = write("r.csv", "worker_id,client_id,start,end,visit_pay", *rows)
    workers = write("w.csv", "worker_id,age", "W1,30")
    data, code = run_json("audit", rota, "--workers", workers, "--period", "month", "--as-of", "2023-06-01")
    assert code == 1
    (row,) = data["workers"]
    assert (row["working_hours"], row["pay"], row["floor_rate"]) == (35, 250, 9.5)
    assert row["shortfall"] == 82.50 and row["arrears"] == 90.49
    assert data["summary"]["total_arrears"] == 90.49
    # determined at £12.71: 82.50 / 9.50 × 12.71 = 110.375 → £110.38; in the same year: the shortfall
    later, _ = run_json("audit", rota, "--workers", workers, "--period", "month", "--as-of", "2026-11-23")
    assert later["workers"][0]["arrears"] == 110.38
    same, _ = run_json("audit", rota, "--workers", workers, "--period", "month", "--as-of", "2022-12-01")
    assert same["workers"][0]["arrears"] == 82.50


def test_payslips_replace_rota_pay_and_report_visits_outside(write):
    rota = write("r.csv", "worker_id,client_id,start,end,visit_pay",
                 "W1,C1,2026-11-02 09:00,2026-11-02 10:00,1",
                 "W1,C1,2026-11-20 09:00,2026-11-20 10:00,1")
    slips = write("p.csv", "worker_id,period_start,period_end,gross_pay", "W1,2026-11-01,2026-11-14,12.71")
    data, code = run_json("audit", rota, "--payslips", slips)
    assert code == 0
    (row,) = data["workers"]
    assert (row["period_start"], row["period_end"], row["pay"], row["visits"]) == ("2026-11-01", "2026-11-14", 12.71, 1)
    assert data["summary"]["visits_outside_payslips"] == 1
    assert any("outside every payslip" in n for n in data["notes"])


def test_payslips_files_notes_reach_the_report(write, tmp_path):
    # an empty row skipped in the payslips file, and its encoding, are said like the rota's
    rota = write("r.csv", "worker_id,client_id,start,end,visit_pay", "W1,C1,2026-11-02 09:00,2026-11-02 10:00,1")
    slips = tmp_path / "p.csv"
    slips.write_bytes("worker_id,period_start,period_end,gross_pay,note\n,,,,\n"
                      "W1,2026-11-01,2026-11-14,12.71,Zoë\n".encode("cp1252"))
    data, code = run_json("audit", rota, "--payslips", str(slips))
    assert code == 0 and data["workers"][0]["pay"] == 12.71
    assert any(n.startswith(f"{slips}: skipped 1 empty row(s): 2") for n in data["notes"]), data["notes"]
    assert any(n.startswith(f"{slips}: read as") for n in data["notes"]), data["notes"]


def test_a_period_before_the_first_known_rate_names_the_earliest_visit(write):
    path = write("r.csv", "worker_id,client_id,start,end,hourly_rate,lat,lon",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,12.50,53.8,-1.5",
                 "W2,C1,2012-11-02 08:00,2012-11-02 08:30,7.00,53.8,-1.5",
                 "W2,C1,2012-11-01 09:00,2012-11-01 09:30,7.00,53.8,-1.5")
    result = run("audit", str(path), "--wage", "rlw", "--as-of", "2026-11-23")
    assert result.exit_code == 2
    assert (f"{path}, row 4, column 'start': no Real Living Wage rate is known before 2016-05-01 (a period starts "
            "2012-10-29)") in " ".join(result.stderr.split())
    late = run("audit", str(path), "--wage", "£7.00", "--as-of", "2026-11-23")  # a rate given: no date needs the table
    assert late.exit_code in (0, 1), late.stderr


def test_an_as_of_date_before_the_first_known_rate_names_as_of(write):
    path = write("r.csv", "worker_id,client_id,start,end,hourly_rate,lat,lon",
                 "W1,C1,2026-11-02 08:00,2026-11-02 08:30,12.50,53.8,-1.5")
    result = run("audit", str(path), "--wage", "rlw", "--as-of", "2015-01-01")
    assert result.exit_code == 2
    text = " ".join(result.stderr.split())
    assert "(--as-of is 2015-01-01)" in text and "row" not in text
