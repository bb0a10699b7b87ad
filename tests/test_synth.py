"""carerota synth: deterministic, loadable synthetic rotas that raise every finding at believable rates."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from conftest import run

from carerota.audit import audit
from carerota.findings import RULES
from carerota.load import load_clients, load_rota, load_workers
from carerota.schema import CLIENTS, ROTA, WORKERS
from carerota.synth import SpecError, SynthSpec, synthesise, write
from carerota.synth_presets import TOWNS

SMALL = SynthSpec(workers=40)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The 40-worker week: its tables, and the files loaded back by carerota's loaders."""
    synthetic = synthesise(SMALL)
    rota, clients, workers = write(synthetic, tmp_path_factory.mktemp("small"))
    return synthetic, load_rota(rota), load_clients(clients), load_workers(workers)


def test_same_spec_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    first = write(synthesise(SMALL), tmp_path / "a")
    again = write(synthesise(SMALL), tmp_path / "b")
    other = write(synthesise(SynthSpec(workers=40, seed=2)), tmp_path / "c")
    assert [p.name for p in first] == ["rota.csv", "clients.csv", "workers.csv"]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, again, strict=True))
    assert first[0].read_bytes() != other[0].read_bytes()


def test_files_load_with_no_row_skipped_and_canonical_columns(small):
    synthetic, rota, clients, workers = small
    assert not rota.skipped_rows and rota.monitored
    assert len(rota.visits) == len(synthetic.rota) and len(clients) == SMALL.n_clients
    assert len(workers) == SMALL.workers
    assert set(synthetic.rota.columns) <= set(ROTA)
    assert set(synthetic.clients.columns) <= set(CLIENTS)
    assert set(synthetic.workers.columns) <= set(WORKERS)
    assert set(rota.visits["client_id"]) <= set(clients.index)
    assert set(rota.visits["worker_id"]) <= set(workers.index)


def test_ids_are_zero_padded_and_rows_sorted_by_worker_then_start(small):
    rota = small[0].rota
    assert rota["worker_id"].str.fullmatch(r"W\d{2}").all() and rota["client_id"].str.fullmatch(r"C\d{3}").all()
    assert rota["visit_id"].str.fullmatch(r"V\d{4}").all()
    assert rota.equals(rota.sort_values(["worker_id", "start"], kind="stable"))


def test_a_double_up_is_two_workers_with_one_visit_id_and_the_same_times(small):
    rota = small[0].rota
    size = rota.groupby("visit_id")["worker_id"].transform("size")
    pairs = rota[size == 2].groupby("visit_id")
    assert 0 < pairs.ngroups and size.max() == 2
    assert (pairs[["client_id", "start", "end"]].nunique() == 1).all().all()
    assert (pairs["worker_id"].nunique() == 2).all()


def test_each_client_is_visited_at_the_same_times_every_day(small):
    rota = small[0].rota
    clock = rota["start"] - rota["start"].dt.normalize()
    times = clock.groupby(rota["client_id"]).nunique()
    per_day = rota.groupby([rota["client_id"], rota["start"].dt.date])["visit_id"].nunique()
    assert (times == per_day.groupby(level=0).max()).all()


def test_visits_fall_within_the_day(small):
    rota = small[0].rota
    for column in ("start", "end", "actual_start", "actual_end"):
        times = rota[column].dropna()
        assert (times.dt.hour >= 6).all() and (times.dt.date == rota.loc[times.index, "start"].dt.date).all()


def test_named_teams_have_at_most_four_workers_and_some_clients_none(small):
    _, _, clients, workers = small
    teams = clients["named_team"].fillna("").str.split(";")
    sizes = teams.map(lambda team: len([w for w in team if w]))
    assert sizes.max() <= 4 and (sizes == 0).any() and (sizes >= 2).mean() > 0.8
    assert {w for team in teams for w in team if w} <= set(workers.index)


def test_some_workers_are_under_21_and_none_under_18():
    workers = synthesise(SynthSpec(workers=300, clients=300)).workers
    age = (pd.Timestamp(SMALL.start) - workers["date_of_birth"]).dt.days / 365.2425
    assert ((age >= 18) & (age < 21)).sum() >= 3 and age.min() >= 18 and age.max() < 68
    assert set(workers["travel_mode"]) == {"drive", "walk"} and not workers["london"].any()


def test_pay_schemes_are_mixed_and_mileage_is_never_pay(small):
    rota = small[0].rota
    per_visit = rota["visit_pay"].notna()
    assert per_visit.any() and rota["hourly_rate"].notna().any() and rota["travel_pay"].notna().any()
    assert not (per_visit & rota["hourly_rate"].notna()).any()
    assert set(rota.loc[per_visit, "visit_pay"]) <= {5.5, 9.5, 13.5, 17.0}
    assert rota["hourly_rate"].dropna().between(12.71, 13.20).all()


def test_the_audit_raises_every_rule_at_believable_rates(small):
    _, rota, clients, workers = small
    summary = audit(rota, clients=clients, workers=workers).summary
    found, visits = summary["findings_by_rule"], summary["visits"]
    assert all(found.get(rule, 0) > 0 for rule in RULES), found
    assert 0.05 < found["short-visit"] / visits < 0.30
    assert 0.05 < found["clipped-visit"] / visits < 0.25
    assert 0.005 < found["missed-check-in"] / visits < 0.04
    assert found["late-start"] / visits < 0.08 and found["overlapping-visits"] / visits < 0.01
    assert 0.1 < found["travel-not-scheduled"] / visits
    assert 0.2 < summary["worker_periods_below_floor"] / summary["worker_periods"] < 0.95
    assert 0.1 < summary["clients_below_continuity"] / summary["clients"] < 0.95


