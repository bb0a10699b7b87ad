"""Working time: the gap rules, travel between visits only, overlaps counted once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carerota.worktime import CODES, GapRules, id_codes, rows_in_order, visit_times, working_time
from carerota.travel import TravelModel

T0 = pd.Timestamp("2026-11-02 08:00", tz="UTC")
MATRIX = pd.DataFrame({"from_client": ["A", "B"], "to_client": ["B", "C"], "minutes": [10.0, 20.0]}).set_index(
    ["from_client", "to_client"])


def visits(*spec):
    """spec: (worker, client, start minute, end minute) relative to 08:00 UTC."""
    rows = [{"row": i + 2, "visit_id": f"V{i}", "worker_id": w, "client_id": c,
             "start": T0 + pd.Timedelta(minutes=s), "end": T0 + pd.Timedelta(minutes=e),
             "lat": float("nan"), "lon": float("nan")}
            for i, (w, c, s, e) in enumerate(spec)]
    frame = pd.DataFrame(rows)
    frame["actual_start"] = frame["actual_end"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us, UTC]")
    return frame


def wt(frame, rules=GapRules()):
    out, _ = working_time(visit_times(frame, use_actual=False), rules=rules, travel=TravelModel(matrix=MATRIX),
                          modes=pd.Series(dtype=object), source="r.csv")
    return out


def test_first_visit_has_no_travel_and_later_ones_do():
    out = wt(visits(("W", "A", 0, 30), ("W", "B", 40, 70), ("W", "C", 90, 120)))
    assert out["leg"].tolist() == ["first", "paid", "paid"]
    assert out["travel_s"].tolist() == [0, 600, 1200]
    assert out["waiting_s"].tolist() == [0, 0, 0]  # 10 min gap, 10 min travel; 20 and 20
    assert out["working_s"].sum() == 90 * 60 + 30 * 60


@pytest.mark.parametrize("gap,travel,waiting,leg", [
    (0, 10, 0, "paid"),       # back-to-back: travel still counts
    (60, 10, 50, "paid"),     # exactly --paid-gap: all of it
    (61, 10, 0, "break"),     # travel only
    (180, 10, 0, "break"),    # exactly --split-gap: travel only
    (181, 0, 0, "first"),     # new shift: nothing
])
def test_gap_rules_at_their_boundaries(gap, travel, waiting, leg):
    out = wt(visits(("W", "A", 0, 30), ("W", "B", 30 + gap, 60 + gap)))
    assert out.loc[1, "leg"] == leg
    assert out.loc[1, "travel_s"] == travel * 60
    assert out.loc[1, "waiting_s"] == waiting * 60


def test_custom_gap_rules():
    rules = GapRules(paid_gap=45, split_gap=45)
    assert wt(visits(("W", "A", 0, 30), ("W", "B", 75, 105)), rules).loc[1, "leg"] == "paid"  # 45 min
    assert wt(visits(("W", "A", 0, 30), ("W", "B", 76, 106)), rules).loc[1, "leg"] == "first"  # 46 min


def test_travel_longer_than_the_gap_is_counted_in_full():
    out = wt(visits(("W", "B", 0, 30), ("W", "C", 35, 65)))  # 20 min travel in a 5 min gap
    assert out.loc[1, "travel_s"] == 1200 and out.loc[1, "waiting_s"] == 0


def test_overlapping_minutes_count_once():
    out = wt(visits(("W", "A", 0, 30), ("W", "B", 15, 45)))
    assert out.loc[1, "leg"] == "overlap" and out.loc[1, "gap_s"] == -900
    assert out["contact_s"].sum() == 45 * 60


def test_nested_visit_adds_no_contact_time():
    out = wt(visits(("W", "A", 0, 60), ("W", "A", 10, 20), ("W", "A", 70, 80)))
    assert out["contact_s"].tolist() == [3600, 0, 600]
    assert out.loc[2, "gap_s"] == 600  # measured from the latest end so far, 09:00


def test_workers_are_independent():
    out = wt(visits(("W1", "A", 0, 30), ("W2", "B", 10, 40)))
    assert out["leg"].tolist() == ["first", "first"]


def test_gap_rules_reject_paid_gap_above_split_gap():
    with pytest.raises(ValueError):
        GapRules(paid_gap=200, split_gap=180)


@settings(max_examples=60, deadline=None)
@given(gap=st.integers(0, 400), extra=st.integers(1, 60))
def test_longer_visits_never_mean_less_working_time(gap, extra):
    """Property: lengthening a visit (later end) never reduces a worker's working time."""
    base = wt(visits(("W", "A", 0, 30), ("W", "B", 30 + gap, 60 + gap)))
    longer = wt(visits(("W", "A", 0, 30), ("W", "B", 30 + gap, 60 + gap + extra)))
    assert longer["working_s"].sum() >= base["working_s"].sum()
    assert (longer["travel_s"] >= 0).all() and (longer["waiting_s"] >= 0).all()


def test_rows_in_order_is_a_take_of_every_column_keeping_its_type():
    frame = pd.DataFrame({
        "row": [2, 3, 4], "worker_id": pd.array(["W2", None, "W1"], dtype="string"),
        "start": pd.to_datetime(["2026-11-02 09:00", "2026-11-02 08:00", None], utc=True),
        "pay": [1.5, np.nan, 3.0], "agreed_short": [True, False, True], "note": ["a", "", "c"],
        "mode": pd.Categorical(["drive", "walk", "drive"]),
    }, index=[7, 8, 9])
    order = np.array([2, 0, 1])
    expected = frame.take(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(rows_in_order(frame, order), expected)



@given(st.lists(st.tuples(st.sampled_from(["W2", "W10", "W1"]), st.sampled_from(["C3", "C1", "C20"]),
                          st.integers(0, 600)), min_size=1, max_size=25), st.data())
def test_id_codes_kept_by_visit_times_are_factorize_of_any_part(spec, data):
    """The codes visit_times keeps, renumbered for any subset of the visits, are what factorising
    that subset gives (codes in id order, ids in order); without them, id_codes factorises."""
    timed = visit_times(visits(*[(w, c, m, m + 30) for w, c, m in spec]), use_actual=False)
    kept = np.array(data.draw(st.lists(st.booleans(), min_size=len(timed), max_size=len(timed))))
    for part in (timed, timed[kept]):
        for col in CODES:
            codes, names = id_codes(part, col)
            expected_codes, expected_names = pd.factorize(part[col], sort=True)
            assert codes.tolist() == expected_codes.tolist() and names.tolist() == expected_names.tolist()
            assert names.dtype == expected_names.dtype
            plain = id_codes(part.drop(columns=list(CODES.values())), col)
            assert plain[0].tolist() == codes.tolist() and plain[1].tolist() == names.tolist()


def test_given_client_codes_are_kept_as_they_are():
    frame = visits(("W", "B", 0, 30), ("W", "A", 40, 70))
    timed = visit_times(frame, use_actual=False, client_codes=np.array([1, 0]))
    assert timed["client_code"].tolist() == [1, 0] and timed["worker_code"].tolist() == [0, 0]
