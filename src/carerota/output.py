"""Figures as they leave carerota: the rounding rules, the words of the charter scorecard and small
formatters, shared by every renderer (terminal, JSON, CSV, HTML) so that they all say the same.

No Rich here: ``report.py`` draws the terminal, ``html_report.py`` the page.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carerota.findings import iso_dates
from carerota.read import string_offsets
from carerota.tender import COMPONENTS

MONEY = ("pay", "shortfall", "arrears", "floor_rate", "total_pay", "total_shortfall", "total_arrears",
         "pay_cost_at_floor", "price_per_hour", "cost_floor_per_hour", "margin", "planned_cost_floor_per_hour",
         "planned_margin", "wage_floor_low", "wage_floor_high", *COMPONENTS)


def clean(value, key: str = ""):
    """A JSON-safe value: NaN → None, numpy scalars → Python, money 2 dp, other floats 4 dp."""
    if isinstance(value, dict):
        return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, key) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2 if key in MONEY else 4)
    return value


COORDINATES = {"lat", "lon"}
Encoded = bytes | memoryview  # UTF-8 text, or a view of the arrow buffer that holds it


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Output rounding, vectorised: money to the penny, coordinates to 6 places (as the inputs give
    them, about 0.1 m), other floats to 4 places, dates as text."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(2 if col in MONEY else 6 if col in COORDINATES else 4)
        elif pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = iso_local(out[col])
        elif len(out) and type(out[col].iloc[0]) is date:  # a column of dates (datetime is a date too)
            out[col] = pd.Series(iso_dates(out[col]), index=out.index, dtype="str")
        elif len(out) and isinstance(out[col].iloc[0], date):
            out[col] = out[col].astype(str)
    return out


FORMULA_START = r"^[=+\-@\t\r]"  # OWASP's CSV-injection list: a spreadsheet runs such a cell as a formula
NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?inf$"  # as pandas writes a float, -inf too


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text cells safe to open in a spreadsheet, as ids and file names come from
    outside. Text a spreadsheet would run as a formula (OWASP: it starts with =, +, -, @, tab or
    carriage return) gets a leading ' and shows as typed; numbers, and text that reads as one
    (-12.5), are left alone. A carriage return inside a cell becomes a line feed: the csv writer
    quotes a cell for a line feed but not for a lone CR, at which a reader would start a new row, its
    first cell unchecked. Arrow's kernels test each text column; a frame with nothing to change is
    returned as it is."""
    out = frame
    for col in frame.columns:
        column = frame[col]
        if column.dtype != object and not pd.api.types.is_string_dtype(column):
            continue
        text = pa.array(column if pd.api.types.is_string_dtype(column) else column.astype("string"))
        formula = pc.fill_null(pc.and_(pc.match_substring_regex(text, FORMULA_START),
                                       pc.invert(pc.match_substring_regex(text, NUMBER))), False)
        broken = pc.fill_null(pc.match_substring(text, "\r"), False)
        changed = pc.or_(formula, broken)
        if not pc.any(changed).as_py():
            continue
        safe = pc.if_else(formula, pc.binary_join_element_wise(pa.scalar("'", text.type), text,
                                                               pa.scalar("", text.type)), text)
        safe = pc.replace_substring_regex(safe, "\r\n?", "\n")
        out = out.copy() if out is frame else out
        out[col] = column.mask(changed.to_numpy(zero_copy_only=False), pd.Series(safe, index=column.index))
    return out


def iso_local(times: pd.Series) -> pd.Series:
    """UTC instants as ISO 8601 UK local time with its offset, e.g. 2026-07-01T08:00:00+01:00. Each
    distinct instant is formatted once (a rota repeats its times), by arrow's cast."""
    codes, values = pd.factorize(times.dt.tz_convert(None).to_numpy().astype("datetime64[s]"))
    distinct = pd.Series(values).dt.tz_localize("UTC")
    local = distinct.dt.tz_convert("Europe/London").dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    text = pc.cast(pa.array(local), pa.string())  # 2026-07-01 08:00:00
    offset = np.where((local - values.astype("datetime64[s]")).astype("int64") == 3600, "+01:00", "+00:00")
    iso = pc.binary_join_element_wise(pc.binary_replace_slice(text, 10, 11, "T"), pa.array(offset), "")
    taken = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0, type=pa.int32()), iso)
    return pd.Series(pc.cast(taken, pa.string()), index=times.index, dtype="string")


