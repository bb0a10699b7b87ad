"""Rendering results: a Rich terminal report, JSON (the scripting contract) or CSV.

The only module that knows about Rich. Figures are rounded for output only, by the rules in
``output.py``: money to the penny, hours and rates to 4 decimal places in JSON/CSV, 2 in the terminal.
"""

from __future__ import annotations

import io
import json
import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd
from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn)
from rich.table import Table
from rich.text import Text

from carerota import __version__
from carerota.anonymise import Anonymised, audit_command
from carerota.audit import AuditResult
from carerota.dataset import Converted
from carerota.findings import RULES
from carerota.output import (clean, hours, in_order, iso_local, json_array, money, plural, rounded, scorecard_rows,
                             spreadsheet_safe)
from carerota.postcodes import NI_NOTE, ImportSummary, PostcodeTable
from carerota.read import Layout
from carerota.schema import FILES, KINDS, PROFILES
from carerota.tender import COMPONENTS

if TYPE_CHECKING:  # the planner (OR-Tools) is imported only by the commands that plan
    from carerota.batch import BatchResult
    from carerota.plan import PlanResult
    from carerota.tender import TenderResult

PROMISES = (  # (charter promise, the check that tests it)
    ("Wage floor with travel counted", "pay"),
    ("Travel time scheduled and paid", "pay"),
    ("Visits of at least the minimum", "visits"),
    ("Continuity from a named team", "continuity"),
)


def json_records(frame: pd.DataFrame) -> str:
    """A JSON array of the rows, one compact row per line."""
    return b"".join(in_order(json_array(frame))).decode("utf-8")


def write_json(result: AuditResult, out: BinaryIO) -> None:
    """``{"summary", "workers", "clients", "visits", "findings", "notes"}``: the contract for scripts,
    written a slice at a time (a county's audit has millions of flagged visits)."""
    head = json.dumps({"carerota_version": __version__, "summary": clean(result.summary)},
                      indent=2, ensure_ascii=False)

    def pieces():
        yield head[:-2].encode("utf-8")
        # a flagged visit's message is its finding's: written once, in `findings` (a million flags
        # would otherwise carry a hundred megabytes of text twice)
        visits = result.flags.drop(columns="message", errors="ignore")
        for key, frame in (("workers", result.workers), ("clients", result.clients), ("visits", visits),
                           ("findings", result.findings)):
            yield f',\n  "{key}": '.encode("utf-8")
            yield from json_array(frame)
        yield f',\n  "notes": {json.dumps(result.notes, ensure_ascii=False)}\n}}\n'.encode("utf-8")

    for text in in_order(pieces()):  # one pipeline: the next list is encoded while this one is written
        out.write(text)


def to_json(result: AuditResult) -> str:
    buffer = io.BytesIO()
    write_json(result, buffer)
    return buffer.getvalue().decode("utf-8")


