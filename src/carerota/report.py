"""Rendering an AuditResult: a Rich terminal report, JSON (the scripting contract) or CSV.

The only module that knows about Rich. Figures are rounded here, for display and output only: money
to the penny, hours and rates to 4 decimal places in JSON/CSV, 2 in the terminal.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from datetime import date

import pandas as pd
from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from carerota import __version__
from carerota.audit import AuditResult

MONEY = ("pay", "shortfall", "arrears", "floor_rate", "total_pay", "total_shortfall", "total_arrears")


def clean(value, key: str = ""):
    """A JSON-safe value: NaN → None, numpy scalars → Python, money 2 dp, other floats 4 dp."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return round(value, 2 if key in MONEY else 4)
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: clean(v, k) for k, v in row.items()}
        for row in frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    ]


def as_dict(result: AuditResult) -> dict:
    return {
        "carerota_version": __version__,
        "summary": {k: clean(v, k) for k, v in result.summary.items()},
        "workers": records(result.workers),
        "findings": [{k: clean(v, k) for k, v in f.as_dict().items()} for f in result.findings],
        "notes": result.notes,
    }


def to_json(result: AuditResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False) + "\n"


def to_csv(result: AuditResult) -> str:
    """The worker-period table, one row per worker and pay reference period."""
    return pd.DataFrame(records(result.workers), columns=result.workers.columns).to_csv(
        index=False, lineterminator="\n")


def stderr_console(quiet: bool = False) -> Console:
    return Console(stderr=True, quiet=quiet, highlight=False)


@contextmanager
def working(console: Console, message: str):
    """A transient spinner on stderr while a long step runs (silent when stderr is not a terminal)."""
    if console.is_terminal and not console.quiet:
        with console.status(message):
            yield
    else:
        yield


def print_notes(console: Console, notes: list[str]) -> None:
    for note in notes:
        console.print(Text("note: ", style="yellow bold") + Text(note), soft_wrap=True)


def print_error(console: Console, message: str) -> None:
    console.print(Text("error: ", style="red bold") + Text(message), soft_wrap=True)


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def hours(x: float) -> str:
    return f"{x:,.2f}"


def money(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"£{x:,.2f}"


def summary_panel(result: AuditResult, source: str) -> Panel:
    s = result.summary
    share = "—" if s["travel_share"] is None else f"{s['travel_share']:.1%}"
    per_hour = "—" if s["travel_minutes_per_contact_hour"] is None else f"{s['travel_minutes_per_contact_hour']:.1f}"
    below = s["worker_periods_below_floor"]
    verdict = (Text(f"{below} of {s['worker_periods']} worker-periods below the wage floor "
                    f"({plural(s['workers_below_floor'], 'worker')})",
                    style="bold red")
               if below else Text(f"All {s['worker_periods']} worker-periods meet the wage floor", style="bold green"))
    lines = Text()
    lines.append(f"{plural(s['visits'], 'visit')} · {plural(s['workers'], 'worker')} · "
                 f"{plural(s['clients'], 'client')} · "
                 f"{s['first_visit'][:10]} to {s['last_visit'][:10]}\n")
    lines.append(f"Wage floor: {s['wage_floor']} · {s['pay_period']}ly pay periods · {s['times']} times · "
                 f"gaps ≤ {s['paid_gap_minutes']:g} min paid, ≤ {s['split_gap_minutes']:g} min travel only\n\n",
                 style="dim")
    lines.append(f"Working hours {hours(s['working_hours'])} = contact {hours(s['contact_hours'])} "
                 f"+ travel {hours(s['travel_hours'])} + waiting {hours(s['waiting_hours'])}\n")
    lines.append(f"Travel is {share} of working time, {per_hour} minutes per contact hour; "
                 f"{hours(s['unpaid_travel_hours'])} hours of travel had no travel pay\n\n")
    lines.append(verdict)
    if below:
        lines.append(f"\nShortfall {money(s['total_shortfall'])} · arrears owed {money(s['total_arrears'])} "
                     f"(at rates in force on {s['as_of']})", style="bold")
    return Panel(lines, title=f"carerota audit · {source}", title_align="left", box=box.ROUNDED)


def worker_table(result: AuditResult, top: int) -> Table | None:
    w = result.workers
    if w.empty:
        return None
    worst = w.sort_values(["shortfall", "effective_rate", "worker_id"], ascending=[False, True, True],
                          na_position="last")
    shown = worst if top <= 0 else worst.head(top)
    title = "Worker-periods, worst first" + (f" (top {len(shown)} of {len(w)})" if len(shown) < len(w) else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True, caption="Hours: working time, of which travel. £/h: pay ÷ working hours.",
                  caption_justify="left")
    table.add_column("Worker", overflow="fold", min_width=6)
    table.add_column("From", no_wrap=True)
    for name in ("Hours", "Travel", "Pay", "£/h", "Floor", "Shortfall", "Arrears"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in shown.itertuples():
        table.add_row(
            r.worker_id, str(r.period_start), hours(r.working_hours), hours(r.travel_hours), money(r.pay),
            "—" if pd.isna(r.effective_rate) else f"{r.effective_rate:.2f}", f"{r.floor_rate:.2f}",
            money(r.shortfall) if r.shortfall else "", money(r.arrears) if r.arrears else "",
            style=None if r.compliant else "red",
        )
    return table


def findings_table(result: AuditResult, top: int) -> Table | None:
    others = [f for f in result.findings if f.rule != "below-wage-floor"]
    if not others:
        return None
    shown = others if top <= 0 else others[:top]
    title = "Other findings" + (f" (first {len(shown)} of {len(others)})" if len(shown) < len(others) else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("Rule", "Row", "Worker", "Client", "Finding"):
        table.add_column(name, overflow="fold")
    for f in shown:
        table.add_row(f.rule, str(f.row or ""), f.worker_id or "", f.client_id or "", f.message,
                      style="yellow" if f.severity == "warning" else "red")
    return table


def render_terminal(result: AuditResult, console: Console, source: str, top: int = 20) -> None:
    console.print(summary_panel(result, source))
    for table in (worker_table(result, top), findings_table(result, top)):
        if table is not None:
            console.print(table)