def bare_strings(strings: pa.Array) -> tuple[pa.Array, bool]:
    """Strings as JSON: (values, True) when every value may go between quotes as it is, which one scan
    of the bytes tells (no quote, backslash, control character or null); else (JSON literals, False),
    where only the strings that need escaping go through json.dumps."""
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = string_offsets(strings)
    raw = string_data(strings).tobytes()  # bytes: its find is memchr
    data = np.frombuffer(raw, dtype=np.uint8)
    needs_escape = raw.find(b'"') >= 0 or raw.find(b"\\") >= 0 or bool((data < 0x20).any())
    if not needs_escape and not strings.null_count:
        return strings, True
    literals = quoted(strings, True)
    if needs_escape:
        special = np.flatnonzero((data == ord('"')) | (data == ord("\\")) | (data < 0x20)) + offsets[0]
        rows = np.unique(np.searchsorted(offsets, special, side="right") - 1)
        mask = np.zeros(len(strings), bool)
        mask[rows] = True
        escaped = [json.dumps(x, ensure_ascii=False) for x in strings.take(pa.array(rows)).to_pylist()]
        literals = pc.replace_with_mask(literals, pa.array(mask), pa.array(escaped, type=literals.type))
    return pc.fill_null(literals, "null"), False


def nested_json(value) -> str:
    """A list or dict cell held as Python objects as compact JSON (the audit's own lists are arrow
    lists: ``nested_values``)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # numpy scalars or NaN inside: make it JSON-safe first
        return json.dumps(clean(value), ensure_ascii=False, separators=(",", ":"))


def nested_values(values: pa.Array) -> pa.Array:
    """Each value of an arrow array of lists or structs (a client's team, its weeks) as JSON text,
    missing values as null: the list items or struct fields are written by ``json_values`` all at
    once, then put together by list offsets and field joins, not a Python loop per client."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        items = quoted(*json_values(pd.Series(values.flatten(), dtype=pd.ArrowDtype(values.type.value_type))))
        starts = pc.subtract(values.offsets, values.offsets[0])  # flatten() starts at the first row's items
        joined = pc.binary_join(pa.ListArray.from_arrays(starts, items), ",")
        text = pc.binary_join_element_wise("[", joined, "]", "")
    else:
        pieces: list = []
        glue = "{"
        for field, child in zip(values.type, values.flatten()):
            pieces += [glue + json.dumps(field.name, ensure_ascii=False) + ":",
                       quoted(*json_values(pd.Series(child, dtype=pd.ArrowDtype(child.type))))]
            glue = ","
        text = pc.binary_join_element_wise(*pieces, "}", "") if pieces else pa.array(["{}"] * len(values))
    return pc.if_else(values.is_null(), pa.scalar("null"), text)


def quoted(values: pa.Array, bare: bool) -> pa.Array:
    """``json_values``' text with the quotes a bare string still needs."""
    return pc.binary_join_element_wise('"', values, '"', "") if bare else values


def json_values(column: pd.Series) -> tuple[pa.Array, bool]:
    """Each value of a column as JSON text, missing values as null, built by pyarrow kernels (a
    million findings would take seconds through Python's json module), and whether the values still
    need quotes around them (strings that need no escaping are left bare: one pass fewer)."""
    if isinstance(column.dtype, pd.ArrowDtype) and pa.types.is_nested(column.dtype.pyarrow_dtype):
        return nested_values(pa.array(column)), False
    if pd.api.types.is_bool_dtype(column):
        values = pa.array(column, from_pandas=True, type=pa.bool_())
        return pc.fill_null(pc.if_else(values, "true", "false"), "null"), False
    if pd.api.types.is_integer_dtype(column):
        return pc.fill_null(pc.cast(pa.array(column, from_pandas=True, type=pa.int64()), pa.string()), "null"), False
    if pd.api.types.is_float_dtype(column):
        # each distinct figure is written once (a rota's minutes repeat); + 0.0 writes -0.0 as 0.0
        codes, x = pd.factorize(column.to_numpy("float64", na_value=np.nan) + 0.0, use_na_sentinel=True)
        text = pc.cast(pa.array(x), pa.string())
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(x) & (x == np.round(x)) & (np.abs(x) < 1e15)  # arrow writes 30.0 as 30
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
        return pc.fill_null(text.take(pa.array(codes, mask=codes < 0)), "null"), False
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        return pa.array([nested_json(x) for x in column], type=pa.string()), False
    return bare_strings(pa.array(column, from_pandas=True, type=pa.string()))


def json_lines(part: pd.DataFrame, names: list[str], last: bool) -> memoryview:
    """One slice of rows as JSON objects, one per line, each followed by ",\n" (the last by nothing:
    the caller closes the array). The text is a view of arrow's buffer, not a copy: a large report
    would otherwise be copied once more, into fresh memory, on its way to the file."""
    part = rounded(part)
    pieces: list = []
    glue = "{"
    for name, col in zip(names, part.columns):
        if not part[col].notna().any():  # missing throughout the slice (a visit's finding has no period)
            glue += name + "null,"  # written once, into the text between the columns
            continue
        values, bare = json_values(part[col])
        pieces += [glue + name + ('"' if bare else ""), values]
        glue = '",' if bare else ","
    end = glue[:-1] + "},\n"
    lines = pc.binary_join_element_wise(*pieces, end, "") if pieces else pa.array([end] * len(part), pa.string())
    text = string_data(lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines)
    return text[:-2] if last else text


def json_array(frame: pd.DataFrame, rows_per_chunk: int = 100_000) -> Iterator[bytes | Callable[[], Encoded]]:
    """A JSON array of the frame's rows (output-rounded), one compact object per line, as UTF-8 text
    and as slices still to encode (callables giving their text): a large result is encoded a slice
    at a time, never held whole as text. ``in_order`` runs the slices on threads."""
    if frame.empty:
        yield b"[]"
        return
    names = [json.dumps(str(c), ensure_ascii=False) + ":" for c in frame.columns]
    yield b"[\n"
    for at in range(0, len(frame), rows_per_chunk):
        yield partial(json_lines, frame.iloc[at:at + rows_per_chunk], names, at + rows_per_chunk >= len(frame))
    yield b"\n]"


def in_order(pieces: Iterable[bytes | Callable[[], Encoded]], threads: int = 2) -> Iterator[Encoded]:
    """The pieces' text in order, the callables among them run on ``threads`` threads (arrow's kernels
    release the GIL) and kept a few ahead (at most ``threads`` + 3: about 150 MB of text at worst), so
    that encoding goes on while the caller writes."""
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for piece in pieces:
            pending.append(piece if isinstance(piece, bytes) else pool.submit(piece))
            while len(pending) > threads + 3:
                yield done(pending.popleft())
        while pending:
            yield done(pending.popleft())


def done(piece) -> Encoded:
    return piece if isinstance(piece, bytes) else piece.result()


def string_data(strings: pa.Array) -> memoryview:
    """The values of a string array end to end, as a view of its data buffer (no copy)."""
    offsets = string_offsets(strings)
    return memoryview(strings.buffers()[2] or b"")[offsets[0]:offsets[-1]]


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def hours(x: float) -> str:
    return f"{x:,.2f}"


def money(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"£{x:,.2f}"



def scorecard_rows(summary: dict) -> list[tuple[str, bool, str]]:
    """(promise, passed, headline) for each charter promise whose check ran: the rows of the terminal's
    scorecard, for the terminal and the page alike."""
    s, t = summary, summary["thresholds"]

    def n(rule: str) -> int:
        return s["findings_by_rule"].get(rule, 0)

    rows = []
    if s["worker_periods"] is not None:
        rows.append(("Wage floor with travel counted", s["worker_periods_below_floor"] == 0,
                     f"{s['worker_periods_below_floor']} of {s['worker_periods']} worker-periods below; "
                     f"shortfall {money(s['total_shortfall'])}"))
    if s["worker_periods"] is not None and "visits" in s["checks"]:
        rows.append(("Travel time scheduled and paid",
                     s["unpaid_travel_hours"] == 0 and n("travel-not-scheduled") == 0,
                     f"{hours(s['unpaid_travel_hours'])} h of travel unpaid; "
                     f"{n('travel-not-scheduled')} journeys given too little time"))
    if "visits" in s["checks"]:
        rows.append((f"Visits of at least {t['min_visit_minutes']:g} minutes",
                     n("short-visit") == 0 and n("short-actual-visit") == 0,
                     f"{n('short-visit')} planned short without agreement "
                     f"({s['short_visit_share']:.0%} of visits short, {s['agreed_short_visits']} agreed)"
                     + (f"; {n('short-actual-visit')} delivered short" if s["call_monitoring"] else "")))
        delivered = n("overlapping-visits") + n("clipped-visit") + n("late-start") + n("missed-check-in")
        rows.append(("Visits delivered as planned", delivered == 0,
                     f"{plural(n('overlapping-visits'), 'double booking')}"
                     + (f"; {n('clipped-visit')} clipped, {n('late-start')} late, "
                        f"{n('missed-check-in')} without check-in" if s["call_monitoring"] else
                        "; no call-monitoring times to check")))
    if s["clients_below_continuity"] is not None:
        rows.append((f"{t['continuity_target']:.0%} of care from a named team", s["clients_below_continuity"] == 0,
                     f"{s['clients_below_continuity']} of {s['clients']} clients below; median share "
                     f"{s['median_team_share']:.0%}; most workers in a week: "
                     + ", ".join(f"{c['client_id']} {c['max_distinct_workers_per_week']}"
                                 for c in s["clients_most_workers"][:3])))
    return rows