def csv_text(frame: pd.DataFrame, **options) -> str:
    """A CSV for people to open: its text cells spreadsheet-safe (ids and file names come from
    outside), one row a line."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n", **options)


def to_csv(result: AuditResult) -> str:
    """The worker-period table, one row per worker and pay reference period."""
    return csv_text(rounded(result.workers))


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


@contextmanager
def steps(console: Console, description: str, *, in_bytes: bool = False):
    """A progress bar on stderr for work whose size is known only once it starts (steps, or bytes);
    yields ``update(done, total)``."""
    if not console.is_terminal or console.quiet:
        yield lambda done, total: None
        return
    counter = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(TextColumn("{task.description}"), BarColumn(), counter, TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_notes(console: Console, notes: list[str]) -> None:
    for note in notes:
        console.print(Text("note: ", style="yellow bold") + Text(note), soft_wrap=True)


def print_error(console: Console, message: str) -> None:
    """Errors are printed even under --quiet: a script must learn why it failed."""
    if console.quiet:
        console = stderr_console()
    console.print(Text("error: ", style="red bold") + Text(message), soft_wrap=True)


def summary_panel(result: AuditResult, source: str) -> Panel:
    s = result.summary
    t = s["thresholds"]
    lines = Text()
    lines.append(f"{plural(s['visits'], 'visit')} · {plural(s['workers'], 'worker')} · "
                 f"{plural(s['clients'], 'client')} · {s['first_visit'][:10]} to {s['last_visit'][:10]}\n")
    lines.append(f"Wage floor: {s['wage_floor']} · {s['pay_period']}ly pay periods · {s['times']} times\n"
                 f"Policy ({s['policy_source']}): gaps ≤ {t['paid_gap_minutes']:g} min paid, ≤ "
                 f"{t['split_gap_minutes']:g} min travel only · visits ≥ {t['min_visit_minutes']:g} min, clipped "
                 f"if > {t['clip_tolerance_minutes']:g} min short, late after {t['late_after_minutes']:g} min · "
                 f"continuity ≥ {t['continuity_target']:.0%} from a team of {t['team_size']}", style="dim")
    if s["working_hours"] is not None:
        share = "—" if s["travel_share"] is None else f"{s['travel_share']:.1%}"
        per_hour = "—" if s["travel_minutes_per_contact_hour"] is None else f"{s['travel_minutes_per_contact_hour']:.1f}"
        lines.append(f"\n\nWorking hours {hours(s['working_hours'])} = contact {hours(s['contact_hours'])} "
                     f"+ travel {hours(s['travel_hours'])} + waiting {hours(s['waiting_hours'])}\n"
                     f"Travel is {share} of working time, {per_hour} minutes per contact hour")
    if s["worker_periods"] is not None:
        below = s["worker_periods_below_floor"]
        lines.append("\n\n")
        if below:
            lines.append(f"{below} of {s['worker_periods']} worker-periods below the wage floor "
                         f"({plural(s['workers_below_floor'], 'worker')})", style="bold red")
            lines.append(f"\nShortfall {money(s['total_shortfall'])} · arrears owed {money(s['total_arrears'])} "
                         f"(at rates in force on {s['as_of']})", style="bold")
        else:
            lines.append(f"All {s['worker_periods']} worker-periods meet the wage floor", style="bold green")
    return Panel(lines, title=f"carerota audit · {source}", title_align="left", box=box.ROUNDED)


def scorecard(result: AuditResult) -> Table:
    """Each charter promise with pass or fail and its headline figure (— where its check did not run)."""
    rows = scorecard_rows(result.summary)
    table = Table(title="Charter scorecard", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Promise")
    table.add_column("Result", no_wrap=True)
    table.add_column("Headline")
    for promise, ok, headline in rows:
        table.add_row(promise, Text("pass", style="bold green") if ok else Text("FAIL", style="bold red"), headline)
    return table


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


def clients_table(result: AuditResult, top: int) -> Table | None:
    c = result.clients
    if c.empty:
        return None
    worst = c.sort_values(["continuity_ok", "team_share", "distinct_workers", "client_id"],
                          ascending=[True, True, False, True])
    shown = worst if top <= 0 else worst.head(top)
    title = "Clients, least continuity first" + (f" (top {len(shown)} of {len(c)})" if len(shown) < len(c) else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption="Team share: hours from the named team ÷ all hours (* team inferred from the rota).",
                  caption_justify="left")
    for name, justify in (("Client", "left"), ("Visits", "right"), ("Hours", "right"), ("Workers", "right"),
                          ("Most in a week", "right"), ("Team share", "right"), ("Named team", "left")):
        table.add_column(name, justify=justify)
    for r in shown.itertuples():
        table.add_row(r.client_id, str(r.visits), hours(r.hours), str(r.distinct_workers),
                      str(r.max_distinct_workers_per_week), f"{r.team_share:.0%}",
                      ", ".join(r.named_team) + (" *" if r.team_inferred else ""),
                      style=None if r.continuity_ok else "red")
    return table


def flags_table(result: AuditResult, top: int) -> Table | None:
    flags = result.flags
    if flags.empty:
        return None
    worst = flags.sort_values(["minutes", "row"], ascending=[False, True], kind="stable")
    each = max(top // max(flags["rule"].nunique(), 1), 2)
    shown = worst if top <= 0 else worst[worst.groupby("rule").cumcount() < each]
    shown = shown.sort_values("rule", key=lambda r: r.map(list(RULES).index), kind="stable")
    title = ("Flagged visits" + (f": the {each} largest of each kind ({len(shown)} of {len(flags)})"
                                 if len(shown) < len(flags) else ""))
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Row", justify="right")
    table.add_column("Minutes", justify="right")
    table.add_column("Finding", overflow="fold")
    for r in shown.itertuples():
        table.add_row(r.rule, str(r.row), f"{r.minutes:g}", r.message)
    return table


def render_terminal(result: AuditResult, console: Console, source: str, top: int = 20) -> None:
    console.print(summary_panel(result, source))
    for table in (scorecard(result), worker_table(result, top), clients_table(result, top),
                  flags_table(result, top)):
        if table is not None:
            console.print(table)
    for line in result.summary.get("attribution", []):
        console.print(Text(line, style="dim"))


# --- batch -----------------------------------------------------------------------------------------

def batch_to_json(result: BatchResult) -> str:
    """``{"counts", "files": [{"file", "status", "error", "summary"}]}``; summary as in the audit's JSON."""
    files = [{"file": row.file, "status": row.status, "error": row.error or None,
              "summary": None if summary is None else clean(summary)}
             for row, summary in zip(result.rows.itertuples(), result.summaries)]
    doc = {"carerota_version": __version__, "counts": result.counts(), "files": files}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def batch_to_csv(result: BatchResult) -> str:
    """One row per file: file, status, error, then the summary's figures (batch.COLUMNS)."""
    out = result.rows.copy()
    for col in out.columns:
        out[col] = pd.Series([csv_cell(clean(v, col.rsplit(".", 1)[-1])) for v in out[col]], dtype=object)
    return csv_text(out)


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render_batch(result: BatchResult, console: Console) -> None:
    rows = result.rows
    table = Table(title=f"Batch audit of {plural(len(rows), 'file')}", title_justify="left", box=box.SIMPLE_HEAD,
                  collapse_padding=True, caption="Below floor: worker-periods under the wage floor with travel counted. Travel: "
                  "share of working time. Clients below: clients below the continuity target.", caption_justify="left")
    table.add_column("File", overflow="fold")
    table.add_column("Status", no_wrap=True)
    for name in ("Visits", "Below floor", "Shortfall", "Travel", "Clients below", "Findings"):
        table.add_column(name, justify="right")
    style = {"ok": "bold green", "findings": "bold red", "error": "bold magenta"}
    for r in rows.to_dict(orient="records"):
        def pct(key):
            return "—" if r[key] is None else f"{r[key]:.0%}"

        def count(key):
            return "—" if r[key] is None else f"{r[key]:,}"

        table.add_row(r["file"], Text(r["status"], style=style[r["status"]]), count("visits"),
                      count("worker_periods_below_floor"), money(r["total_shortfall"]),
                      pct("travel_share"), count("clients_below_continuity"),
                      count("findings"))
    console.print(table)
    counts = result.counts()
    console.print(f"{counts['ok']} ok · {counts['findings']} with findings · {counts['error']} could not be read")


