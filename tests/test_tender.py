"""`carerota tender`: the cost floor per contact hour, worked by hand, and the command's contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from carerota.tender import cost_model
from conftest import run

EXAMPLES = Path(__file__).parent.parent / "examples" / "tenders"
# One worker, Monday 2 November 2026: an hour at C1, 20 minutes' gap, an hour at C2.
ROTA = ("worker_id,client_id,start,end",
        "W1,C1,2026-11-02 08:00,2026-11-02 09:00",
        "W1,C2,2026-11-02 09:20,2026-11-02 10:20")
# The journey takes 12 minutes and is 5 miles (8.04672 km); the other 8 minutes are paid waiting.
MATRIX = ("from_client,to_client,minutes,km", "C1,C2,12,8.04672")


@pytest.fixture
def bids(write):
    write("rota.csv", *ROTA)
    write("matrix.csv", *MATRIX)

    def _bids(*rows: str, header: str = "bid_id,price_per_hour,rota,wage,travel_matrix") -> Path:
        return write("bids.csv", header, *rows)

    return _bids


def tender_json(*args) -> tuple[dict, int]:
    result = run("tender", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.exit_code


def hand_floor(ni_threshold=96.0, pension_trigger=192.0, pension_lower=120.0) -> dict:
    """The cost floor worked out step by step from the method (docs/method.md §14)."""
    wage = 12.00
    contact, travel, waiting = 2 * wage, 12 / 60 * wage, 8 / 60 * wage  # 24.00, 2.40, 1.60
    wages = contact + travel + waiting  # 28.00
    training, sickness = 0.03 * wages, 0.02 * wages  # 0.84, 0.56
    holiday = 0.1207 * (wages + training)  # 3.481...
    gross = wages + training + sickness + holiday
    ni = 0.15 * max(0.0, gross - ni_threshold)
    pension = 0.03 * max(0.0, gross - pension_lower) if gross >= pension_trigger else 0.0
    mileage = 5 * 0.45
    direct = (gross + ni + pension + mileage) / 2  # per contact hour
    return {"floor": direct / (1 - 0.2634 - 0.03), "ni": ni / 2, "pension": pension / 2, "holiday": holiday / 2}


def test_cost_floor_by_hand(bids):
    data, code = tender_json(bids("A,20.00,rota.csv,12,matrix.csv"))
    bid = data["bids"][0]
    want = hand_floor()
    assert bid["contact_hours"] == 2
    assert bid["travel_hours_per_contact_hour"] == pytest.approx(0.1, abs=1e-4)
    assert bid["cost_floor_per_hour"] == pytest.approx(want["floor"], abs=0.005)
    assert bid["components"]["contact_pay"] == 12.00 and bid["components"]["travel_pay"] == 1.20
    assert bid["components"]["waiting_pay"] == 0.80 and bid["components"]["mileage"] == pytest.approx(1.125, abs=0.006)
    assert bid["components"]["employer_ni"] == 0 and bid["components"]["pension"] == 0  # under the weekly thresholds
    assert bid["margin"] == pytest.approx(20.00 - want["floor"], abs=0.005)
    assert bid["verdict"] == ("sustainable" if 20.00 >= round(want["floor"], 2) else "below cost")
    assert code == (0 if bid["verdict"] == "sustainable" else 1)
    assert sum(bid["components"].values()) == pytest.approx(bid["cost_floor_per_hour"], abs=0.06)


def test_weekly_thresholds_and_overrides(bids):
    """Lower the NI and pension thresholds by --cost: both on-costs appear, as worked by hand."""
    data, _ = tender_json(bids("A,20.00,rota.csv,12,matrix.csv"), "--cost", "ni_secondary_threshold_week=10",
                          "--cost", "pension_trigger_week=20", "--cost", "pension_lower_week=5")
    bid = data["bids"][0]
    want = hand_floor(ni_threshold=10, pension_trigger=20, pension_lower=5)
    assert bid["components"]["employer_ni"] == pytest.approx(want["ni"], abs=0.005)
    assert bid["components"]["pension"] == pytest.approx(want["pension"], abs=0.005)
    assert bid["cost_floor_per_hour"] == pytest.approx(want["floor"], abs=0.005)
    assert data["assumptions"]["sources"]["ni_secondary_threshold_week"] == "given by the user"


def test_policy_file_overrides(bids, tmp_path, monkeypatch):
    (tmp_path / "carerota.toml").write_text("[tender]\noverheads_share = 0.2\nsurplus_share = 0.0\n")
    monkeypatch.chdir(tmp_path)
    data, _ = tender_json(bids("A,20.00,rota.csv,12,matrix.csv"))
    direct = hand_floor()["floor"] * (1 - 0.2634 - 0.03)
    assert data["bids"][0]["cost_floor_per_hour"] == pytest.approx(direct / 0.8, abs=0.005)


def test_verdicts_and_exit_codes(bids):
    floor = round(hand_floor()["floor"], 2)
    data, code = tender_json(bids(f"at,{floor:.2f},rota.csv,12,matrix.csv",
                                  f"under,{floor - 0.01:.2f},rota.csv,12,matrix.csv"))
    assert [b["verdict"] for b in data["bids"]] == ["sustainable", "below cost"]  # at the floor is enough
    assert code == 1
    _, code = tender_json(bids(f"only,{floor + 5:.2f},rota.csv,12,matrix.csv"))
    assert code == 0


def test_json_contract(bids):
    data, _ = tender_json(bids("A,25,rota.csv,,matrix.csv"))
    assert set(data) >= {"bids", "assumptions"}
    assert list(data["bids"][0])[:7] == ["bid_id", "price_per_hour", "contact_hours",
                                         "travel_hours_per_contact_hour", "cost_floor_per_hour", "margin",
                                         "verdict"]
    assert data["assumptions"]["cost_model"]["employer_ni_rate"] == 0.15
    assert "HMRC" in data["assumptions"]["sources"]["mileage_drive_per_mile"]


def test_wage_per_bid_and_london(bids):
    data, _ = tender_json(bids("nlw,25,rota.csv,nlw,matrix.csv", "rlw,25,rota.csv,rlw,matrix.csv",
                               "llw,25,rota.csv,rlw,matrix.csv,true",
                               header="bid_id,price_per_hour,rota,wage,travel_matrix,london"))
    nlw, rlw, llw = data["bids"]
    # November 2026: NLW £12.71; Real Living Wage £13.45 and London £14.80 (announced October 2025).
    assert (nlw["wage_floor_low"], rlw["wage_floor_low"], llw["wage_floor_low"]) == (12.71, 13.45, 14.80)
    assert nlw["cost_floor_per_hour"] < rlw["cost_floor_per_hour"] < llw["cost_floor_per_hour"]
    assert nlw["components"]["contact_pay"] == 12.71


def test_cost_model_is_dated():
    assert cost_model(date(2025, 1, 6))["employer_ni_rate"] == 0.138
    assert cost_model(date(2025, 1, 6))["ni_secondary_threshold_week"] == 175
    assert cost_model(date(2026, 11, 2))["employer_ni_rate"] == 0.15
    with pytest.raises(ValueError, match="unknown cost parameter"):
        cost_model(date(2026, 11, 2), {"profit": 0.1})
    with pytest.raises(ValueError, match="below 1"):
        cost_model(date(2026, 11, 2), {"overheads_share": 0.99, "surplus_share": 0.05})


@pytest.mark.parametrize("rows, fragment", [
    (("A,cheap,rota.csv",), "bids.csv, row 2, column 'price_per_hour'"),
    (("A,20,missing.csv",), "row 2, column 'rota'"),
    (("A,20,rota.csv", "A,21,rota.csv"), "row 3, column 'bid_id': expected each bid_id once"),
    (("A,20,rota.csv,£12ish",), "row 2, column 'wage'"),
])
def test_bad_bids_are_input_errors(bids, rows, fragment):
    header = "bid_id,price_per_hour,rota" + (",wage" if any(r.count(",") == 3 for r in rows) else "")
    result = run("tender", bids(*rows, header=header))
    assert result.exit_code == 2 and fragment in result.stderr, result.stderr


def test_missing_columns_and_bad_cost_option(bids, write):
    result = run("tender", write("b.csv", "bid,price,rota", "A,20,rota.csv"))
    assert result.exit_code == 2 and "missing column(s) bid_id, price_per_hour" in result.stderr
    result = run("tender", bids("A,20,rota.csv,,"), "--cost", "magic=1")
    assert result.exit_code == 2 and "unknown cost parameter 'magic'" in result.stderr
    result = run("tender", bids("A,20,rota.csv,,"), "--cost", "holiday_share")
    assert result.exit_code == 2 and "NAME=NUMBER" in result.stderr


def test_plan_reports_both(bids):
    data, _ = tender_json(bids("A,20,rota.csv,12,matrix.csv"), "--plan", "--time-limit", "0.5",
                          "--solution-limit", "50")
    bid = data["bids"][0]
    assert bid["planned_unassigned_visits"] == 0
    # Two visits, one worker: the plan cannot travel less than the one journey it needs.
    assert bid["planned_travel_hours_per_contact_hour"] == pytest.approx(0.1, abs=1e-4)
    assert bid["planned_cost_floor_per_hour"] <= bid["cost_floor_per_hour"] + 0.01
    assert set(bid["planned_components"]) == set(bid["components"])


def test_worked_example_has_one_of_each():
    """examples/tenders: one bid clearly sustainable, one below cost once travel is paid, one borderline."""
    proc = subprocess.run([sys.executable, "-m", "carerota", "tender", str(EXAMPLES / "bids.csv"), "--format",
                           "json", "--quiet"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    bids = {b["bid_id"]: b for b in json.loads(proc.stdout)["bids"]}
    assert bids["Compact Care"]["verdict"] == "sustainable" and bids["Compact Care"]["margin_share"] > 0.1
    assert bids["Dales Homecare"]["verdict"] == "sustainable" and 0 <= bids["Dales Homecare"]["margin_share"] < 0.02
    moor = bids["Moorland Visits"]
    assert moor["verdict"] == "below cost"
    # Its price would cover the same visits with no travel: it is travel that sinks it.
    no_travel = moor["cost_floor_per_hour"] - (moor["components"]["travel_pay"] + moor["components"]["mileage"]) / (
        1 - 0.2634 - 0.03)
    assert moor["price_per_hour"] > no_travel - 1.0


def test_csv_and_table(bids):
    result = run("tender", bids("A,25,rota.csv,12,matrix.csv"), "--format", "csv")
    header = result.stdout.splitlines()[0].split(",")
    assert header[:7] == ["bid_id", "price_per_hour", "contact_hours", "travel_hours_per_contact_hour",
                          "cost_floor_per_hour", "margin", "verdict"] and "cost.employer_ni" in header
    result = run("tender", bids("A,25,rota.csv,12,matrix.csv"))
    assert "employer NI" in result.stdout and "sustainable" in result.stdout
    assert "The bid can pay the wage floor with travel paid" in result.stdout


def test_nightly_script(tmp_path):
    """The commissioner's script: reports written, what needs a look named, exit 1 for findings."""
    rotas = [str(EXAMPLES / f"{name}.csv") for name in ("compact", "mixed", "rural")]
    proc = subprocess.run(["sh", str(EXAMPLES / "nightly-check.sh"), str(tmp_path), str(EXAMPLES / "bids.csv"),
                           *rotas], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CAREROTA": f"{sys.executable} -m carerota", "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "bid below cost: Moorland Visits" in proc.stdout and "rota findings" in proc.stdout
    (day,) = tmp_path.iterdir()
    assert {p.name for p in day.iterdir()} == {"rotas.csv", "rotas.html", "bids.csv", "bids.html"}
    broken = tmp_path / "broken.csv"
    broken.write_text("worker_id,client_id\nW1,C1\n")
    proc = subprocess.run(["sh", str(EXAMPLES / "nightly-check.sh"), str(tmp_path / "b"), str(EXAMPLES / "bids.csv"),
                           str(broken)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CAREROTA": f"{sys.executable} -m carerota", "NO_COLOR": "1"})
    assert proc.returncode == 2 and "could not be read" in proc.stderr


def test_miles_from_the_travel_model_and_no_mileage_for_walkers(bids, write):
    """Without km in the matrix, miles are the journey's minutes at the mode's speed: 12 min at 30 km/h
    = 6 km = 3.7282 miles, £1.6777 at 45p, over 2 contact hours. A walker claims no mileage."""
    write("minutes.csv", "from_client,to_client,minutes", "C1,C2,12")
    data, _ = tender_json(bids("A,25,rota.csv,12,minutes.csv"))
    bid = data["bids"][0]
    assert bid["miles_per_contact_hour"] == pytest.approx(6 / 1.609344 / 2, abs=1e-4)
    assert bid["components"]["mileage"] == pytest.approx(6 / 1.609344 * 0.45 / 2, abs=0.006)
    walkers = write("walkers.csv", "worker_id,travel_mode", "W1,walk")
    data, _ = tender_json(bids("A,25,rota.csv,12,minutes.csv"), "--workers", walkers)
    assert data["bids"][0]["components"]["mileage"] == 0
