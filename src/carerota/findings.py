"""Findings: what an audit found wrong, with a stable kebab-case rule code and where it applies."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# rule code → (severity, what it means); severities: "error" for a legal breach, "warning" otherwise.
RULES = {
    "below-wage-floor": ("error", "pay in a pay reference period is below the wage floor for the hours worked"),
    "overlapping-visits": ("warning", "one worker is booked into two visits at the same time"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    worker_id: str | None = None
    client_id: str | None = None
    visit_id: str | None = None
    row: int | None = None
    period_start: str | None = None
    period_end: str | None = None
    amount: float | None = None  # £ (shortfall) or minutes, as the rule's message says

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, **{
            k: v for k, v in asdict(self).items() if k != "rule"}}