# --- tender ----------------------------------------------------------------------------------------

def tender_records(result: TenderResult) -> list[dict]:
    records = []
    for row in result.bids.to_dict(orient="records"):
        row = clean(row)
        row["components"] = clean(result.components[row["bid_id"]])
        if "planned_cost_floor_per_hour" in row:
            row["planned_components"] = clean(result.components[row["bid_id"] + " (planned)"])
        records.append(row)
    return records


def tender_to_json(result: TenderResult) -> str:
    """``{"bids": [{bid_id, price_per_hour, contact_hours, travel_hours_per_contact_hour,
    cost_floor_per_hour, margin, verdict, ...}], "assumptions": {...}, "notes": [...]}``."""
    doc = {"carerota_version": __version__, "bids": tender_records(result),
           "assumptions": clean(result.assumptions), "notes": result.notes}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def tender_to_csv(result: TenderResult) -> str:
    """One row per bid: tender.BID_COLUMNS, the other figures, then each cost component per contact
    hour as ``cost.<component>``."""
    rows = []
    for record in tender_records(result):
        parts = record.pop("components")
        record.pop("planned_components", None)
        rows.append(record | {f"cost.{k}": v for k, v in parts.items()})
    return csv_text(pd.DataFrame(rows))


def signed(x: float) -> str:
    return ("+" if x >= 0 else "−") + money(abs(x))


