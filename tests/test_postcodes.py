"""The offline postcode table: import from ONSPD/NSPL (CSV or the zip ONS publishes), storage, lookup.

The fixture ``data/postcodes/onspd_sample.csv`` has the full 55-column header of the ONS Postcode
Directory, August 2026 edition (ONSPD_AUG_2026_UK.csv, with the column names ONS introduced in 2025:
pcd7, pcd8, ..., lat, long), and ten real postcodes: seven in Aberdeen (AB11) as ONSPD publishes them,
one Aberdeen postcode that was terminated with no grid reference, a Jersey postcode with no grid
reference and one Belfast postcode. Where every value came from: data/postcodes/README.md.
"""

from __future__ import annotations

import itertools
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import platformdirs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carerota import postcodes
from carerota.errors import InputError
from carerota.postcodes import (
    PostcodeTable,
    attribution,
    display,
    import_table,
    normalise,
    valid,
)

SAMPLE = Path(__file__).parent / "data" / "postcodes" / "onspd_sample.csv"

# (lat, long) exactly as in the fixture; see README.md for the source of each.
LOCATED = {
    "AB11 6EW": (57.142432, -2.104118),
    "AB11 6EX": (57.143763, -2.102155),
    "AB11 6EY": (57.141222, -2.111517),
    "AB11 6FB": (57.143895, -2.105329),
    "AB11 6FD": (57.142662, -2.099979),
    "AB11 6FX": (57.144094, -2.106311),
    "BT1 1AA": (54.602444, -5.922291),
}


@pytest.fixture
def table(tmp_path) -> PostcodeTable:
    import_table(SAMPLE, tmp_path / "postcodes.npz")
    return PostcodeTable.load(tmp_path / "postcodes.npz")


def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


def by_area(lines: list[str]) -> dict[str, list[str]]:
    """The rows split as ONS splits Data/multi_csv: one file per postcode area, each with the header."""
    areas: dict[str, list[str]] = {}
    for line in lines[1:]:
        area = re.match(r'"([A-Z]+)', line).group(1)
        areas.setdefault(area, [lines[0]]).append(line)
    return areas


def test_import_from_csv_counts_what_it_stored(tmp_path):
    summary = import_table(SAMPLE, tmp_path / "postcodes.npz")
    assert (summary.rows, summary.live, summary.terminated) == (10, 8, 2)
    assert (summary.no_location, summary.northern_ireland, summary.skipped) == (2, 1, 0)
    assert summary.source == "onspd_sample.csv"
    assert summary.edition is None
    assert summary.path == tmp_path / "postcodes.npz"
    meta = PostcodeTable.load(summary.path).meta
    assert meta["rows"] == 10 and meta["source"] == "onspd_sample.csv" and meta["version"] == 1


def test_edition_read_from_the_file_name_dates_the_attribution(tmp_path):
    named = tmp_path / "ONSPD_AUG_2026_UK.csv"
    named.write_bytes(SAMPLE.read_bytes())
    assert import_table(named, tmp_path / "t.npz").edition == "August 2026"
    loaded = PostcodeTable.load(tmp_path / "t.npz")
    assert loaded.edition == "August 2026"
    assert loaded.attribution() == attribution(2026)
    assert postcodes.edition_of("Data/multi_csv/NSPL21_FEB_2024_UK_AB.csv") == "February 2024"
    assert postcodes.edition_of("postcodes.csv") is None


def test_attribution_is_the_ons_wording_with_the_year():
    assert attribution(2024) == [
        "Contains OS data © Crown copyright and database right 2024",
        "Contains Royal Mail data © Royal Mail copyright and database right 2024",
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
    ]
    assert str(pd.Timestamp.today().year) in attribution()[0]
    assert "Land & Property Services" in postcodes.NI_NOTE and "internal business use" in postcodes.NI_NOTE


def test_exact_coordinates_of_the_fixture_postcodes(table):
    found = table.lookup(pd.Series(list(LOCATED)))
    assert (found["status"] == "ok").all()
    expected = np.array(list(LOCATED.values()))
    np.testing.assert_allclose(found[["lat", "lon"]].to_numpy(), expected, rtol=0, atol=1e-6)
    # Micro-degrees are exact for ONS's six decimals: no float drift at all.
    np.testing.assert_array_equal(np.rint(found[["lat", "lon"]].to_numpy() * 1e6), np.rint(expected * 1e6))


