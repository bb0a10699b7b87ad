"""Continuity worked out by hand: team shares with double-ups, inferred teams, many faces, weeks."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run, run_json

HEAD = "worker_id,client_id,start,end,visit_pay"


def visit(worker, client, day, start="08:00", end="09:00"):
    return f"{worker},{client},2026-11-{day:02d} {start},2026-11-{day:02d} {end},20"


def clients_of(data):
    return {c["client_id"]: c for c in data["clients"]}


def test_named_team_share_counts_each_carer_of_a_double_up(write):
    # C1 has a 1-hour double-up (W1 + W9) and a 1-hour visit by W2. Named team W1;W2.
    # Hours: W1 1 + W9 1 + W2 1 = 3; team hours 2 → share 2/3, below 90%.
    rota = write("r.csv", HEAD, visit("W1", "C1", 2), visit("W9", "C1", 2), visit("W2", "C1", 3))
    clients = write("c.csv", "client_id,named_team", "C1,W1;W2")
    data, code = run_json("audit", rota, "--clients", clients, "--only", "continuity")
    c1 = clients_of(data)["C1"]
    assert code == 1
    assert (c1["visits"], c1["hours"], c1["distinct_workers"]) == (3, 3, 3)
    assert c1["named_team"] == ["W1", "W2"] and c1["team_inferred"] is False
    assert c1["team_share"] == pytest.approx(2 / 3, abs=1e-4) and c1["continuity_ok"] is False
    (finding,) = data["findings"]
    assert finding["rule"] == "continuity-below-target" and finding["client_id"] == "C1"


def test_share_exactly_at_the_target_passes(write):
    # 9 hours from W1 (named), 1 hour from W2: share 0.9.
    rota = write("r.csv", HEAD, *[visit("W1", "C1", d) for d in range(2, 11)], visit("W2", "C1", 11))
    clients = write("c.csv", "client_id,named_team", "C1,W1")
    data, code = run_json("audit", rota, "--clients", clients, "--only", "continuity")
    assert clients_of(data)["C1"]["team_share"] == pytest.approx(0.9) and code == 0


def test_inferred_team_is_the_workers_with_most_hours(write):
    # No clients file. C1: W1 3 h, W2 2 h, W3 1.5 h, W4 1 h, W5 0.5 h, W6 0.5 h = 8.5 h.
    # Team of 2: W1, W2 → 5 / 8.5. Team of 4 (default): W1..W4 → 7.5 / 8.5.
    rows = [visit("W1", "C1", d) for d in (2, 3, 4)] + [visit("W2", "C1", d) for d in (5, 6)]
    rows += [visit("W3", "C1", 7, "08:00", "09:30"), visit("W4", "C1", 8), visit("W5", "C1", 9, "08:00", "08:30"),
             visit("W6", "C1", 10, "08:00", "08:30")]
    rota = write("r.csv", HEAD, *rows)
    data, _ = run_json("audit", rota, "--only", "continuity")
    c1 = clients_of(data)["C1"]
    assert c1["team_inferred"] is True and c1["named_team"] == ["W1", "W2", "W3", "W4"]
    assert c1["team_share"] == pytest.approx(7.5 / 8.5, abs=1e-4)
    two, _ = run_json("audit", rota, "--only", "continuity", "--team-size", "2")
    assert clients_of(two)["C1"]["named_team"] == ["W1", "W2"]
    assert clients_of(two)["C1"]["team_share"] == pytest.approx(5 / 8.5, abs=1e-4)


def test_client_seen_by_nine_workers_in_a_week(write):
    # Nine one-hour visits, Mon 2 – Tue 10 Nov: seven fall in the week of 2 Nov, two in the week of 9 Nov.
    rota = write("r.csv", HEAD, *[visit(f"W{i}", "C1", 1 + i) for i in range(1, 10)])
    clients = write("c.csv", "client_id,named_team", "C1,W1;W2;W3")
    data, _ = run_json("audit", rota, "--clients", clients, "--only", "continuity")
    c1 = clients_of(data)["C1"]
    assert c1["distinct_workers"] == 9 and c1["max_distinct_workers_per_week"] == 7
    assert c1["team_share"] == pytest.approx(3 / 9, abs=1e-4)
    weeks = {w["week_start"]: w for w in c1["weeks"]}
    assert weeks["2026-11-02"]["distinct_workers"] == 7 and weeks["2026-11-09"]["distinct_workers"] == 2
    assert weeks["2026-11-02"]["team_share"] == pytest.approx(3 / 7, abs=1e-4)
    assert weeks["2026-11-09"]["team_share"] == 0
    assert data["summary"]["max_distinct_workers_per_week"] == 7
    assert data["summary"]["clients_most_workers"] == [
        {"client_id": "C1", "max_distinct_workers_per_week": 7, "distinct_workers": 9}]


def test_summary_counts_and_median(write):
    # C1 share 1.0 (W1 only, named), C2 share 0.5, C3 share 0 (named W7, served by W1): median 0.5.
    rota = write("r.csv", HEAD, visit("W1", "C1", 2), visit("W1", "C2", 3, "10:00", "11:00"),
                 visit("W2", "C2", 4), visit("W1", "C3", 5))
    clients = write("c.csv", "client_id,named_team", "C1,W1", "C2,W1", "C3,W7")
    data, _ = run_json("audit", rota, "--clients", clients, "--only", "continuity")
    assert data["summary"]["clients_below_continuity"] == 2
    assert data["summary"]["median_team_share"] == pytest.approx(0.5)


def test_continuity_target_from_the_command_line(write):
    rota = write("r.csv", HEAD, visit("W1", "C1", 2), visit("W1", "C1", 3), visit("W2", "C1", 4))
    clients = write("c.csv", "client_id,named_team", "C1,W1")
    strict, code = run_json("audit", rota, "--clients", clients, "--only", "continuity")
    assert code == 1
    lenient, code = run_json("audit", rota, "--clients", clients, "--only", "continuity", "--continuity", "0.6")
    assert code == 0 and clients_of(lenient)["C1"]["continuity_ok"] is True


def test_continuity_needs_no_locations_or_pay(write):
    rota = write("r.csv", "worker_id,client_id,start,end", visit("W1", "C1", 2).rsplit(",", 1)[0],
                 visit("W2", "C2", 2).rsplit(",", 1)[0])
    result = run("audit", rota, "--only", "continuity")
    assert result.exit_code == 0, result.output


def test_continuity_is_the_same_with_the_codes_visit_times_kept_or_without():
    """Continuity counts on the ids' codes visit_times kept (renumbered for a part of the clients, as
    a Dask partition holds), or on codes of its own: the same table."""
    import pandas as pd

    from carerota.audit import AuditSettings, client_stage
    from carerota.load import load_clients, load_rota
    from carerota.worktime import CODES, visit_times
    examples = Path(__file__).parent.parent / "examples"
    clients, s = load_clients(examples / "clients.csv"), AuditSettings()
    timed = visit_times(load_rota(examples / "rota.csv").visits, use_actual=True)
    some = timed[timed["client_id"].isin(timed["client_id"].unique()[::2])]
    for visits in (timed, some):
        kept = client_stage(visits, clients, s)
        assert len(kept) == visits["client_id"].nunique()
        pd.testing.assert_frame_equal(kept, client_stage(visits.drop(columns=list(CODES.values())), clients, s))
