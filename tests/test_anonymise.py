"""carerota anonymise: keyed pseudonyms, nothing personal copied, and the same audit figures."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import re
import stat
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carerota.anonymise import PSEUDONYM_HEX, KeyFileError, band_ages, pseudonyms, read_key
from carerota.load import load_travel_matrix
from carerota.synth import SynthSpec, synthesise, write as write_synth
from carerota.travel import CIRCUITY, SPEED_KMH, distance_km
from conftest import run, run_json

EXAMPLES = Path(__file__).parent.parent / "examples"
KEY = b"0123456789abcdef0123456789abcdef"


def anonymised(tmp_path: Path, rota: Path, *options: str, key: bytes = KEY) -> dict[str, Path]:
    """Run carerota anonymise and return the paths it reports (with the lookup table)."""
    key_file = tmp_path / "provider.key"
    key_file.write_bytes(key)
    share = tmp_path / "share"
    share.mkdir(exist_ok=True)
    result = run("anonymise", rota, "--key-file", key_file, "--output", share / "rota.csv",
                 "--lookup", tmp_path / "lookup.csv", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    return {name: Path(p) for name, p in record["files"].items()} | {"lookup": tmp_path / "lookup.csv"}


def audit_options(files: dict[str, Path]) -> list[str]:
    names = {"clients": "--clients", "workers": "--workers", "payslips": "--payslips", "travel": "--travel-matrix"}
    return [x for name, option in names.items() if name in files for x in (option, str(files[name]))]


def original_ids(files: dict[str, Path]) -> dict[tuple[str, str], str]:
    with open(files["lookup"], newline="", encoding="utf-8") as fh:
        return {(r["kind"], r["pseudonym"]): r["id"] for r in csv.DictReader(fh)}


def same_figures(original: dict, shared: dict, ids: dict) -> None:
    """Every figure of the two audits agrees once pseudonyms are mapped back. Messages and row
    numbers name ids, and ties are broken by id (the order of the busiest clients, and who joins an
    inferred team when two workers gave a client the same hours): those are left out."""
    def back(record: dict) -> str:
        r = {k: v for k, v in record.items() if k not in ("message", "row")}
        if r.get("team_inferred"):
            del r["named_team"]
        for field, kind in (("worker_id", "worker"), ("client_id", "client"), ("visit_id", "visit")):
            if r.get(field):
                r[field] = ids.get((kind, r[field]), r[field])
        if "named_team" in r:
            r["named_team"] = sorted(ids[("worker", w)] for w in r["named_team"])
        return json.dumps(r, sort_keys=True)

    def plain(record: dict) -> str:
        r = {k: v for k, v in record.items() if k not in ("message", "row")}
        if r.get("team_inferred"):
            del r["named_team"]
        if "named_team" in r:
            r["named_team"] = sorted(r["named_team"])
        return json.dumps(r, sort_keys=True)

    skip = {"clients_most_workers"}
    assert {k: v for k, v in shared["summary"].items() if k not in skip} == \
        {k: v for k, v in original["summary"].items() if k not in skip}
    for part in ("workers", "clients", "visits", "findings"):
        assert sorted(map(back, shared[part])) == sorted(map(plain, original[part])), part


def test_pseudonym_is_hmac_sha256_of_kind_and_id():
    got = pseudonyms(pd.Series(["W01", " W01 ", "W02", ""]), KEY, "worker")
    expected = "W-" + hmac.new(KEY, b"worker\x00W01", hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
    assert got[0] == got[1] == expected
    assert got[2] != got[0] and got[2].startswith("W-")
    assert got[3] == ""


def test_pseudonyms_depend_on_the_key_and_the_kind():
    ids = pd.Series(["A1"])
    assert pseudonyms(ids, KEY, "worker")[0] != pseudonyms(ids, KEY[::-1], "worker")[0]
    assert pseudonyms(ids, KEY, "worker")[0][2:] != pseudonyms(ids, KEY, "client")[0][2:]


def test_a_missing_key_file_is_made_private_and_then_reused(tmp_path):
    path = tmp_path / "new.key"
    key, made = read_key(path)
    assert made and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, made_again = read_key(path)
    assert again == key and not made_again


def test_a_short_key_is_refused(tmp_path):
    path = tmp_path / "short.key"
    path.write_bytes(b"abc\n")
    with pytest.raises(KeyFileError, match="at least 16"):
        read_key(path)


def test_example_audits_the_same_and_shares_nothing_personal(tmp_path):
    rota, clients, workers = EXAMPLES / "rota.csv", EXAMPLES / "clients.csv", EXAMPLES / "workers.csv"
    files = anonymised(tmp_path, rota, "--clients", clients, "--workers", workers)
    assert set(files) == {"rota", "clients", "workers", "travel", "lookup"}
    original, code = run_json("audit", rota, "--clients", clients, "--workers", workers)
    shared, shared_code = run_json("audit", files["rota"], *audit_options(files))
    assert shared_code == code
    same_figures(original, shared, original_ids(files))
    assert shared["notes"] == []  # every journey came from the matrix: none estimated

    text = "\n".join(files[name].read_text(encoding="utf-8") for name in ("rota", "clients", "workers", "travel"))
    source = pd.read_csv(rota, dtype=str)
    homes = pd.read_csv(clients, dtype=str)
    people = set(source["worker_id"]) | set(source["client_id"]) | set(source["visit_id"])
    assert not [p for p in people if p in text]
    assert not [x for x in set(homes["lat"]) | set(homes["lon"]) | set(source["lat"]) if x in text]
    assert "medication" not in text and "personal care" not in text  # visit_type: free text
    assert "date_of_birth" not in files["workers"].read_text()  # nobody changes band in the example's fortnight


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_clients_and_workers_files_are_read_once_so_pipes_work(tmp_path):
    """`--clients <(zcat clients.csv.gz)` gives a pipe, which can be read only once."""
    pipes = {}
    for name in ("clients", "workers"):
        pipes[name] = tmp_path / f"{name}.pipe"
        os.mkfifo(pipes[name])

    fed = threading.Event()

    def feed(name: str) -> None:
        with open(pipes[name], "wb") as out:
            out.write((EXAMPLES / f"{name}.csv").read_bytes())
        while not fed.is_set():  # a second reader meets the end of the file, as with a shell's pipe (no hang)
            try:
                os.close(os.open(pipes[name], os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # no reader yet
                fed.wait(0.01)

    for run_dir in ("piped", "plain"):
        (tmp_path / run_dir).mkdir()
    writers = [threading.Thread(target=feed, args=(name,), daemon=True) for name in pipes]
    for writer in writers:
        writer.start()
    try:
        piped = anonymised(tmp_path / "piped", EXAMPLES / "rota.csv", "--clients", pipes["clients"],
                           "--workers", pipes["workers"])
    finally:
        fed.set()
    plain = anonymised(tmp_path / "plain", EXAMPLES / "rota.csv", "--clients", EXAMPLES / "clients.csv",
                       "--workers", EXAMPLES / "workers.csv")
    for name in ("rota", "clients", "workers", "travel"):
        assert piped[name].read_bytes() == plain[name].read_bytes()


def test_the_same_key_gives_the_same_files_and_another_key_others(tmp_path):
    runs = []
    for folder, key in (("a", KEY), ("b", KEY), ("c", KEY[::-1])):
        (tmp_path / folder).mkdir()
        runs.append(anonymised(tmp_path / folder, EXAMPLES / "rota.csv", key=key))
    first, second, third = runs
    assert first["rota"].read_bytes() == second["rota"].read_bytes()
    assert first["travel"].read_bytes() == second["travel"].read_bytes()
    assert first["rota"].read_bytes() != third["rota"].read_bytes()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    write_synth(synthesise(SynthSpec(workers=14, weeks=2, seed=5)), folder)
    return folder


@pytest.mark.parametrize("times", ["planned", "actual"])
def test_synthetic_rota_audits_the_same(tmp_path, synthetic, times):
    """Walkers and drivers, double-ups, call monitoring, named teams: the matrix holds each
    journey in planned and in call-monitoring order, per travel mode."""
    inputs = ["--clients", synthetic / "clients.csv", "--workers", synthetic / "workers.csv"]
    files = anonymised(tmp_path, synthetic / "rota.csv", *inputs)
    original, code = run_json("audit", synthetic / "rota.csv", *inputs, "--times", times)
    shared, shared_code = run_json("audit", files["rota"], *audit_options(files), "--times", times)
    assert shared_code == code
    same_figures(original, shared, original_ids(files))
    modes = set(pd.read_csv(files["travel"])["mode"])
    assert modes == set(pd.read_csv(synthetic / "workers.csv")["travel_mode"].dropna())


def test_displaced_homes_keep_every_journey_within_the_tolerance(tmp_path, synthetic):
    inputs = ["--clients", synthetic / "clients.csv", "--workers", synthetic / "workers.csv"]
    files = anonymised(tmp_path, synthetic / "rota.csv", *inputs, "--locations", "displace",
                       "--tolerance-minutes", "2")
    assert "travel" not in files
    original, _ = run_json("audit", synthetic / "rota.csv", *inputs, "--only", "pay")
    shared, _ = run_json("audit", files["rota"], *audit_options(files), "--only", "pay")
    ids = original_ids(files)
    before = {(w["worker_id"], w["period_start"]): w for w in original["workers"]}
    for w in shared["workers"]:
        o = before[(ids[("worker", w["worker_id"])], w["period_start"])]
        assert w["contact_hours"] == o["contact_hours"]
        assert abs(w["travel_hours"] - o["travel_hours"]) <= w["visits"] * 2 / 60 + 1e-3

    homes = pd.read_csv(synthetic / "clients.csv").set_index("client_id")
    rows = pd.read_csv(files["rota"])
    rows["client"] = [ids[("client", c)] for c in rows["client_id"]]
    first = rows.groupby("client")[["lat", "lon"]].first()
    moved_km = distance_km(homes.loc[first.index, "lat"], homes.loc[first.index, "lon"], first["lat"], first["lon"])
    assert (moved_km > 0.005).all()  # every home moved (half the largest move at least)
    modes = set(pd.read_csv(synthetic / "workers.csv")["travel_mode"].dropna()) or {"drive"}
    slowest = max(60 * CIRCUITY[m] / SPEED_KMH[m] for m in modes)  # minutes a km
    assert (moved_km <= 2 / (2 * slowest) + 1e-3).all()  # both ends moved: 2r × minutes a km ≤ 2 minutes


def test_ages_are_kept_only_as_far_as_the_wage_floor_needs(tmp_path, write):
    rota = write("rota.csv", "worker_id,client_id,start,end,lat,lon,hourly_rate",
                 "W1,C1,2026-11-02 09:00,2026-11-02 10:00,53.6,-1.8,12.00",
                 "W1,C1,2026-11-20 09:00,2026-11-20 10:00,53.6,-1.8,12.00")
    workers = write("workers.csv", "worker_id,date_of_birth,age",
                    "W1,1980-03-04,", "W2,2005-11-10,", "W3,,19", "W4,,")
    typed = pd.DataFrame({"date_of_birth": pd.to_datetime(["1980-03-04", "2005-11-10", None, None]),
                          "age": [np.nan, np.nan, 19.0, np.nan]}, index=["W1", "W2", "W3", "W4"])
    visits = pd.DataFrame({"start": pd.to_datetime(["2026-11-02 09:00", "2026-11-20 09:00"]).tz_localize("UTC")})
    ages = band_ages(typed, visits, None)
    # Band edges are every age any floor table has used (25 until 2021): W1 is 46, in 25-and-over;
    # W2 turns 21 on 2026-11-10, so the date is needed.
    assert list(ages["age"]) == ["25", "", "18", ""]
    assert list(ages["date_of_birth"]) == ["", "2005-11-10", "", ""]

    files = anonymised(tmp_path, rota, "--workers", workers)
    original, _ = run_json("audit", rota, "--workers", workers)
    shared, _ = run_json("audit", files["rota"], *audit_options(files))
    assert [w["floor_band"] for w in shared["workers"]] == [w["floor_band"] for w in original["workers"]]
    assert "1980" not in files["workers"].read_text()


def test_matrix_rows_may_be_for_one_mode(write):
    matrix = load_travel_matrix(write("m.csv", "from_client,to_client,mode,minutes",
                                      "A,B,walk,30", "A,B,,9", "A,B,drive,6"))
    assert matrix.loc[("A", "B", "walk"), "minutes"] == 30 and matrix.loc[("A", "B", ""), "minutes"] == 9


def test_a_walker_and_a_driver_take_their_own_matrix_rows(write):
    rota = write("rota.csv", "worker_id,client_id,start,end,hourly_rate",
                 "D,A,2026-11-02 09:00,2026-11-02 09:30,12", "D,B,2026-11-02 10:00,2026-11-02 10:30,12",
                 "K,A,2026-11-02 09:00,2026-11-02 09:30,12", "K,B,2026-11-02 10:00,2026-11-02 10:30,12",
                 "X,B,2026-11-02 09:00,2026-11-02 09:30,12", "X,A,2026-11-02 10:00,2026-11-02 10:30,12")
    workers = write("workers.csv", "worker_id,travel_mode,age", "D,drive,30", "K,walk,30", "X,cycle,30")
    matrix = write("m.csv", "from_client,to_client,mode,minutes", "A,B,walk,24", "A,B,,6")
    data, _ = run_json("audit", rota, "--workers", workers, "--travel-matrix", matrix, "--only", "pay")
    travel = {w["worker_id"]: w["travel_hours"] for w in data["workers"]}
    assert travel == {"D": 0.1, "K": 0.4, "X": 0.1}  # X cycles B→A: the way back, the row for every mode


def test_usage_errors_exit_2(tmp_path, write):
    rota = write("rota.csv", "worker_id,client_id,start,end,lat,lon", "W1,C1,2026-11-02 09:00,2026-11-02 10:00,53.6,-1.8")
    key = tmp_path / "k"
    key.write_bytes(KEY)
    same = run("anonymise", rota, "--key-file", key, "--output", rota)
    assert same.exit_code == 2 and "input files" in re.sub(r"[\s│]+", " ", same.output)
    short = tmp_path / "short"
    short.write_bytes(b"x")
    bad_key = run("anonymise", rota, "--key-file", short, "--output", tmp_path / "out.csv")
    assert bad_key.exit_code == 2 and "at least 16" in bad_key.output
    csv_format = run("anonymise", rota, "--key-file", key, "--output", tmp_path / "out.csv", "--format", "csv")
    assert csv_format.exit_code == 2
    broken = write("broken.csv", "worker_id,client_id,start,end", "W1,C1,yesterday,2026-11-02 10:00")
    bad = run("anonymise", broken, "--key-file", key, "--output", tmp_path / "out.csv")
    assert bad.exit_code == 2 and "broken.csv" in bad.output and "row 2" in bad.output
    assert not (tmp_path / "out.csv").exists()