def render_tender(result: TenderResult, console: Console, source: str) -> None:
    bids = result.bids
    planned = "planned_cost_floor_per_hour" in bids
    table = Table(title=f"Tender check: {source}", title_justify="left", box=box.SIMPLE_HEAD,
                  caption="£ per contact hour. Travel h/h: hours of travel per contact hour. Cost floor: the "
                  "wage floor for contact, travel and paid waiting, with on-costs, mileage, overheads and surplus.", caption_justify="left")
    table.add_column("Bid", overflow="fold")
    for name in ("Price", "Travel h/h", "Cost floor", "Margin"):
        table.add_column(name, justify="right")
    table.add_column("Verdict", no_wrap=True)
    for r in bids.to_dict(orient="records"):
        ok = r["verdict"] == "sustainable"
        table.add_row(r["bid_id"], money(r["price_per_hour"]), f"{r['travel_hours_per_contact_hour']:.3f}",
                      money(r["cost_floor_per_hour"]), signed(r["margin"]),
                      Text(r["verdict"], style="bold green" if ok else "bold red"))
    console.print(table)
    if planned:
        least = Table(title="With the least-travel plan of the same visits", title_justify="left",
                      box=box.SIMPLE_HEAD)
        least.add_column("Bid", overflow="fold")
        for name in ("Travel h/h", "Cost floor", "Margin", "Unassigned"):
            least.add_column(name, justify="right")
        for r in bids.to_dict(orient="records"):
            least.add_row(r["bid_id"], f"{r['planned_travel_hours_per_contact_hour']:.3f}",
                          money(r["planned_cost_floor_per_hour"]), signed(r["planned_margin"]),
                          str(r["planned_unassigned_visits"]))
        console.print(least)
    parts = Table(title="Cost floor per contact hour, by part", title_justify="left", box=box.SIMPLE_HEAD)
    parts.add_column("Part")
    for bid in bids["bid_id"]:
        parts.add_column(str(bid), justify="right")
    for name in COMPONENTS:
        parts.add_row(name.replace("_", " ").replace(" ni", " NI"), *(money(result.components[b][name]) for b in bids["bid_id"]))
    parts.add_row(Text("cost floor", style="bold"), *(money(x) for x in bids["cost_floor_per_hour"]))
    console.print(parts)
    model = result.assumptions["cost_model"]
    console.print(Text(
        f"Wage floor: {result.assumptions['wage_floor']}. Employer NI {model['employer_ni_rate']:.1%} above "
        f"£{model['ni_secondary_threshold_week']:g} a week; pension {model['pension_employer_rate']:.0%} of "
        f"qualifying earnings; holiday {model['holiday_share']:.2%}; training {model['training_share']:.1%}; "
        f"sickness {model['sickness_share']:.1%}; mileage £{model['mileage_drive_per_mile']:.2f} a mile; "
        f"overheads {model['overheads_share']:.2%} and surplus {model['surplus_share']:.0%} of the price. "
        "Sources: --format json, under assumptions.", style="dim"), soft_wrap=True)
    below = int((bids["verdict"] == "below cost").sum())
    everyone = "The bid" if len(bids) == 1 else f"All {len(bids)} bids"
    console.print(Text(f"{below} of {plural(len(bids), 'bid')} below the cost floor" if below
                       else f"{everyone} can pay the wage floor with travel paid",
                       style="bold red" if below else "bold green"))


