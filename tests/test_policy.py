"""Thresholds pinned in carerota.toml or [tool.carerota]; flags win; the report says which it used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run, run_json

EXAMPLES = Path(__file__).parent.parent / "examples"
ROTA = ("visit_id,worker_id,client_id,start,end,visit_pay",
        "V1,W1,C1,2026-11-02 08:00,2026-11-02 08:40,20")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("\n".join(ROTA) + "\n")
    return tmp_path


def test_defaults_are_stated(folder):
    data, _ = run_json("audit", "r.csv")
    assert data["summary"]["policy_source"] == "defaults"
    assert data["summary"]["thresholds"]["min_visit_minutes"] == 30


def test_carerota_toml_sets_thresholds(folder):
    (folder / "carerota.toml").write_text('min-visit = 45\ncontinuity = 0.8\nwage = "rlw"\n')
    data, code = run_json("audit", "r.csv")
    assert data["summary"]["policy_source"] == "carerota.toml"
    assert data["summary"]["thresholds"]["min_visit_minutes"] == 45
    assert data["summary"]["thresholds"]["continuity_target"] == 0.8
    assert data["summary"]["wage_floor"] == "Real Living Wage"
    assert [v["rule"] for v in data["visits"]] == ["short-visit"] and code == 1


def test_flag_beats_the_file(folder):
    (folder / "carerota.toml").write_text("min_visit = 45\n")
    data, code = run_json("audit", "r.csv", "--min-visit", "30")
    assert data["summary"]["thresholds"]["min_visit_minutes"] == 30 and data["visits"] == []


def test_pyproject_tool_table(folder):
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.carerota]\nteam-size = 2\n')
    data, _ = run_json("audit", "r.csv")
    assert data["summary"]["policy_source"] == "pyproject.toml [tool.carerota]"
    assert data["summary"]["thresholds"]["team_size"] == 2


def test_pyproject_without_our_table_is_ignored(folder):
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\n')
    data, _ = run_json("audit", "r.csv")
    assert data["summary"]["policy_source"] == "defaults"


@pytest.mark.parametrize("text,fragment", [
    ("min-visits = 30\n", "unknown setting 'min-visits'"),
    ('min-visit = "thirty"\n', "expected min-visit to be a number"),
    ("team-size = 2.5\n", "whole number"),
    ("min-visit = \n", "expected valid TOML"),
])
def test_bad_policy_file_is_an_input_error(folder, text, fragment):
    (folder / "carerota.toml").write_text(text)
    result = run("audit", "r.csv")
    assert result.exit_code == 2 and fragment in result.stderr and "carerota.toml" in result.stderr


def test_bad_value_from_the_file_names_the_setting(folder):
    (folder / "carerota.toml").write_text("continuity = 1.5\n")
    result = run("audit", "r.csv")
    assert result.exit_code == 2 and "--continuity" in result.output


def test_only_narrows_the_run(folder):
    data, _ = run_json("audit", "r.csv", "--only", "continuity")
    assert data["summary"]["checks"] == ["continuity"]
    assert data["workers"] == [] and data["summary"]["worker_periods"] is None
    assert set(data["summary"]["findings_by_rule"]) == {"continuity-below-target"}
    both, _ = run_json("audit", "r.csv", "--only", "pay", "--only", "visits")
    assert both["summary"]["checks"] == ["pay", "visits"] and both["clients"] == []


def test_only_rejects_unknown_checks(folder):
    assert run("audit", "r.csv", "--only", "money").exit_code == 2


def test_example_shows_a_failure_of_every_kind():
    args = ["audit", EXAMPLES / "rota.csv", "--clients", EXAMPLES / "clients.csv",
            "--workers", EXAMPLES / "workers.csv"]
    data, code = run_json(*args)
    assert code == 1
    assert all(n > 0 for n in data["summary"]["findings_by_rule"].values()), data["summary"]["findings_by_rule"]
    assert len(data["summary"]["findings_by_rule"]) == 9
    assert data["summary"]["agreed_short_visits"] > 0
    assert any(c["team_inferred"] for c in data["clients"])


def test_scorecard_in_the_terminal_report():
    result = run("audit", EXAMPLES / "rota.csv", "--clients", EXAMPLES / "clients.csv",
                 "--workers", EXAMPLES / "workers.csv")
    out = result.stdout
    assert "Charter scorecard" in out
    for promise in ("Wage floor with travel counted", "Travel time scheduled and paid",
                    "Visits of at least 30 minutes", "90% of care from a named team"):
        assert promise in out
    assert "FAIL" in out and "Clients, least continuity first" in out and "Policy (defaults)" in out


def test_json_findings_match_the_visits_list():
    data, _ = run_json("audit", EXAMPLES / "rota.csv", "--clients", EXAMPLES / "clients.csv")
    visit_rules = [v["rule"] for v in data["visits"]]
    finding_rules = [f["rule"] for f in data["findings"] if f["visit_id"] is not None]
    assert sorted(visit_rules) == sorted(finding_rules)
    assert json.dumps(data)  # serialisable as a whole
