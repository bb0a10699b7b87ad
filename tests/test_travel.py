"""Travel legs: distance against geopy's geodesic, the matrix, modes and missing locations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from geopy.distance import geodesic

from carerota.errors import InputError
from carerota.travel import TravelModel, distance_km, leg_minutes
from conftest import run


def test_distance_matches_geopy_geodesic_on_uk_pairs():
    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(50, 58.5, 300), rng.uniform(50, 58.5, 300)
    lon1, lon2 = rng.uniform(-6, 1.7, 300), rng.uniform(-6, 1.7, 300)
    ours = distance_km(lat1, lon1, lat2, lon2)
    reference = np.array([geodesic((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2)])
    assert np.abs(ours - reference).max() < 0.010  # 10 m


def test_distance_matches_geopy_on_short_town_legs():
    rng = np.random.default_rng(8)
    lat1, lon1 = rng.uniform(53.6, 53.7, 200), rng.uniform(-1.85, -1.7, 200)
    lat2, lon2 = lat1 + rng.uniform(-0.03, 0.03, 200), lon1 + rng.uniform(-0.03, 0.03, 200)
    ours = distance_km(lat1, lon1, lat2, lon2)
    reference = np.array([geodesic((a, b), (c, d)).km for a, b, c, d in zip(lat1, lon1, lat2, lon2)])
    assert np.abs(ours - reference).max() < 0.001  # 1 m


def test_zero_distance():
    assert distance_km([53.8], [-1.5], [53.8], [-1.5])[0] == 0


def legs(**overrides) -> pd.DataFrame:
    base = {"row": [2], "from_client": ["A"], "to_client": ["B"], "from_lat": [53.80], "from_lon": [-1.55],
            "to_lat": [53.81], "to_lon": [-1.55], "mode": ["drive"]}
    base.update({k: [v] for k, v in overrides.items()})
    return pd.DataFrame(base)


def test_estimate_is_distance_times_circuity_over_speed():
    km = geodesic((53.80, -1.55), (53.81, -1.55)).km
    minutes, how = leg_minutes(legs(), TravelModel(), "r.csv")
    assert minutes[0] == pytest.approx(km * 1.3 / 30 * 60, rel=1e-4)
    walk, _ = leg_minutes(legs(mode="walk"), TravelModel(), "r.csv")
    assert walk[0] == pytest.approx(km * 1.2 / 4.8 * 60, rel=1e-4)
    assert how.tolist() == ["estimate"]


def test_matrix_is_used_either_way_round_before_estimates():
    matrix = pd.DataFrame({"from_client": ["B"], "to_client": ["A"], "minutes": [7.0]}).set_index(
        ["from_client", "to_client"])
    minutes, how = leg_minutes(legs(from_lat=np.nan), TravelModel(matrix=matrix), "r.csv")
    assert minutes[0] == 7.0 and how.tolist() == ["matrix"]


def test_same_client_takes_no_travel_even_without_location():
    minutes, _ = leg_minutes(legs(to_client="A", to_lat=np.nan), TravelModel(), "r.csv")
    assert minutes[0] == 0


def test_missing_location_is_an_input_error_naming_client_and_row():
    with pytest.raises(InputError) as err:
        leg_minutes(legs(row=9, to_lat=np.nan), TravelModel(), "r.csv")
    problem = err.value.problems[0]
    assert problem.row == 9 and "'B'" in problem.expected


def test_missing_homes_list_the_first_ten_clients_and_count_the_rest():
    # a rota given without its clients file lacks every home: the error stays a screenful, as for
    # any column's problems, each client named with the first row that needs it
    n = 13
    legs = pd.DataFrame({
        "from_client": [f"C{k:02d}" for k in range(n)], "to_client": [f"C{k + 1:02d}" for k in range(n)],
        "from_lat": np.nan, "from_lon": np.nan, "to_lat": np.nan, "to_lon": np.nan,
        "row": np.arange(3, 3 + n), "mode": "drive",
    })
    with pytest.raises(InputError) as err:
        leg_minutes(legs, TravelModel(), "rota")
    message = err.value.message()
    assert message.count("no location for client") == 10
    assert "rota, row 3, column 'lat/lon': no location for client 'C00'" in message
    assert "row 11, column 'lat/lon': no location for client 'C09'" in message  # travelled to at row 11
    assert "... and 4 more rows with problems" in message  # C10 to C12, and C13 (only ever travelled to)


def test_a_missing_home_is_named_at_the_earliest_row_that_needs_it(write):
    # W1's legs come first (workers in order), and C9 is the "from" side of W1's leg at row 5; but
    # row 3, where W2 travels to C9, is earlier in the file and is the row named
    path = write("r.csv", "worker_id,client_id,start,end,lat,lon,visit_pay",
                 "W2,A,2026-11-02 08:00,2026-11-02 08:30,53.80,-1.55,20",
                 "W2,C9,2026-11-02 09:00,2026-11-02 09:30,,,20",
                 "W1,C9,2026-11-02 10:00,2026-11-02 10:30,,,20",
                 "W1,B,2026-11-02 11:00,2026-11-02 11:30,53.81,-1.56,20")
    result = run("audit", str(path))
    assert result.exit_code == 2
    assert f"{path}, row 3, column 'lat/lon': no location for client 'C9'" in result.stderr