# --- plan ------------------------------------------------------------------------------------------

PLANNED_COLUMNS = ["visit_id", "worker_id", "client_id", "start", "end", "window_start", "window_end",
                   "lat", "lon", "visit_type", "agreed_short", "required_skill", "visit_pay", "hourly_rate",
                   "travel_pay", "mileage_pay"]


def planned_csv(planned: pd.DataFrame) -> str:
    """The planned rota in the rota format, so ``carerota audit`` reads it back unchanged. Its ids are
    written as the rota gave them, not made spreadsheet-safe (csv_text): a quoted id would no longer
    match the clients and workers files, and the rota itself already held it as it is."""
    out = planned[PLANNED_COLUMNS].copy()
    for col in ("start", "end", "window_start", "window_end"):
        out[col] = iso_local(out[col])
    out["agreed_short"] = out["agreed_short"].map({True: "true", False: "false"})
    for col in ("visit_pay", "hourly_rate", "travel_pay", "mileage_pay"):
        out[col] = out[col].map(lambda x: "" if pd.isna(x) else f"{x:.2f}")
    out["lat"] = out["lat"].map(lambda x: "" if pd.isna(x) else f"{x:.6f}")
    out["lon"] = out["lon"].map(lambda x: "" if pd.isna(x) else f"{x:.6f}")
    return out.to_csv(index=False, lineterminator="\n")


