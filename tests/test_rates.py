"""The dated wage-floor table: the right rate for a date, an age band and London."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from carerota.rates import WageFloor, age_on, floor_rates, rate_is_known


def rate(scheme: str, day: str, age: float = np.nan, london: bool = False) -> float:
    floor = WageFloor.parse(scheme)
    return float(floor_rates(floor, pd.Series([pd.Timestamp(day)]), pd.Series([age]),
                             pd.Series([london]))["rate"][0])


@pytest.mark.parametrize("day,age,expected", [
    ("2016-04-01", 30, 7.20), ("2016-04-01", 24, 6.70), ("2016-09-30", 24, 6.70), ("2016-10-01", 24, 6.95),
    ("2019-06-01", 25, 8.21), ("2019-06-01", 24, 7.70), ("2019-06-01", 17, 4.35),
    ("2021-04-01", 23, 8.91), ("2021-04-01", 22, 8.36), ("2022-12-01", 30, 9.50), ("2022-12-01", 21, 9.18),
    ("2023-04-01", 20, 7.49), ("2024-03-31", 22, 10.18), ("2024-04-01", 21, 11.44), ("2025-04-01", 19, 10.00),
    ("2026-03-31", 40, 12.21), ("2026-04-01", 40, 12.71), ("2026-11-02", 20, 10.85), ("2026-11-02", 16, 8.00),
])
def test_statutory_rates_by_date_and_age(day, age, expected):
    assert rate("nlw", day, age) == expected


@pytest.mark.parametrize("day,expected", [("2019-06-01", 8.21), ("2022-06-01", 9.50), ("2026-11-02", 12.71)])
def test_unknown_age_takes_the_top_band(day, expected):
    assert rate("nlw", day) == expected


@pytest.mark.parametrize("day,london,expected", [
    ("2026-04-30", False, 12.60), ("2026-05-01", False, 13.45), ("2026-05-01", True, 14.80),
    ("2021-05-08", False, 9.30), ("2021-05-09", False, 9.50), ("2023-05-14", True, 11.95),
])
def test_real_living_wage_from_its_implementation_date(day, london, expected):
    assert rate("rlw", day, 30, london) == expected


def test_real_living_wage_under_18_falls_back_to_statutory():
    assert rate("rlw", "2026-11-02", 17) == 8.00


def test_fixed_amount():
    assert rate("£13.50", "2010-01-01") == 13.50


def test_before_the_first_known_rate_is_an_error():
    with pytest.raises(ValueError, match="before 2016-04-01"):
        rate("nlw", "2016-03-31")


@pytest.mark.parametrize("text", ["", "abc", "-3", "0", "nlw2"])
def test_bad_wage_option(text):
    with pytest.raises(ValueError):
        WageFloor.parse(text)


def test_coverage_of_the_table():
    assert rate_is_known(WageFloor("nlw"), date(2027, 3, 31))
    assert not rate_is_known(WageFloor("nlw"), date(2027, 4, 1))
    assert not rate_is_known(WageFloor("rlw"), date(2027, 5, 1))


def test_age_on_counts_the_birthday_itself():
    dob = pd.Series(pd.to_datetime(["2006-11-04", "2006-11-04", "2008-02-29"]))
    on = pd.Series(pd.to_datetime(["2026-11-03", "2026-11-04", "2026-02-28"]))
    assert age_on(dob, on).tolist() == [19, 20, 17]
