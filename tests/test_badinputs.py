"""Every malformed rota gets one clear error naming file, row and column, exit code 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import DATA, run

BAD = DATA / "badinputs"

# file → (row, column) the message must name; None where the file has no such place
EXPECTED = {
    "bad_datetime.csv": (3, "start"),
    "binary.csv": (None, None),
    "blank_worker.csv": (2, "worker_id"),
    "empty.csv": (1, None),
    "end_before_start.csv": (2, "end"),
    "header_only.csv": (2, None),
    "lat_out_of_range.csv": (2, "lat"),
    "missing_end_column.csv": (1, None),
    "nan_inf.csv": (2, "lat"),
    "negative_rate.csv": (2, "hourly_rate"),
    "not_utf8.csv": (2, "client_id"),
    "short_row.csv": (3, None),
}


def test_every_shared_bad_input_is_covered():
    assert {p.name for p in BAD.glob("*.csv")} == set(EXPECTED) | {"overlapping_visits.csv", "semicolons.csv"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_a_clear_input_error(name):
    result = run("audit", BAD / name)
    assert result.exit_code == 2
    message = result.stderr
    assert "Traceback" not in result.output
    assert message.startswith("error: ") and name in message
    row, column = EXPECTED[name]
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert f"column '{column}'" in message
    assert "expected" in message or "missing required column 'end'" in message


def test_missing_column_names_the_column():
    assert "missing required column 'end'" in run("audit", BAD / "missing_end_column.csv").stderr


def test_nan_and_inf_are_both_reported():
    message = run("audit", BAD / "nan_inf.csv").stderr
    assert "column 'lat'" in message and "column 'lon'" in message


def test_overlapping_visits_are_a_finding_not_an_error():
    result = run("audit", BAD / "overlapping_visits.csv", "--format", "json")
    assert result.exit_code == 1
    assert "overlapping-visits" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_semicolon_file_is_read():
    result = run("audit", BAD / "semicolons.csv", "--format", "json")
    assert result.exit_code in (0, 1)
    assert json.loads(result.stdout)["summary"]["visits"] == 1


@pytest.mark.parametrize("name,code", [("binary.csv", 2), ("short_row.csv", 2), ("overlapping_visits.csv", 1)])
def test_exit_codes_from_a_real_process(name, code):
    env = {k: v for k, v in os.environ.items() if k != "CAREROTA_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "carerota", "audit", str(BAD / name)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == code
    assert "Traceback" not in proc.stderr