def plan_to_json(result: PlanResult) -> str:
    """``{"before", "after", "unassigned", "days", "notes"}``: figures keyed by metric name."""
    c = result.comparison.set_index("metric")
    doc = {
        "carerota_version": __version__,
        "before": clean({m: c.at[m, "before"] for m in c.index}),
        "after": clean({m: c.at[m, "after"] for m in c.index}),
        "unassigned": clean(rounded(result.unassigned).to_dict(orient="records")),
        "days": clean(result.days.to_dict(orient="records")),
        "notes": result.notes,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def plan_to_csv(result: PlanResult) -> str:
    """metric,before,after: one row per figure of the before/after table."""
    out = result.comparison[["metric", "before", "after"]].copy()
    for col in ("before", "after"):
        out[col] = pd.Series([clean(v, m) for m, v in zip(out["metric"], out[col])], dtype=object)
    return csv_text(out)


def show(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return {"count": lambda x: f"{int(x):,}", "hours": hours, "money": money,
            "share": lambda x: f"{x:.0%}", "number": lambda x: f"{x:,.1f}"}[kind](value)


def change(before, after, kind: str) -> str:
    if any(x is None or (isinstance(x, float) and math.isnan(x)) for x in (before, after)):
        return ""
    diff = after - before
    if kind == "share":
        return f"{diff * 100:+.0f} pts"
    text = show(abs(diff), kind)
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    pct = f" ({diff / before:+.0%})" if before and kind in ("hours", "money", "number") else ""
    return f"{sign}{text}{pct}"


def render_plan(result: PlanResult, console: Console, source: str, output: str | None) -> None:
    """The before/after table, the days and any visit no shift could take."""
    table = Table(title=f"Plan for {source}: before and after", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("")
    for col in ("Before", "After", "Change"):
        table.add_column(col, justify="right")
    for row in result.comparison.itertuples():
        table.add_row(row.label, show(row.before, row.kind), show(row.after, row.kind),
                      change(row.before, row.after, row.kind))
    console.print(table)
    days = Table(title="Days", box=box.SIMPLE_HEAD, title_justify="left")
    for col in ("Day", "Visits", "Shifts", "Unassigned", "Solver", "Seconds"):
        days.add_column(col, justify="left" if col in ("Day", "Solver") else "right")
    for d in result.days.itertuples():
        days.add_row(d.day, str(d.visits), str(d.shifts), str(d.unassigned), d.status, f"{d.seconds:.1f}")
    console.print(days)
    if len(result.unassigned):
        un = Table(title="Unassigned visits", box=box.SIMPLE_HEAD, title_justify="left")
        for col in ("Visit", "Client", "Was with", "Planned start"):
            un.add_column(col)
        for r, start in zip(result.unassigned.itertuples(), iso_local(result.unassigned["start"])):
            un.add_row(str(r.visit_id), str(r.client_id), str(r.worker_id), start[:16].replace("T", " "))
        console.print(un)
    if output:
        console.print(f"Planned rota written to {output}; check it with: carerota audit {output}")
    else:
        console.print("Give --output FILE to write the planned rota.")


@contextmanager
def progress(console: Console, total: int, description: str):
    """A progress bar on stderr; yields a function to call as each step finishes."""
    if not console.is_terminal or console.quiet:
        yield lambda _label=None: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda _label=None: bar.advance(task)


# --- columns and schema -----------------------------------------------------------------------------

def layout_records(layout: Layout) -> list[dict]:
    return [{"position": m.position + 1, "header": m.header, "field": m.field, "how": m.how,
             "example": layout.sample[m.position] if m.position < len(layout.sample) else ""}
            for m in layout.matches]


def layout_to_json(layout: Layout) -> str:
    s = layout.source
    return json.dumps({
        "file": s.name, "kind": layout.kind,
        "format": {"encoding": s.encoding or None, "delimiter": s.delimiter or None,
                   "spreadsheet": not s.delimiter, "header_row": s.header_row},
        "profile": layout.profile.name if layout.profile else None,
        "columns": layout_records(layout), "missing": layout.missing,
        "problems": [str(p) for p in layout.problems], "notes": s.notes,
    }, indent=2, ensure_ascii=False) + "\n"


def layout_to_csv(layout: Layout) -> str:
    return csv_text(pd.DataFrame(layout_records(layout)))


def render_layout(layout: Layout, console: Console) -> None:
    s = layout.source
    form = (f"{s.encoding} text, separated by {'tab' if s.delimiter == chr(9) else repr(s.delimiter)}"
            if s.delimiter else f"spreadsheet, header on row {s.header_row}")
    profile = f" · layout: {layout.profile.name} ({layout.profile.title})" if layout.profile else ""
    console.print(f"[bold]{s.name}[/bold] read as a {layout.kind} file · {form}{profile}")
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("#", "Column", "Read as", "How", "First value"):
        table.add_column(name, justify="right" if name == "#" else "left", overflow="fold")
    for r in layout_records(layout):
        table.add_row(str(r["position"]), Text(r["header"]), Text(r["field"] or "—", style="" if r["field"] else "dim"),
                      Text(r["how"]), Text(r["example"][:40]))
    console.print(table)
    for note in s.notes:
        console.print(Text(note, style="dim"))
    if layout.problems:
        for problem in layout.problems:
            console.print(Text(f"✗ {problem.expected}", style="red"))
        console.print(Text("Map a column to a field with --map FIELD=HEADER, or a [columns] table in carerota.toml."))
    else:
        console.print(Text("✓ every required field has a column", style="green"))


def schema_rows(kind: str | None) -> list[dict]:
    out = []
    for file_kind, fields in FILES.items():
        if kind not in (None, file_kind):
            continue
        for name, column in fields.items():
            required = ("" if not column.required else f"or {column.instead}" if column.instead else "yes")
            out.append({"file": file_kind, "field": name, "type": column.kind, "cell": KINDS[column.kind][1],
                        "unit": column.unit, "required": required, "aliases": "; ".join(column.aliases),
                        "description": column.description})
    return out


def schema_to_csv(kind: str | None) -> str:
    return csv_text(pd.DataFrame(schema_rows(kind)))


def render_schema(kind: str | None, console: Console) -> None:
    rows = schema_rows(kind)
    for file_kind in dict.fromkeys(r["file"] for r in rows):
        table = Table(title=f"{file_kind} file", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("Field", style="bold", no_wrap=True)
        table.add_column("Required", no_wrap=True)
        table.add_column("Type", no_wrap=True)
        table.add_column("Meaning and cells", ratio=1)
        for r in (r for r in rows if r["file"] == file_kind):
            meaning = Text(f"{r['description']} {r['cell'].capitalize()}" + (f", in {r['unit']}" if r["unit"] else "")
                           + ".")
            if r["aliases"]:
                meaning.append(f"\nalso read from: {r['aliases'].replace('; ', ', ')}", style="dim")
            table.add_row(r["field"], r["required"], r["type"], meaning)
        console.print(table)
    console.print("Headers are matched ignoring case, spaces and punctuation. Profiles of known layouts: "
                  + ", ".join(f"{p.name} ({p.title})" for p in PROFILES.values()) + ".")


# --- postcodes ---------------------------------------------------------------------------------------

def import_record(summary: ImportSummary) -> dict:
    return {"path": str(summary.path), "source": summary.source, "edition": summary.edition,
            "rows": summary.rows, "live": summary.live, "terminated": summary.terminated,
            "no_location": summary.no_location, "northern_ireland": summary.northern_ireland,
            "skipped": summary.skipped, "seconds": summary.seconds}


def table_record(table: PostcodeTable) -> dict:
    meta = table.meta
    return {"path": str(table.path), "source": meta.get("source"), "edition": table.edition,
            "imported": meta.get("imported"),
            **{k: meta.get(k) for k in ("rows", "live", "terminated", "no_location", "northern_ireland")},
            "attribution": table.attribution()}


def render_postcode_table(record: dict, console: Console, title: str) -> None:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    labels = {"path": "Table", "source": "Imported from", "edition": "Edition", "imported": "Imported on",
              "rows": "Postcodes", "live": "Live", "terminated": "Terminated", "no_location": "No grid reference",
              "northern_ireland": "Northern Ireland (BT)", "skipped": "Rows skipped", "seconds": "Seconds"}
    for key, label in labels.items():
        if key in record:
            value = record[key]
            table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value or "—"))
    console.print(table)
    if record.get("northern_ireland"):
        console.print(Text(NI_NOTE, style="dim"))
    for line in record.get("attribution", []):
        console.print(Text(line, style="dim"))


def record_to_csv(record: dict) -> str:
    """One record as a one-row CSV (lists joined by ' | ')."""
    flat = {k: " | ".join(v) if isinstance(v, list) else v for k, v in record.items()}
    return csv_text(pd.DataFrame([flat]))


def lookup_to_csv(found: pd.DataFrame) -> str:
    """Coordinates to ONS's 6 decimals (not rounded like hours and money)."""
    return csv_text(found, float_format="%.6f")


def lookup_to_json(found: pd.DataFrame, attribution: list[str]) -> str:
    records = json.loads(found.to_json(orient="records", double_precision=6, force_ascii=False))
    return json.dumps({"postcodes": records, "attribution": attribution}, indent=2, ensure_ascii=False) + "\n"


def render_lookup(found: pd.DataFrame, attribution: list[str], console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("Input", "Postcode", "Latitude", "Longitude", "Status"):
        table.add_column(name, justify="right" if name in ("Latitude", "Longitude") else "left")
    for r in found.itertuples():
        status = r.status + (f" ({r.terminated})" if r.terminated else "") + (" · NI" if r.northern_ireland else "")
        table.add_row(Text(r.input), Text(r.postcode), "" if math.isnan(r.lat) else f"{r.lat:.6f}",
                      "" if math.isnan(r.lon) else f"{r.lon:.6f}",
                      Text(status, style="green" if r.status == "ok" else "red"))
    console.print(table)
    for line in attribution:
        console.print(Text(line, style="dim"))


# --- anonymise -------------------------------------------------------------------------------------

def anonymised_record(result: Anonymised, written: dict, lookup) -> dict:
    """What ``carerota anonymise`` wrote and how, for people and scripts alike."""
    rota = result.rota
    record = {
        "files": {name: str(path) for name, path in written.items()},
        "lookup": str(lookup) if lookup is not None else None,
        "visits": len(rota),
        "workers": int(rota["worker_id"].nunique()),
        "clients": int(rota["client_id"].nunique()),
        "locations": result.locations,
        "journeys": len(result.travel) if result.travel is not None else None,
        "tolerance_minutes": result.tolerance_minutes,
        "displacement_m": list(result.displacement_m) if result.displacement_m else None,
        "max_change_minutes": result.max_change_minutes,
        "kept": {name: list(frame.columns) for name, frame in
                 (("rota", rota), ("clients", result.clients), ("workers", result.workers),
                  ("payslips", result.payslips)) if frame is not None},
        "dropped": result.dropped,
        "audit_command": audit_command(written),
        "notes": result.notes,
    }
    return clean(record)


def anonymised_to_json(result: Anonymised, written: dict, lookup) -> str:
    return json.dumps({"carerota_version": __version__} | anonymised_record(result, written, lookup),
                      indent=2, ensure_ascii=False) + "\n"


def render_anonymised(result: Anonymised, written: dict, lookup, console: Console) -> None:
    r = anonymised_record(result, written, lookup)
    console.print(Text(f"{plural(r['visits'], 'row')} by {plural(r['workers'], 'worker')} to "
                       f"{plural(r['clients'], 'client')}: ids replaced by keyed pseudonyms.", style="bold"))
    for name, path in r["files"].items():
        dropped = r["dropped"].get(name)
        console.print(Text(f"  wrote {path}" + (f"  (not copied: {', '.join(dropped)})" if dropped else "")))
    if r["lookup"]:
        console.print(Text(f"  wrote {r['lookup']}  (ids and pseudonyms: keep it with the key, never share it)"))
    if r["locations"] == "matrix":
        console.print(Text(f"Client homes replaced by the travel times of {plural(r['journeys'] or 0, 'journey')}."))
    else:
        low, high = r["displacement_m"]
        console.print(Text(f"Client homes moved {low:.0f} to {high:.0f} m; no journey changes by more than "
                           f"{r['max_change_minutes']:.2f} minutes (tolerance {r['tolerance_minutes']:g})."))
    for note in r["notes"]:
        console.print(Text(note, style="dim"))
    console.print(Text("Audit them: " + r["audit_command"]))


def converted_record(done: Converted) -> dict:
    return {"files": done.files, "visits": done.visits, "periods": done.periods, "output": done.output,
            "audit_command": f"carerota audit {done.output}"}


def converted_to_json(done: Converted) -> str:
    return json.dumps(converted_record(done), indent=2, ensure_ascii=False) + "\n"


def render_converted(done: Converted, console: Console) -> None:
    r = converted_record(done)
    span = f" ({r['periods'][0]} to {r['periods'][-1]})" if r["periods"] else ""
    console.print(Text(f"{plural(r['visits'], 'visit')} from {plural(r['files'], 'file')} written to {r['output']} "
                       f"in {plural(len(r['periods']), 'pay period')}{span}.", style="bold"))
    console.print(Text("Audit it: " + r["audit_command"]))