def test_lookup_normalises_case_and_every_kind_of_space(table):
    messy = pd.Series(["ab11 6ew", "AB116EW", "  Ab11\u00a06Ew ", "AB11\t6EW", "a b 1 1 6 e w", "AB11\u202f6EW"])
    found = table.lookup(messy)
    assert found["status"].tolist() == ["ok"] * 6
    assert found["postcode"].tolist() == ["AB11 6EW"] * 6
    assert found["lat"].tolist() == [57.142432] * 6
    assert normalise(messy).tolist() == ["AB116EW"] * 6


def test_statuses_and_when_terminated(table):
    asked = pd.Series(["", None, "   ", "nonsense", "AB11 6E", "AB11 9ZZ", "AB11 6FH", "JE2 4WD", "AB11 3AG",
                       "AB11 6FD"], index=list("abcdefghij"))
    found = table.lookup(asked)
    assert list(found.index) == list("abcdefghij")
    assert list(found.columns) == ["postcode", "lat", "lon", "status", "northern_ireland", "terminated"]
    assert found["status"].tolist() == ["blank", "blank", "blank", "invalid", "invalid", "unknown", "terminated",
                                        "no location", "terminated", "ok"]
    assert found["terminated"].tolist() == [""] * 6 + ["2016-06", "", "1997-07", ""]
    assert found["postcode"].tolist() == ["", "", "", "nonsense", "AB11 6E", "AB11 9ZZ", "AB11 6FH", "JE2 4WD",
                                          "AB11 3AG", "AB11 6FD"]
    # Only an ok postcode has a location: a terminated one is not used even though ONS still has its point.
    assert found["lat"].isna().tolist() == [True] * 9 + [False]


def test_northern_ireland_flag(table):
    found = table.lookup(pd.Series(["BT1 1AA", "bt11aa", "AB11 6EW", "BT99 9ZZ", "BT"]))
    assert found["northern_ireland"].tolist() == [True, True, False, True, False]
    assert found["status"].tolist() == ["ok", "ok", "ok", "unknown", "invalid"]


def test_lookup_keeps_any_index_even_repeated_labels(table):
    asked = pd.Series(["AB11 6EW", "nonsense", "AB11 6FH"], index=[5, 5, "x"])
    found = table.lookup(asked)
    assert list(found.index) == [5, 5, "x"]
    assert found["postcode"].tolist() == ["AB11 6EW", "nonsense", "AB11 6FH"]
    assert found["terminated"].tolist() == ["", "", "2016-06"]


def test_lookup_of_nothing(table):
    found = table.lookup(pd.Series([], dtype=object))
    assert found.empty and list(found.columns) == ["postcode", "lat", "lon", "status", "northern_ireland",
                                                   "terminated"]


def write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_reads_the_whole_uk_file_and_not_the_same_rows_again_from_multi_csv(tmp_path):
    lines = sample_lines()
    text = "\n".join(lines) + "\n"
    members: dict[str, str | bytes] = {
        "Documents/LA_UA names and codes UK as at 04_26.csv": "LAD26CD,LAD26NM\nS12000033,Aberdeen City\n",
        "User Guide/ONSPD User Guide Aug 2026.pdf": b"%PDF-1.7 not really",
        "Data/ONSPD_AUG_2026_UK.csv": text,
        "Data/ONSPD_AUG_2026_UK.txt": text,
    }
    for area, rows in by_area(lines).items():
        members[f"Data/multi_csv/ONSPD_AUG_2026_UK_{area}.csv"] = "\n".join(rows) + "\n"
    assert len(members) == 7  # AB, BT and JE files beside the whole file
    summary = import_table(write_zip(tmp_path / "ONSPD_AUG_2026.zip", members), tmp_path / "t.npz")
    assert (summary.rows, summary.skipped) == (10, 0)  # 20 rows read would show as 10 skipped duplicates
    assert summary.source == "ONSPD_AUG_2026.zip:Data/ONSPD_AUG_2026_UK.csv"
    assert summary.edition == "August 2026"
    assert PostcodeTable.load(tmp_path / "t.npz").lookup(pd.Series(["AB11 6FX"]))["lat"].item() == 57.144094


def test_zip_with_only_the_per_area_files_reads_them_all(tmp_path):
    members = {f"Data/multi_csv/ONSPD_AUG_2026_UK_{area}.csv": "\n".join(rows) + "\n"
               for area, rows in by_area(sample_lines()).items()}
    summary = import_table(write_zip(tmp_path / "onspd.zip", members), tmp_path / "t.npz")
    assert (summary.rows, summary.skipped, summary.northern_ireland) == (10, 0, 1)
    assert summary.source == "onspd.zip:Data/multi_csv (3 files)"
    assert summary.edition == "August 2026"