def provider_in(town: str, tmp_path) -> tuple[dict, pd.DataFrame]:
    """A 200-worker week in a preset town: the audit's summary and the rota as written."""
    lat, lon, radius = TOWNS[town]
    synthetic = synthesise(SynthSpec(workers=200, centre=(lat, lon), radius_km=radius))
    rota, clients, workers = write(synthetic, tmp_path / town)
    result = audit(load_rota(rota), clients=load_clients(clients), workers=load_workers(workers))
    return result.summary, synthetic


def test_travel_is_as_long_as_in_real_rotas(tmp_path):
    """UK providers' scheduling data average 3.06 miles a visit (The Access Group, 2018), towns and
    country together: a town's rota drives less than that, a rural one more, and travel takes minutes
    in proportion (about 2 a mile at 30 km/h with roads 1.3 times the straight line)."""
    seen = {}
    for town in ("huddersfield", "truro"):
        summary, synthetic = provider_in(town, tmp_path)
        mileage = synthetic.rota["mileage_pay"].dropna()
        seen[town] = mileage.sum() / 0.45 / len(mileage), summary["travel_minutes_per_contact_hour"]
    (town_miles, town_minutes), (rural_miles, rural_minutes) = seen["huddersfield"], seen["truro"]
    assert 1.0 < town_miles < 3.06 < rural_miles < 6.0, seen
    assert 8 < town_minutes < 16 and 18 < rural_minutes < 35, seen


def test_london_workers_mostly_take_the_bus_and_claim_no_mileage(tmp_path):
    summary, synthetic = provider_in("lambeth", tmp_path)
    modes = synthetic.workers.set_index("worker_id")["travel_mode"]
    assert modes.value_counts(normalize=True)["transit"] > 0.4 and {"drive", "walk"} < set(modes)
    drives = synthetic.rota["worker_id"].map(modes).eq("drive")
    assert synthetic.rota.loc[~drives, "mileage_pay"].isna().all()
    assert synthetic.rota.loc[drives, "mileage_pay"].notna().all()
    assert 8 < summary["travel_minutes_per_contact_hour"] < 20


def test_a_london_town_marks_workers_as_in_london():
    lat, lon, radius = TOWNS["lambeth"]
    synthetic = synthesise(SynthSpec(workers=10, centre=(lat, lon), radius_km=radius))
    assert synthetic.workers["london"].all()
    assert synthetic.clients["lat"].sub(lat).abs().max() < 0.1


@pytest.mark.parametrize("workers, clients", [(1, None), (2, 8), (5, None), (50, 1)])
def test_tiny_providers_still_make_a_rota(workers, clients):
    rota = synthesise(SynthSpec(workers=workers, clients=clients)).rota
    assert len(rota) and rota["end"].max() < pd.Timestamp(SMALL.start) + pd.Timedelta(days=7)


@pytest.mark.parametrize("change, field", [
    ({"workers": 0}, "workers"), ({"clients": 0}, "clients"), ({"clients": 201}, "clients"),
    ({"weeks": 0}, "weeks"), ({"radius_km": 0.0}, "radius_km"), ({"centre": (91.0, 0.0)}, "centre"),
])
def test_a_bad_spec_names_its_field(change, field):
    with pytest.raises(SpecError) as error:
        SynthSpec(**{"workers": 50, **change})
    assert error.value.field == field


def test_cli_writes_the_three_files_and_a_summary(tmp_path):
    out = tmp_path / "new" / "folder"
    result = run("synth", "--workers", "20", "--start", "2026-03-23", "--town", "Norwich", "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["clients.csv", "rota.csv", "workers.csv"]
    assert "visits" in result.stdout and "2026-03-23 to 2026-03-29" in result.stdout
    assert f"carerota audit {out / 'rota.csv'}" in result.stdout
    assert load_rota(out / "rota.csv").visits["start"].min().date() == date(2026, 3, 23)


def test_cli_quiet_prints_nothing(tmp_path):
    result = run("synth", "--workers", "5", "--quiet", "--output", tmp_path)
    assert result.exit_code == 0 and result.stdout == ""


@pytest.mark.parametrize("args, option", [
    (["--workers", "0"], "--workers"),
    (["--radius-km", "0"], "--radius-km"),
    (["--centre", "53.6"], "--centre"),
    (["--centre", "95,1"], "--centre"),
    (["--town", "atlantis"], "--town"),
    (["--town", "leeds", "--centre", "53.8,-1.5"], "--town"),
    (["--start", "2 November"], "--start"),
    (["--clients", "201"], "--clients"),
])
def test_cli_bad_options_exit_2_naming_the_option(tmp_path, args, option):
    result = run("synth", "--output", tmp_path / "out", *args)
    assert result.exit_code == 2 and option in result.output
    assert not (tmp_path / "out").exists()


def test_cli_help_shows_examples():
    result = run("synth", "--help")
    assert result.exit_code == 0 and "carerota synth --output demo" in result.stdout and "lambeth" in result.stdout


def test_cli_as_a_process_writes_quietly_and_exits_0(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "carerota", "synth", "--workers", "8", "--quiet", "--output",
                           str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert (tmp_path / "rota.csv").read_text().startswith("visit_id,worker_id,client_id,start,end,")
