"""Findings: what an audit found wrong, as one table with a stable kebab-case rule code per row.

A table rather than a list of objects because a large rota can raise hundreds of thousands of
visit-level findings; messages are built with vectorised string operations.
"""

from __future__ import annotations

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


def order_codes(values: pd.Series) -> np.ndarray:
    """Integer codes sorting like the values, missing values first."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes


def findings_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack findings from every check into one table with the standard columns, in a stable order:
    rule, worker, client, period, row (sorted on integer codes, not strings)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = pd.concat(parts, ignore_index=True).reindex(columns=COLUMNS)
    rule, names = pd.factorize(out["rule"])
    severities = pa.array([RULES[name][0] for name in names], type=pa.string())
    out["severity"] = pd.Series(severities.take(pa.array(rule)), dtype=out["rule"].dtype)  # arrow, not a million objects
    out["row"] = out["row"].astype("Int64")
    out["amount"] = out["amount"].astype("float64")
    keys = [out["row"].fillna(-1).to_numpy("int64"), order_codes(out["period_start"]), order_codes(out["client_id"]),
            order_codes(out["worker_id"]), np.array([list(RULES).index(name) for name in names])[rule]]
    return out.take(sort_order(keys)).reset_index(drop=True)


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
