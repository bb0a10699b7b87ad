"""Visit checks worked out by hand: short, agreed short, short in delivery, clipped, late, no
check-in, travel not scheduled and double bookings."""

from __future__ import annotations

import pytest

from conftest import run_json

HEAD = "visit_id,worker_id,client_id,start,end,actual_start,actual_end,visit_pay,agreed_short"
DAY = "2026-11-02"


def row(vid, worker, client, start, end, a_start="", a_end="", agreed="false"):
    t = lambda x: f"{DAY} {x}" if x else ""  # noqa: E731
    return f"{vid},{worker},{client},{t(start)},{t(end)},{t(a_start)},{t(a_end)},20,{agreed}"


def flags(data, rule):
    return {v["visit_id"]: v["minutes"] for v in data["visits"] if v["rule"] == rule}


@pytest.fixture
def monitored(write):
    """Each worker has one visit a day here, so no travel is involved."""
    path = write("r.csv", HEAD,
                 row("V1", "W1", "C1", "08:00", "08:15"),                                # short, not agreed
                 row("V2", "W2", "C2", "08:00", "08:15", "08:00", "08:15", "true"),     # agreed short
                 row("V3", "W3", "C3", "08:00", "08:30", "08:00", "08:25"),             # 5 min cut: within tolerance
                 row("V4", "W4", "C4", "08:00", "08:30", "08:00", "08:24"),             # 6 min cut: clipped
                 row("V5", "W5", "C5", "08:00", "08:30", "08:30", "09:00"),             # exactly 30 late: not late
                 row("V6", "W6", "C6", "08:00", "08:30", "08:31", "09:01"),             # 31 min late
                 row("V7", "W7", "C7", "08:00", "08:30"),                               # no check-in
                 row("V8", "W8", "C8", "08:00", "08:45", "08:00", "08:45"))             # fine
    data, code = run_json("audit", path, "--only", "visits")
    assert code == 1
    return data


def test_short_visits_unless_agreed(monitored):
    assert flags(monitored, "short-visit") == {"V1": 15}
    assert monitored["summary"]["agreed_short_visits"] == 1
    assert monitored["summary"]["short_visit_share"] == pytest.approx(2 / 8)  # V1, V2 of 8 visits


def test_delivered_short_only_for_visits_planned_long_enough(monitored):
    # V3 lasted 25 and V4 24 minutes of a planned 30; V2 is agreed short, V1 was planned short
    assert flags(monitored, "short-actual-visit") == {"V3": 25, "V4": 24}


def test_clipped_beyond_the_tolerance_only(monitored):
    assert flags(monitored, "clipped-visit") == {"V4": 6}


def test_late_start_beyond_thirty_minutes(monitored):
    assert flags(monitored, "late-start") == {"V6": 31}


def test_no_check_in(monitored):
    assert flags(monitored, "missed-check-in") == {"V1": 15, "V7": 30}


def test_counts_per_rule_in_summary(monitored):
    counts = monitored["summary"]["findings_by_rule"]
    assert counts["short-visit"] == 1 and counts["clipped-visit"] == 1 and counts["missed-check-in"] == 2
    assert "below-wage-floor" not in counts and "continuity-below-target" not in counts


def test_thresholds_are_flags(write):
    path = write("r.csv", HEAD, row("V1", "W1", "C1", "08:00", "08:45", "08:00", "08:38"),
                 row("V2", "W2", "C2", "08:00", "08:45", "08:50", "09:35"))
    data, _ = run_json("audit", path, "--only", "visits", "--min-visit", "45", "--clip-tolerance", "8",
                       "--late-after", "45")
    assert flags(data, "clipped-visit") == {} and flags(data, "late-start") == {"V2": 50}
    assert flags(data, "short-actual-visit") == {"V1": 38}
    assert data["summary"]["thresholds"]["min_visit_minutes"] == 45


def test_no_call_monitoring_columns_means_no_check_in_flags(write):
    path = write("r.csv", "worker_id,client_id,start,end,visit_pay", f"W1,C1,{DAY} 08:00,{DAY} 08:30,20")
    data, code = run_json("audit", path, "--only", "visits")
    assert code == 0 and data["visits"] == []