def test_zip_without_a_postcode_csv_is_refused(tmp_path):
    source = write_zip(tmp_path / "other.zip", {"Data/readme.csv": "name,value\na,1\n", "notes.txt": "hello"})
    with pytest.raises(InputError) as err:
        import_table(source, tmp_path / "t.npz")
    assert "other.zip" in str(err.value) and "missing" in str(err.value) and "'name, value'" in str(err.value)


def test_not_an_onspd_file_names_the_missing_columns(tmp_path):
    rota = tmp_path / "rota.csv"
    rota.write_text("worker_id,client_id,start,end,lat,lon\nW1,C1,2026-11-02 09:00,2026-11-02 09:30,57.1,-2.1\n")
    with pytest.raises(InputError) as err:
        import_table(rota, tmp_path / "t.npz")
    message = str(err.value)
    assert "rota.csv" in message
    assert "missing: pcds or pcd or pcd2 or pcd7 or pcd8; doterm" in message
    assert "found 'worker_id, client_id, start, end, lat, lon'" in message
    assert "carerota postcodes import FILE" in message
    assert not (tmp_path / "t.npz").exists()


def test_missing_source_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        import_table(tmp_path / "ONSPD_FEB_2024_UK.csv", tmp_path / "t.npz")


def test_a_value_that_is_not_a_number_is_reported(tmp_path):
    bad = tmp_path / "nspl.csv"
    bad.write_text("pcds,doterm,lat,long\nAB11 6EW,,57.142432,-2.104118\nAB11 6EX,,north,-2.102155\n")
    with pytest.raises(InputError) as err:
        import_table(bad, tmp_path / "t.npz")
    assert "column 'lat'" in str(err.value) and "'north'" in str(err.value)


@pytest.mark.parametrize("header", ["PCD,DOTERM,LAT,LONG", "pcd2,Lat,Lon,DoTerm", "pcd8,doterm,lat,long"])
def test_column_names_match_in_any_case_and_any_recognised_form(tmp_path, header):
    names = header.split(",")
    values = {"pcd": "AB11 6EW", "pcd2": "AB11 6EW", "pcd8": "AB11 6EW", "doterm": "", "lat": "57.142432",
              "lon": "-2.104118", "long": "-2.104118"}
    source = tmp_path / "nspl.csv"
    source.write_text(header + "\n" + ",".join(values[n.lower()] for n in names) + "\n")
    import_table(source, tmp_path / "t.npz")
    found = PostcodeTable.load(tmp_path / "t.npz").lookup(pd.Series(["AB11 6EW"]))
    assert found[["lat", "lon"]].iloc[0].tolist() == [57.142432, -2.104118]


def test_duplicate_postcodes_keep_the_live_one(tmp_path):
    source = tmp_path / "dups.csv"
    source.write_text("pcds,doterm,lat,long\n"
                      "AB11 6EW,200101,57.1,-2.1\n"
                      "AB11 6EW,,57.142432,-2.104118\n"
                      "AB11 6EW,199001,57.2,-2.2\n"
                      "AB11 6FH,199001,57.3,-2.3\n"
                      "AB11 6FH,201606,57.140252,-2.110705\n"
                      "not a postcode,,57.0,-2.0\n")
    summary = import_table(source, tmp_path / "t.npz")
    assert (summary.rows, summary.live, summary.terminated, summary.skipped) == (2, 1, 1, 4)
    found = PostcodeTable.load(tmp_path / "t.npz").lookup(pd.Series(["AB11 6EW", "AB11 6FH"]))
    assert found["lat"].iloc[0] == 57.142432
    assert found["terminated"].tolist() == ["", "2016-06"]  # the latest termination when none is live


