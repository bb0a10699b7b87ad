"""Findings: what an audit found wrong, as one table with a stable kebab-case rule code per row.

A table rather than a list of objects because a large rota can raise hundreds of thousands of
visit-level findings; messages are built with vectorised string operations.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# rule code → (severity, the charter promise or law it belongs to, what it means)
RULES = {
    "below-wage-floor": ("error", "pay", "pay in a pay reference period is below the wage floor for the hours worked"),
    "overlapping-visits": ("warning", "visits", "one worker is booked into two visits at the same time"),
    "travel-not-scheduled": ("warning", "visits", "the rota leaves less time between two visits than the journey takes"),
    "short-visit": ("warning", "visits", "a visit is planned for less than the minimum and was not agreed as short"),
    "short-actual-visit": ("warning", "visits", "call monitoring shows a visit lasted less than the minimum"),
    "clipped-visit": ("warning", "visits", "a visit lasted less than planned by more than the tolerance"),
    "late-start": ("warning", "visits", "a visit started later than allowed after its planned start"),
    "missed-check-in": ("warning", "visits", "a planned visit has no call-monitoring check-in"),
    "continuity-below-target": ("warning", "continuity", "too little of a client's care came from their named team"),
}

COLUMNS = ["rule", "severity", "worker_id", "client_id", "visit_id", "row", "period_start", "period_end",
           "amount", "message"]


def text(values) -> pa.Array | str:
    """A message piece as an arrow string array (or a plain string, repeated)."""
    if isinstance(values, (str, pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(values.astype("str") if isinstance(values, pd.Series) and values.dtype == object else values,
                    from_pandas=True, type=pa.string())


def join(*pieces) -> pd.Series:
    """Pieces of a message (text columns, numbers formatted by ``number``, plain strings) end to end,
    by one pyarrow kernel: pandas' ``+`` on a million strings is many times slower."""
    return pd.Series(pc.binary_join_element_wise(*map(text, pieces), ""), dtype="string")  # "string" wraps arrow text without a copy


def number(x, decimals: int = 1) -> pa.Array:
    """Figures for messages: rounded, and whole numbers without a decimal point (30, 12.5); null
    where missing. A rota's figures repeat (15, 30 minutes), so each distinct one is formatted once."""
    rounded = np.round(np.asarray(x, dtype="float64"), decimals) + 0.0  # + 0.0: no "-0"
    codes, values = pd.factorize(rounded, use_na_sentinel=True)
    return pc.cast(pa.array(values), pa.string()).take(pa.array(codes, mask=codes < 0))


def fixed(x, places: int = 2, *, thousands: bool = False, prefix: str = "") -> pa.Array:
    """``f"{prefix}{x:,.2f}"`` for each figure (``thousands`` for the commas), by integer arithmetic
    and arrow's kernels: a county's worker periods are tens of thousands of messages. Rounded as
    Python's format rounds (the float's exact value, ties to even): the scaled figure is exact
    enough to round except within a hair of a tie, where ``Decimal`` decides; figures too large to
    scale exactly, and nan and inf, are written by Python itself."""
    x = np.asarray(x, dtype="float64")
    with np.errstate(over="ignore", invalid="ignore"):  # inf and nan are written by Python, below
        scaled = np.abs(x) * 10**places
    plain = np.isfinite(x) & (scaled < 1e9)  # below 1e9 a product's error is under 1e-6
    scaled = np.where(plain, scaled, 0.0)
    whole = np.rint(scaled)
    for k in np.flatnonzero(np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6):
        whole[k] = abs(Decimal(float(x[k])).scaleb(places).to_integral_value(ROUND_HALF_EVEN))
    whole = whole.astype("int64")
    units, fraction = whole // 10**places, whole % 10**places
    text = grouped(units) if thousands else pc.cast(pa.array(units), pa.string())
    if places:
        digits = pc.utf8_lpad(pc.cast(pa.array(fraction), pa.string()), places, "0")
        text = pc.binary_join_element_wise(text, digits, ".")
    sign = pa.array(np.where(np.signbit(x), prefix + "-", prefix))  # as Python: -0.001 is "-0.00"
    text = pc.binary_join_element_wise(sign, text, "")
    if not plain.all():
        written = [f"{prefix}{v:{',' if thousands else ''}.{places}f}" for v in x[~plain]]
        text = pc.replace_with_mask(text, pa.array(~plain), pa.array(written, type=pa.string()))
    return text