def test_travel_not_scheduled_reports_the_minutes_missing(write):
    # A→B takes 12 minutes with a 0-minute gap: 12 missing. B→C takes 9 with a 10-minute gap: fine.
    # C→A takes 20 with a 15-minute gap: 5 missing.
    rota = write("r.csv", "visit_id,worker_id,client_id,start,end,visit_pay",
                 f"V1,W1,A,{DAY} 08:00,{DAY} 08:30,20", f"V2,W1,B,{DAY} 08:30,{DAY} 09:00,20",
                 f"V3,W1,C,{DAY} 09:10,{DAY} 09:40,20", f"V4,W1,A,{DAY} 09:55,{DAY} 10:25,20")
    matrix = write("m.csv", "from_client,to_client,minutes", "A,B,12", "B,C,9", "C,A,20")
    data, _ = run_json("audit", rota, "--travel-matrix", matrix, "--only", "visits")
    assert flags(data, "travel-not-scheduled") == {"V2": 12, "V4": 5}
    (v2,) = [v for v in data["visits"] if v["visit_id"] == "V2"]
    assert v2["worker_id"] == "W1" and v2["client_id"] == "B" and v2["row"] == 3


def test_less_than_a_minute_short_is_not_flagged(write):
    rota = write("r.csv", "visit_id,worker_id,client_id,start,end,visit_pay",
                 f"V1,W1,A,{DAY} 08:00,{DAY} 08:30,20", f"V2,W1,B,{DAY} 08:40,{DAY} 09:10,20")
    matrix = write("m.csv", "from_client,to_client,minutes", "A,B,10.9")
    data, _ = run_json("audit", rota, "--travel-matrix", matrix, "--only", "visits")
    assert flags(data, "travel-not-scheduled") == {}


def test_double_booking_is_in_the_visits_list(write):
    rota = write("r.csv", "visit_id,worker_id,client_id,start,end,visit_pay",
                 f"V1,W1,A,{DAY} 08:00,{DAY} 08:30,20", f"V2,W1,B,{DAY} 08:20,{DAY} 08:50,20")
    matrix = write("m.csv", "from_client,to_client,minutes", "A,B,5")
    data, code = run_json("audit", rota, "--travel-matrix", matrix, "--only", "visits")
    assert code == 1 and flags(data, "overlapping-visits") == {"V2": 10}
    assert flags(data, "travel-not-scheduled") == {}  # the overlap is the finding, not the travel


def test_flagged_visits_are_listed_in_the_findings_order(write):
    """By rule (as the rules table lists them), then worker, client and row; the visit findings
    are the same rows in the same order. W2 comes first in the file, C1's visits of W1 last."""
    rota = write("r.csv", HEAD,
                 row("V1", "W2", "C9", "07:00", "07:15", "07:00", "07:15"),  # short
                 row("V2", "W1", "C2", "08:00", "08:15", "08:00", "08:15"),  # short
                 row("V3", "W1", "C2", "09:00", "09:30", "09:00", "09:20"),  # delivered short, and clipped
                 row("V4", "W1", "C1", "10:00", "10:15", "10:00", "10:15"),  # short
                 row("V5", "W1", "C1", "11:00", "11:30", "11:40", "12:10"))  # 40 minutes late
    matrix = write("m.csv", "from_client,to_client,minutes", "C2,C1,5")
    data, code = run_json("audit", rota, "--travel-matrix", matrix, "--only", "visits", "--late-after", "5")
    assert code == 1
    listed = [(v["rule"], v["visit_id"]) for v in data["visits"]]
    assert listed == [("short-visit", "V4"), ("short-visit", "V2"), ("short-visit", "V1"),
                      ("short-actual-visit", "V3"), ("clipped-visit", "V3"), ("late-start", "V5")]
    assert [(f["rule"], f["visit_id"]) for f in data["findings"]] == listed


def test_a_flagged_visit_is_worded_once_in_its_finding(write):
    """The visits list names the visit, rule and minutes; the message is the finding's (the same row,
    rule and minutes), not written twice."""
    rota = write("r.csv", "visit_id,worker_id,client_id,start,end,visit_pay",
                 f"V1,W1,C1,{DAY} 08:00,{DAY} 08:15,20", f"V2,W2,C2,{DAY} 08:00,{DAY} 08:20,20")
    data, code = run_json("audit", rota, "--only", "visits")
    assert code == 1
    assert [list(v) for v in data["visits"]] == [
        ["visit_id", "worker_id", "client_id", "row", "rule", "minutes", "start"]] * 2
    assert [(v["visit_id"], v["row"], v["minutes"], v["start"]) for v in data["visits"]] == [
        ("V1", 2, 15, "2026-11-02T08:00:00+00:00"), ("V2", 3, 20, "2026-11-02T08:00:00+00:00")]
    worded = {(f["rule"], f["visit_id"], f["row"], f["amount"]): f["message"] for f in data["findings"]}
    assert worded == {
        ("short-visit", "V1", 2, 15): "V1 (W1 at C1) is planned for 15 minutes, under 30, and not agreed as short",
        ("short-visit", "V2", 3, 20): "V2 (W2 at C2) is planned for 20 minutes, under 30, and not agreed as short"}