def synthetic_2023_layout(path: Path, rows: int) -> Path:
    """ONSPD rows with the pre-2025 names (pcd, pcd2, ...), upper-cased as some downloads have them."""
    header = "PCD,PCD2,PCDS,DOINTR,DOTERM,USERTYPE,OSEAST1M,OSNRTH1M,OSGRDIND,CTRY,LAT,LONG"
    units = ["".join(p) for p in itertools.product("ABDEFGHJLNPQRSTUWXYZ", repeat=2)]
    codes = [f"LS{d} {s}{u}" for d in range(1, 30) for s in range(10) for u in units][:rows]
    rng = np.random.default_rng(7)
    lines = [header]
    for i, code in enumerate(codes):
        doterm = "201906" if i % 5 == 0 else ""
        lines.append(f'"{code.replace(" ", "")}","{code}","{code}","198001","{doterm}","0","430000","433000",'
                     f'"1","E92000001",{rng.uniform(53.7, 53.9):.6f},{rng.uniform(-1.7, -1.4):.6f}')
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_stored_table_is_compact(tmp_path):
    summary = import_table(synthetic_2023_layout(tmp_path / "ONSPD_FEB_2024_UK.csv", 20_000), tmp_path / "t.npz")
    assert (summary.rows, summary.terminated, summary.edition) == (20_000, 4_000, "February 2024")
    # 7 bytes of key and three int32s a row, plus a little zip framing: nothing like a CSV's 500 bytes.
    assert (tmp_path / "t.npz").stat().st_size / summary.rows < 20
    loaded = PostcodeTable.load(tmp_path / "t.npz")
    assert loaded.keys.dtype == np.dtype("S7") and (loaded.keys[1:] > loaded.keys[:-1]).all()
    assert loaded.lat.dtype == np.float64


def test_progress_reaches_the_total(tmp_path):
    seen: list[tuple[int, int]] = []
    import_table(SAMPLE, tmp_path / "t.npz", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (SAMPLE.stat().st_size, SAMPLE.stat().st_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_import_creates_the_folder_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "a" / "b" / "postcodes.npz"
    import_table(SAMPLE, out)
    assert os.listdir(out.parent) == ["postcodes.npz"]


def test_a_failed_write_keeps_the_old_table_and_cleans_up(tmp_path, monkeypatch):
    out = tmp_path / "postcodes.npz"
    import_table(SAMPLE, out)
    before = out.read_bytes()

    def disk_full(fh, **arrays):
        fh.write(b"PK\x03\x04 half a table")
        raise OSError("No space left on device")

    monkeypatch.setattr(postcodes.np, "savez", disk_full)
    with pytest.raises(OSError, match="No space"):
        import_table(SAMPLE, out)
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["postcodes.npz"]


def test_missing_table_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREROTA_POSTCODES", str(tmp_path / "nowhere.npz"))
    with pytest.raises(InputError) as err:
        PostcodeTable.load()
    assert "nowhere.npz" in str(err.value)
    assert err.value.hint.startswith("Download the ONS Postcode Directory (https://geoportal.statistics.gov.uk/")
    assert err.value.hint.endswith("and run: carerota postcodes import FILE")


@pytest.mark.parametrize("content", [b"", b"not a table at all", "npz-of-something-else", "unsorted"])
def test_a_corrupt_or_foreign_file_is_refused(tmp_path, content):
    path = tmp_path / "postcodes.npz"
    if content == "npz-of-something-else":
        np.savez(path, keys=np.array([b"AB116EW"]), lat_e6=np.array([1.5]))
    elif content == "unsorted":
        import_table(SAMPLE, path)
        with np.load(path) as npz:
            arrays = dict(npz)
        np.savez(path, **{**arrays, "keys": arrays["keys"][::-1]})
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match="expected a postcode table made by 'carerota postcodes import'"):
        PostcodeTable.load(path)


def test_default_path_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREROTA_POSTCODES", str(tmp_path / "mine.npz"))
    assert postcodes.default_path() == tmp_path / "mine.npz"
    monkeypatch.delenv("CAREROTA_POSTCODES")
    assert postcodes.default_path() == platformdirs.user_data_path("carerota") / "postcodes.npz"


POSTCODE_KEYS = st.from_regex(r"GIR0AA|[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}", fullmatch=True)


@given(key=POSTCODE_KEYS, spaces=st.lists(st.sampled_from([" ", "\u00a0", "\t", "  "]), max_size=3),
       lower=st.booleans())
def test_normalise_undoes_display_and_any_spacing(key, spaces, lower):
    shown = display(key)
    assert shown.replace(" ", "") == key and shown[-4] == " "
    typed = "".join(spaces) + (shown.lower() if lower else shown) + "".join(spaces)
    assert normalise(pd.Series([shown, typed])).tolist() == [key, key]
    assert valid(pd.Series([key])).tolist() == [True]


def test_valid_rejects_what_is_not_a_postcode():
    keys = pd.Series(["LS11AA", "GIR0AA", "W1A0AX", "EC1A1BB", "LS1", "1LS1AA", "LS11A1", "ABCD1AA", None, ""])
    assert valid(keys).tolist() == [True, True, True, True, False, False, False, False, False, False]