def grouped(units: np.ndarray) -> pa.Array:
    """Whole non-negative numbers with commas between thousands (1,234,567)."""
    text = pc.cast(pa.array(units), pa.string())
    big = units >= 1000
    if not big.any():
        return text
    last = pc.utf8_lpad(pc.cast(pa.array(units % 1000), pa.string()), 3, "0")
    return pc.if_else(pa.array(big), pc.binary_join_element_wise(grouped(units // 1000), last, ","), text)


def iso_dates(dates: pd.Series) -> pa.Array:
    """Dates (``datetime.date`` objects) as ISO text, 2026-11-02, by one arrow cast; missing as null."""
    return pc.cast(pa.array(dates, type=pa.date32(), from_pandas=True), pa.string())


def order_codes(values: pd.Series) -> np.ndarray:
    """Integer codes sorting like the values, missing values first."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes


def sorted_findings(part: pd.DataFrame) -> pd.DataFrame:
    """One check's findings in the standard, stable order: rule, worker, client, period, row (sorted
    on integer codes, not strings; a column the check lacks sorts as missing). A check's findings
    often come in order already, and are then returned as they are."""
    if not len(part):
        return part
    missing = np.full(len(part), -1, dtype="int64")
    keys = [part["row"].fillna(-1).to_numpy("int64") if "row" in part else missing]
    keys += [order_codes(part[c]) if c in part else missing for c in ("period_start", "client_id", "worker_id")]
    rule, names = rule_codes(part["rule"])
    keys.append(np.array([RULE_POSITION[name] for name in names])[rule])
    order = sort_order(keys)
    return part if (order == np.arange(len(order))).all() else part.take(order)


def stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Every check's findings, each in the order ``sorted_findings`` gives, as one table with the standard
    columns in the standard order. When each part's rules come after the last part's, as the audit's
    do (pay, then visits, then continuity), the parts are put end to end: the order of one sort of
    them all, without moving a million rows again (the visit checks flag in this order already)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    spans = [rule_span(p) for p in parts]
    ordered = sorted(range(len(parts)), key=lambda k: spans[k])
    out = pd.concat([parts[k] for k in ordered], ignore_index=True).reindex(columns=COLUMNS)
    if any(spans[a][1] >= spans[b][0] for a, b in zip(ordered, ordered[1:])):  # rules interleave: one sort
        out = sorted_findings(out).reset_index(drop=True)
    rule, names = rule_codes(out["rule"])
    severities = pa.array([RULES[name][0] for name in names], type=pa.string())
    out["severity"] = pd.Series(severities.take(pa.array(rule)), dtype=out["rule"].dtype)  # arrow, not objects
    out["row"] = out["row"].astype("Int64")
    out["amount"] = out["amount"].astype("float64")
    return out


RULE_POSITION = {name: k for k, name in enumerate(RULES)}


def rule_codes(rules: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(rules)``, by hashing only the first finding of each run of one rule: findings
    come a rule at a time, so 900,000 of them are a few runs (5 ms, where hashing every one takes 20)."""
    if not len(rules):
        return np.array([], dtype="int64"), pd.Index([], dtype=object)
    values = pa.array(rules, from_pandas=True)
    values = values.cast(pa.string()) if pa.types.is_null(values.type) else values  # nothing but missing ones
    changed = pc.fill_null(pc.not_equal(values[1:], values[:-1]), True)  # a missing rule is a run of its own
    starts = np.concatenate(([0], np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1))
    first, names = pd.factorize(rules.iloc[starts])
    return np.repeat(first, np.diff(np.append(starts, len(rules)))), names


def rule_span(part: pd.DataFrame) -> tuple[int, int]:
    """The first and last of a part's rules, as positions in RULES."""
    positions = [RULE_POSITION[name] for name in rule_codes(part["rule"])[1]]
    return min(positions), max(positions)


def sort_order(keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` for keys of small non-negative integers (-1 allowed), by one stable sort
    of the keys packed into one integer when they fit in 63 bits."""
    sizes = [int(k.max()) + 2 if len(k) else 1 for k in keys]
    if not len(keys[0]) or np.prod(np.array(sizes, dtype=float)) >= 2**62:
        return np.lexsort(keys)
    packed = np.zeros(len(keys[0]), dtype="int64")
    for key, size in zip(reversed(keys), reversed(sizes)):  # the last key is the primary one
        packed = packed * size + (key.astype("int64") + 1)
    return np.argsort(packed, kind="stable")
