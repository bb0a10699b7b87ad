"""Findings: what an audit found wrong, as one table with a stable kebab-case rule code per row.

A table rather than a list of objects because a large rota can raise hundreds of thousands of
visit-level findings; messages are built with vectorised string operations.
"""

from __future__ import annotations

import pandas as pd

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


def findings_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack findings from every check into one table with the standard columns, in a stable order."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = pd.concat(parts, ignore_index=True).reindex(columns=COLUMNS)
    out["severity"] = out["rule"].map({rule: meta[0] for rule, meta in RULES.items()})
    order = {rule: i for i, rule in enumerate(RULES)}
    out["_order"] = out["rule"].map(order)
    out = out.sort_values(["_order", "worker_id", "client_id", "period_start", "row"], kind="stable",
                          na_position="first")
    out = out.drop(columns="_order").reset_index(drop=True)
    out["row"] = out["row"].astype("Int64")
    out["amount"] = out["amount"].astype("float64")
    return out
