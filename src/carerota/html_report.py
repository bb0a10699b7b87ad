"""Self-contained HTML reports (audit, batch, tender): one file a manager or councillor can open
with no network. Charts are inline SVG drawn here; nothing is fetched at view time, and a
Content-Security-Policy forbids it.

Every figure carries its JSON value (``data-field``, ``data-value``) rounded by ``output.clean``, so
a script can check the page against ``--format json``. Pages hold no clock time: the same input
gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from typing import NamedTuple

import numpy as np
import pandas as pd

from carerota import __version__
from carerota.audit import AuditResult
from carerota.findings import RULES
from carerota.output import MONEY, clean, plural, rounded, scorecard_rows

CHART_ROWS = 60  # bars per chart: more cannot be read, so only the worst are drawn
TABLE_ROWS = 250  # rows per table: the full lists are in --format json or csv
POUND_RATES = ("effective_rate", "floor_rate", "hourly_rate", "wage_rate")
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
BADGES = {"ok": "good", "sustainable": "good", "findings": "warn", "error": "bad", "below cost": "bad"}

CSS = """
:root{--ink:#1a202c;--dim:#4a5568;--good:#276749;--bad:#c53030;--warn:#975a16;--bar:#2b6cb0;--rule:#cbd5e0}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1rem;color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.4rem;margin:.2rem 0 .4rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:2px solid var(--rule)}
h3{font-size:1rem;margin:1rem 0 .2rem}
p,li{overflow-wrap:anywhere}
.dim{color:var(--dim);font-size:.9rem}
.verdict{font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{padding:.25rem .5rem;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sub{margin:0;font-size:inherit}
.pass,.good{color:var(--good);font-weight:700}
.fail,.bad{color:var(--bad);font-weight:700}
.warn{color:var(--warn);font-weight:700}
.badge{border:1px solid currentColor;border-radius:.6rem;padding:0 .45rem;white-space:nowrap}
ul.counts{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1.2rem}
figure{margin:.5rem 0 1.2rem;overflow-x:auto}
figcaption{font-size:.85rem;color:var(--dim)}
svg.chart{width:100%;height:auto;min-width:34rem;max-width:48rem;display:block}
svg text{font:12px system-ui,sans-serif;fill:var(--ink)}
svg .grid{stroke:#e2e8f0}
svg rect.good{fill:var(--bar)}
svg rect.bad{fill:var(--bad)}
svg .ref{stroke:var(--ink);stroke-width:2;stroke-dasharray:4 3}
svg .ref2{stroke:var(--warn);stroke-width:2}
footer{margin-top:2rem;border-top:1px solid var(--rule);padding-top:.5rem;color:var(--dim);font-size:.85rem}
@media (max-width:600px){body{padding:.5rem;font-size:14px}th,td{padding:.2rem .3rem}}
@media print{body{max-width:none;font-size:11pt}.scroll,figure{overflow:visible}svg.chart{min-width:0}
figure,tr{break-inside:avoid}h2{break-after:avoid}}
"""


# --- values ----------------------------------------------------------------------------------------

def esc(text) -> str:
    return escape(str(text), quote=True)


def missing(value) -> bool:
    """None, NaN, NaT or pd.NA: a figure its check did not produce."""
    if isinstance(value, (str, dict, list, tuple, np.ndarray)):
        return False
    return value is None or bool(pd.isna(value))


def json_value(value, key: str = "") -> str:
    """The value as --format json writes it (money 2 dp, other floats 4 dp, null), for data-value."""
    value = None if missing(value) else clean(value, key)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def kind(key: str) -> str:
    """How a figure is shown, read from its name: £ for money and £ an hour, % for shares and for
    rates that are fractions (employer_ni_rate), hours, else the plain number."""
    if key in MONEY or key in POUND_RATES or "price" in key or "cost" in key:
        return "money"
    if key.endswith(("share", "_target", "_rate")):
        return "share"
    if "hours_per" not in key and key.endswith(("margin", "_pay", "_per_hour", "_per_mile")):
        return "money"
    if key.endswith("hours"):
        return "hours"
    return "number"


def pounds(x: float) -> str:
    return f"{'−' if x < 0 else ''}£{abs(x):,.2f}"


def shown(value, key: str = "") -> str:
    """The figure for people (£1,234.56, 14.7%, 466.30): json_value's number, rounded for reading."""
    if missing(value):
        return "—"
    value = clean(value, key)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        k = kind(key)
        if k == "money":
            return pounds(value)
        if k == "share":
            return f"{value:.1%}"
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if k == "number" else f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v, k)}" for k, v in value.items())
    return str(value)


def figure(key: str, value, tag: str = "td", text: str | None = None, field: str | None = None) -> str:
    """One figure with its machine-readable value: <td data-field=key data-value=JSON>shown</td>."""
    plain = None if missing(value) else clean(value, key)
    numeric = isinstance(plain, (int, float)) and not isinstance(plain, bool)
    cls = ' class="num"' if tag == "td" and (numeric or ISO_DATE.fullmatch(str(plain))) else ""
    return (f'<{tag}{cls} data-field="{esc(field or key)}" data-value="{esc(json_value(value, key))}">'
            f'{esc(shown(value, key) if text is None else text)}</{tag}>')


def badge(word: str) -> str:
    return f'<span class="badge {BADGES.get(word, "")}">{esc(word)}</span>'


# --- tables ----------------------------------------------------------------------------------------

def heading(col: str) -> str:
    return col.replace("_", " ").replace(".", ": ").capitalize()


def table(frame: pd.DataFrame, caption: str, labels: dict[str, str] | None = None, *,
          empty: str = "None.") -> str:
    """A semantic table of a frame, one figure per cell; columns not in labels are shown under their
    own names, so extra columns from callers need no code here."""
    cols = list(labels) if labels else list(frame.columns)
    cols = [c for c in cols if c in frame.columns]
    if frame.empty:
        return f'<p class="dim">{esc(caption)}: {esc(empty)}</p>'
    shown_rows = frame.head(TABLE_ROWS)
    if len(shown_rows) < len(frame):
        caption += f" (the first {len(shown_rows):,} of {len(frame):,}; all are in --format json)"
    out = rounded(shown_rows[cols])
    head = "".join(f'<th scope="col">{esc((labels or {}).get(c, heading(c)))}</th>' for c in cols)
    body = []
    for values in zip(*(out[c] for c in cols)):
        cells = []
        for c, v in zip(cols, values):
            if c in ("status", "verdict") and isinstance(v, str):
                cells.append(f'<td data-field="{esc(c)}" data-value="{esc(v)}">{badge(v)}</td>')
            else:
                cells.append(figure(c, v))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>\n' + "\n".join(body) + "\n</tbody></table></div>")


def nested_table(values: dict, caption: str | None = None, prefix: str = "") -> str:
    """Name → value rows; a dict value becomes a table in its cell (assumptions are grouped)."""
    rows = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            cell = f"<td>{nested_table(value, prefix=name + '.')}</td>"
        else:
            cell = figure(str(key), value, field=name)
        rows.append(f'<tr><th scope="row">{esc(key)}</th>{cell}</tr>')
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    cls = "" if caption else ' class="sub"'
    return f"<table{cls}>{cap}<tbody>" + "".join(rows) + "</tbody></table>"


# --- charts ----------------------------------------------------------------------------------------

class Ref(NamedTuple):
    """A reference drawn over bars: one value (a line across, e.g. the target) or one per bar (a tick
    per row, e.g. each worker's own age-band floor)."""
    at: float | np.ndarray
    label: str
    css: str = "ref"


def nice_ticks(top: float, n: int = 5) -> np.ndarray:
    """0 to at least top in 1-2-2.5-5 steps: axis labels people can read."""
    top = top if top > 0 else 1.0
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    return np.arange(0, math.ceil(top / step - 1e-9) * step + step / 2, step)


def axis_text(x: float, k: str) -> str:
    if k == "share":
        return f"{x:.0%}"
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"£{text}" if k == "money" else text


def cut(text: str, n: int = 22) -> str:
    """A label that fits the chart's margin; the end is kept, as it tells file paths apart."""
    return text if len(text) <= n else "…" + text[1 - n:]


def svg_open(ident: str, width: int, height: float, title: str, desc: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d">'
            f'<title id="{ident}-t">{esc(title)}</title><desc id="{ident}-d">{esc(desc)}</desc>')


def capped(frame: pd.DataFrame, worst: str, noun: str) -> tuple[pd.DataFrame, str]:
    """The first CHART_ROWS rows of a frame sorted worst first, and the caption saying so."""
    if len(frame) <= CHART_ROWS:
        return frame, f"All {plural(len(frame), noun)}."
    return frame.head(CHART_ROWS), f"The {worst} {CHART_ROWS} of {len(frame):,} {noun}s."


def bar_chart(ident: str, title: str, note: str, labels: list[str], values: np.ndarray, *, field: str,
              bad: np.ndarray, texts: list[str], refs: tuple[Ref, ...] = (), top: float | None = None) -> str:
    """Horizontal bars, one per row as given (callers sort and cap), bad ones red and saying so in
    text; each bar carries data-field/data-value and a <title> for screen readers and hover."""
    k = kind(field)
    width, left, right, head, step = 760, 160, 140, 34, 20
    height = head + step * len(values) + 8
    finite = np.concatenate([np.ravel(values), np.ravel([top or 0.0])] + [np.ravel(r.at) for r in refs]).astype(float)
    ticks = nice_ticks(float(finite[np.isfinite(finite)].max()))
    span = width - left - right

    def x(v: float) -> float:
        return left + span * (max(v, 0.0) if np.isfinite(v) else 0.0) / ticks[-1]

    parts = [svg_open(ident, width, height, title, note)]
    for t in ticks:
        parts.append(f'<line class="grid" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{head - 6}" y2="{height - 4:.0f}"/>'
                     f'<text x="{x(t):.1f}" y="{head - 10}" text-anchor="middle">{esc(axis_text(t, k))}</text>')
    for i, (label, value, is_bad, text) in enumerate(zip(labels, values, bad, texts)):
        y = head + i * step
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{esc(cut(label))}</text>'
            f'<rect class="{"bad" if is_bad else "good"}" x="{left}" y="{y + 3}" width="{x(value) - left:.1f}" '
            f'height="14" data-id="{esc(label)}" data-field="{esc(field)}" '
            f'data-value="{esc(json_value(value, field))}">'
            f'<title>{esc(label)}: {esc(text)}</title></rect>'
            f'<text x="{left + span + 8}" y="{y + 13}">{esc(text)}</text>')
    legend = []
    for ref in refs:
        if np.ndim(ref.at) == 0:
            parts.append(f'<line class="{ref.css}" x1="{x(ref.at):.1f}" x2="{x(ref.at):.1f}" y1="{head - 4}" '
                         f'y2="{height - 4:.0f}"><title>{esc(ref.label)}</title></line>')
        else:
            parts.extend(f'<line class="{ref.css}" x1="{x(a):.1f}" x2="{x(a):.1f}" y1="{head + i * step}" '
                         f'y2="{head + (i + 1) * step}"><title>{esc(ref.label)}: {esc(shown(a, field))}</title></line>'
                         for i, a in enumerate(ref.at) if np.isfinite(a))
        legend.append(ref.label)
    caption = note + (" Dashed: " + "; ".join(legend) + "." if legend else "")
    return f"<h3>{esc(title)}</h3><figure>{''.join(parts)}</svg><figcaption>{esc(caption)}</figcaption></figure>"


def histogram(ident: str, minutes: np.ndarray, min_visit: float) -> str:
    """Planned visit lengths in 5-minute bins (15 for long visits), the last bin open-ended, with the
    minimum visit length marked: how many visits are cut short shows at a glance."""
    if not len(minutes):
        return '<p class="dim">No visits.</p>'
    w = 5 if np.quantile(minutes, 0.99) <= 120 else 15
    nbins = int(min(np.max(minutes) // w + 1, 40))
    counts = np.bincount(np.clip(minutes // w, 0, nbins - 1).astype(int), minlength=nbins)
    width, left, bottom, top, plot_h = 760, 50, 36, 24, 220
    bw = (width - left - 10) / nbins
    ticks = nice_ticks(float(counts.max()), 4)
    height = top + plot_h + bottom
    title = "Planned visit lengths"
    desc = (f"{plural(len(minutes), 'visit')} by planned length in {w}-minute bins; the dashed line is "
            f"the minimum of {min_visit:g} minutes; red bins are wholly below it.")
    parts = [svg_open(ident, width, height, title, desc)]

    def y(c: float) -> float:
        return top + plot_h * (1 - c / ticks[-1])

    for t in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>'
                     f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:,.0f}</text>')
    every = max(1, math.ceil(nbins / 12))
    for b, c in enumerate(counts):
        lo = b * w
        span = f"{lo}+ min" if b == nbins - 1 and np.max(minutes) >= (b + 1) * w else f"{lo}–{lo + w} min"
        short = (b + 1) * w <= min_visit
        parts.append(f'<rect class="{"bad" if short else "good"}" x="{left + b * bw + 1:.1f}" y="{y(c):.1f}" '
                     f'width="{bw - 2:.1f}" height="{top + plot_h - y(c):.1f}" data-field="visits" data-bin="{lo}" '
                     f'data-value="{c}"><title>{span}: {plural(int(c), "visit")}'
                     f'{" (below the minimum)" if short else ""}</title></rect>')
        if b % every == 0:
            parts.append(f'<text x="{left + b * bw:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{lo}</text>')
    mx = left + bw * min(min_visit / w, nbins)
    parts.append(f'<line class="ref" x1="{mx:.1f}" x2="{mx:.1f}" y1="{top - 6}" y2="{top + plot_h}">'
                 f'<title>minimum visit {min_visit:g} minutes</title></line>'
                 f'<text x="{mx + 4:.1f}" y="{top - 8}">minimum {min_visit:g} min</text>'
                 f'<text x="{left + (width - left) / 2:.0f}" y="{height - 4}" text-anchor="middle">'
                 f'planned minutes</text>')
    return f"<h3>{esc(title)}</h3><figure>{''.join(parts)}</svg><figcaption>{esc(desc)}</figcaption></figure>"


# --- the audit page --------------------------------------------------------------------------------

FIGURES = (
    ("visits", "Visits"), ("workers", "Workers"), ("clients", "Clients"),
    ("worker_periods", "Worker-periods (worker × pay period)"),
    ("worker_periods_below_floor", "Worker-periods below the wage floor"),
    ("workers_below_floor", "Workers below the wage floor"),
    ("total_pay", "Pay"), ("total_shortfall", "Shortfall against the floor"),
    ("total_arrears", "Arrears owed (at rates on the as-of date)"),
    ("working_hours", "Working hours"), ("contact_hours", "Contact hours"), ("travel_hours", "Travel hours"),
    ("waiting_hours", "Waiting hours"), ("unpaid_travel_hours", "Travel hours unpaid"),
    ("travel_share", "Travel share of working time"),
    ("travel_minutes_per_contact_hour", "Travel minutes per contact hour"),
    ("short_visit_share", "Visits planned shorter than the minimum"),
    ("agreed_short_visits", "Short visits agreed with the client"),
    ("clients_below_continuity", "Clients below the continuity target"),
    ("median_team_share", "Median share of care from the named team"),
    ("max_distinct_workers_per_week", "Most workers one client saw in a week"),
    ("findings", "Findings"),
)
WORKER_LABELS = {"worker_id": "Worker", "period_start": "From", "period_end": "To", "visits": "Visits",
                 "working_hours": "Working hours", "travel_hours": "Travel hours", "pay": "Pay",
                 "effective_rate": "£ per hour", "floor_rate": "Floor", "shortfall": "Shortfall",
                 "arrears": "Arrears", "floor_band": "Floor band"}
CLIENT_LABELS = {"client_id": "Client", "visits": "Visits", "hours": "Hours", "distinct_workers": "Workers",
                 "max_distinct_workers_per_week": "Most in a week", "team_share": "Team share",
                 "named_team": "Named team", "team_inferred": "Team inferred from the rota"}
FLAG_LABELS = {"rule": "Rule", "row": "Row", "visit_id": "Visit", "worker_id": "Worker", "client_id": "Client",
               "minutes": "Minutes", "message": "Finding"}
FLAGS_PER_RULE = 10


def not_run(check: str) -> str:
    return f'<p class="dim">The {check} check did not run (see --only), so there is nothing to show here.</p>'


def header(result: AuditResult, source: str) -> str:
    """What was audited and under which rules, and the pay verdict: the terminal's summary panel."""
    s, t = result.summary, result.summary["thresholds"]
    out = [f"<h1>carerota audit · {esc(source)}</h1>",
           f'<p>{figure("visits", s["visits"], "span", plural(s["visits"], "visit"))} · '
           f'{figure("workers", s["workers"], "span", plural(s["workers"], "worker"))} · '
           f'{figure("clients", s["clients"], "span", plural(s["clients"], "client"))} · '
           f'{esc(s["first_visit"][:10])} to {esc(s["last_visit"][:10])}</p>',
           f'<p class="dim">Wage floor: {esc(s["wage_floor"])} · {esc(s["pay_period"])}ly pay periods · '
           f'{esc(s["times"])} times. Policy ({esc(s["policy_source"])}): gaps ≤ {t["paid_gap_minutes"]:g} min '
           f'paid, ≤ {t["split_gap_minutes"]:g} min travel only · visits ≥ {t["min_visit_minutes"]:g} min, '
           f'clipped if > {t["clip_tolerance_minutes"]:g} min short, late after {t["late_after_minutes"]:g} min · '
           f'continuity ≥ {t["continuity_target"]:.0%} from a team of {t["team_size"]}.</p>']
    if s["worker_periods"] is not None:
        below, workers = s["worker_periods_below_floor"], s["workers_below_floor"]
        if below:
            out.append(
                f'<p class="verdict bad">{figure("worker_periods_below_floor", below, "span")} of '
                f'{figure("worker_periods", s["worker_periods"], "span")} worker-periods below the wage floor '
                f'({figure("workers_below_floor", workers, "span", plural(workers, "worker"))}). '
                f'Shortfall {figure("total_shortfall", s["total_shortfall"], "span")} · arrears owed '
                f'{figure("total_arrears", s["total_arrears"], "span")} (at rates in force on {esc(s["as_of"])}).</p>')
        else:
            out.append(f'<p class="verdict good">All {figure("worker_periods", s["worker_periods"], "span")} '
                       f"worker-periods meet the wage floor.</p>")
    return "\n".join(out)


def scorecard_table(summary: dict) -> str:
    rows = scorecard_rows(summary)
    body = "".join(f'<tr><th scope="row">{esc(p)}</th><td class="{r}" data-result="{r}">{"pass" if ok else "FAIL"}'
                   f"</td><td>{esc(h)}</td></tr>" for p, ok, h in rows for r in ["pass" if ok else "fail"])
    return ('<h2>Charter scorecard</h2><div class="scroll"><table><caption>Each promise of the care '
            'charters, tested on this rota (promises whose check did not run are left out)</caption><thead><tr>'
            '<th scope="col">Promise</th><th scope="col">Result</th><th scope="col">Headline</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def figures_table(summary: dict) -> str:
    body = "".join(f'<tr><th scope="row">{esc(label)}</th>{figure(key, summary.get(key))}</tr>'
                   for key, label in FIGURES)
    return ('<h2>Key figures</h2><div class="scroll"><table><caption>Headline figures, as in '
            '--format json (— where the check did not run or there is nothing to divide by)</caption><thead><tr>'
            f'<th scope="col">Figure</th><th scope="col" class="num">Value</th></tr></thead><tbody>{body}'
            "</tbody></table></div>")


def pay_section(result: AuditResult) -> str:
    """Each worker-period's £ per working hour against its floor, travel share per worker, and the
    worker-periods paid below the floor."""
    out = ['<h2>Pay against the wage floor</h2>']
    w = result.workers
    if result.summary["worker_periods"] is None:
        return out[0] + not_run("pay")
    rated = w[w["effective_rate"].notna()]
    if len(rated):
        worst = rated.sort_values(["shortfall", "effective_rate", "worker_id"], ascending=[False, True, True])
        shown_rows, note = capped(worst, "worst", "worker-period")
        ids = shown_rows["worker_id"].astype(str)
        if w["period_start"].nunique() > 1:
            ids = ids + " · " + shown_rows["period_start"].astype(str)
        below = ~shown_rows["compliant"].to_numpy(bool)
        rates = shown_rows["effective_rate"].to_numpy(float)
        floors = shown_rows["floor_rate"].to_numpy(float)
        same = bool(np.all(floors == floors[0]))
        texts = [pounds(r) + (" below floor" if b else "") for r, b in zip(rates, below)]
        refs = (Ref(floors[0] if same else floors,
                    f"the wage floor {pounds(floors[0])}" if same else "each worker's wage floor (age band)"),)
        out.append(bar_chart("rate", "Pay per working hour against the wage floor",
                             note + " Pay ÷ working hours (contact, travel and waiting); red bars are below "
                                    "the floor.",
                             ids.tolist(), rates, field="effective_rate", bad=below, texts=texts, refs=refs))
    if len(rated) < len(w):
        out.append(f'<p class="dim">{plural(len(w) - len(rated), "worker-period")} with no working hours '
                   "not charted.</p>")
    per = w.groupby("worker_id", sort=False)[["travel_hours", "working_hours"]].sum()
    per = per[per["working_hours"] > 0]
    if len(per):
        share = (per["travel_hours"] / per["working_hours"]).rename("travel_share").reset_index()
        share = share.sort_values(["travel_share", "worker_id"], ascending=[False, True])
        shown_rows, note = capped(share, "highest", "worker")
        values = shown_rows["travel_share"].to_numpy(float)
        overall = float(per["travel_hours"].sum() / per["working_hours"].sum())
        out.append(bar_chart("travel", "Travel share of working time per worker",
                             note + " Travel hours ÷ working hours over all the worker's pay periods.",
                             shown_rows["worker_id"].astype(str).tolist(), values, field="travel_share",
                             bad=np.zeros(len(values), bool), texts=[f"{v:.1%}" for v in values],
                             refs=(Ref(overall, f"all workers {overall:.1%}"),)))
    below = w[~w["compliant"].astype(bool)].sort_values(["shortfall", "worker_id"], ascending=[False, True])
    out.append(table(below, "Worker-periods paid below the wage floor, largest shortfall first", WORKER_LABELS,
                     empty="none: every worker-period meets the floor."))
    return "\n".join(out)


def visits_section(result: AuditResult) -> str:
    """Planned visit lengths against the minimum, findings by rule and the largest flagged visits."""
    s = result.summary
    tl = result.timeline
    minutes = ((tl["end"] - tl["start"]).dt.total_seconds() / 60).to_numpy(float)
    out = ['<h2>Visits</h2>',
           histogram("lengths", minutes, float(s["thresholds"]["min_visit_minutes"]))]
    if "visits" not in s["checks"]:
        out.append(not_run("visits"))
        return "\n".join(out)
    by_rule = "".join(f'<tr><th scope="row">{esc(r)}</th><td>{esc(RULES[r][2])}</td>'
                      f'{figure(r, n, field=f"findings_by_rule.{r}")}</tr>'
                      for r, n in s["findings_by_rule"].items() if RULES[r][1] == "visits")
    out.append('<div class="scroll"><table><caption>Visit findings by rule</caption><thead><tr><th scope="col">Rule'
               '</th><th scope="col">What it means</th><th scope="col" class="num">Visits</th></tr></thead>'
               f"<tbody>{by_rule}</tbody></table></div>")
    flags = result.flags
    if not flags.empty:
        order = flags["rule"].map({r: i for i, r in enumerate(RULES)})
        top = (flags.assign(_order=order).sort_values(["_order", "minutes", "row"], ascending=[True, False, True],
                                                      kind="stable")
               .groupby("rule", sort=False).head(FLAGS_PER_RULE))
        out.append(table(top, f"Flagged visits: the {FLAGS_PER_RULE} largest of each kind ({len(top):,} of "
                              f"{len(flags):,})", FLAG_LABELS))
    return "\n".join(out)


def continuity_section(result: AuditResult) -> str:
    """Each client's share of care from their named team against the target, and who falls short."""
    out = ['<h2>Continuity of care</h2>']
    c = result.clients
    if result.summary["clients_below_continuity"] is None:
        return out[0] + not_run("continuity")
    target = float(result.summary["thresholds"]["continuity_target"])
    c = c.assign(team_share=c["team_share"].astype(float), continuity_ok=c["continuity_ok"].astype(bool))
    worst = c.sort_values(["continuity_ok", "team_share", "distinct_workers", "client_id"],
                          ascending=[True, True, False, True])
    shown_rows, note = capped(worst, "least continuous", "client")
    values = shown_rows["team_share"].to_numpy(float)
    ok = shown_rows["continuity_ok"].to_numpy(bool)
    labels = (shown_rows["client_id"].astype(str) + np.where(shown_rows["team_inferred"].astype(bool), " *", ""))
    out.append(bar_chart("continuity", "Share of each client's care from their named team",
                         note + " Hours from the named team ÷ all hours (* team inferred from the rota); "
                                "red bars are below the target.",
                         labels.tolist(), values, field="team_share", bad=~ok,
                         texts=[f"{v:.0%}" + ("" if k else " below target") for v, k in zip(values, ok)],
                         refs=(Ref(target, f"target {target:.0%}"),), top=1.0))
    out.append(table(worst[~worst["continuity_ok"]], "Clients below the continuity target, least continuity first",
                     CLIENT_LABELS, empty="none: every client meets the target."))
    return "\n".join(out)


def notes_section(notes: list[str]) -> str:
    if not notes:
        return ""
    return '<h2>Notes</h2><ul>' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"


def page(title: str, body: str, footer: str) -> str:
    """The document around a body: inline CSS, and a policy that forbids fetching or running anything."""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="carerota {esc(__version__)}">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""


def audit_page(result: AuditResult, source: str) -> str:
    """The audit as one page: verdict, charter scorecard, key figures, charts, worst cases, notes."""
    s = result.summary
    sections = {"summary": header(result, source) + scorecard_table(s) + figures_table(s),
                "pay": pay_section(result), "visits": visits_section(result),
                "continuity": continuity_section(result), "notes": notes_section(result.notes)}
    body = "\n".join(f'<section id="{k}">\n{v}\n</section>' for k, v in sections.items() if v)
    footer = (f"carerota {esc(__version__)} · audit of {esc(source)} · rates and arrears as of "
              f'<span data-field="as_of" data-value="{esc(s["as_of"])}">{esc(s["as_of"])}</span> · '
              "figures as in --format json"
              + "".join(f"<br>{esc(line)}" for line in s.get("attribution", [])))
    return page(f"carerota audit · {source}", body, footer)


# --- batch and tender pages ------------------------------------------------------------------------

def counts_list(values: pd.Series, field: str, order: tuple[str, ...]) -> str:
    """How many rows have each status or verdict, the expected ones first even when zero."""
    counts = values.astype(str).value_counts()
    keys = list(order) + sorted(set(counts.index) - set(order))
    return '<ul class="counts">' + "".join(
        f'<li>{badge(k)} {figure("count", int(counts.get(k, 0)), "span", field=f"{field}.{k}")}</li>'
        for k in keys) + "</ul>"


def per_row_chart(ident: str, frame: pd.DataFrame, id_col: str, field: str, title: str, noun: str) -> str:
    """Bars of one figure per file or bid, largest first; rows without the figure are left out."""
    if field not in frame.columns or id_col not in frame.columns:
        return ""
    data = frame.assign(_v=pd.to_numeric(frame[field], errors="coerce")).dropna(subset=["_v"])
    if data.empty:
        return ""
    data = data.sort_values(["_v", id_col], ascending=[False, True])
    shown_rows, note = capped(data, "largest", noun)
    values = shown_rows["_v"].to_numpy(float)
    return bar_chart(ident, title, note, shown_rows[id_col].astype(str).tolist(), values, field=field,
                     bad=values > 0 if kind(field) == "money" else np.zeros(len(values), bool),
                     texts=[shown(v, field) for v in values])


BATCH_LABELS = {"file": "File", "status": "Status", "error": "Why it could not be read", "visits": "Visits",
                "workers": "Workers", "worker_periods_below_floor": "Worker-periods below the floor",
                "total_shortfall": "Shortfall", "total_arrears": "Arrears", "travel_share": "Travel share",
                "travel_minutes_per_contact_hour": "Travel min per contact hour",
                "short_visit_share": "Visits short", "clients_below_continuity": "Clients below continuity",
                "median_team_share": "Median team share", "findings": "Findings"}


def batch_page(rows: pd.DataFrame, title: str) -> str:
    """Many audits on one page: how many files are ok, have findings or failed, where the money and the
    travel are, and every file's figures."""
    body = [f"<h1>{esc(title)}</h1>", f"<p>{plural(len(rows), 'file')} audited.</p>"]
    if "status" in rows.columns:
        body.append(counts_list(rows["status"], "status", ("ok", "findings", "error")))
    body.append(per_row_chart("shortfall", rows, "file", "total_shortfall", "Shortfall against the wage floor per file",
                              "file"))
    body.append(per_row_chart("travel", rows, "file", "travel_share", "Travel share of working time per file", "file"))
    body.append(table(rows, "One row per file (— where the check did not run or the file could not be read); "
                      "every figure is in --format csv or json", BATCH_LABELS, empty="no files."))
    return page(title, "\n".join(b for b in body if b), f"carerota {esc(__version__)} · figures as in --format json")


def tender_page(bids: pd.DataFrame, assumptions: dict, title: str) -> str:
    """Bids against the cost of paying carers the floor for contact and travel time: which prices are
    sustainable, on what assumptions."""
    body = [f"<h1>{esc(title)}</h1>", f"<p>{plural(len(bids), 'bid')}.</p>"]
    if "verdict" in bids.columns:
        body.append(counts_list(bids["verdict"], "verdict", ("sustainable", "below cost")))
    if len(bids) and {"bid_id", "price_per_hour", "cost_floor_per_hour"} <= set(bids.columns):
        margin = bids["price_per_hour"].astype(float) - bids["cost_floor_per_hour"].astype(float)
        worst = bids.assign(_m=margin).sort_values(["_m", "bid_id"])
        shown_rows, note = capped(worst, "lowest-margin", "bid")
        price = shown_rows["price_per_hour"].to_numpy(float)
        floor = shown_rows["cost_floor_per_hour"].to_numpy(float)
        below = (shown_rows["verdict"] == "below cost").to_numpy(bool) if "verdict" in bids else price < floor
        refs = [Ref(floor, "cost floor per contact hour")]
        if "planned_cost_floor_per_hour" in shown_rows.columns:
            refs.append(Ref(shown_rows["planned_cost_floor_per_hour"].to_numpy(float),
                            "cost floor with the planned rota's travel", "ref2"))
        body.append(bar_chart("bids", "Price per hour against the cost floor", note + " Red bars are below cost.",
                              shown_rows["bid_id"].astype(str).tolist(), price, field="price_per_hour", bad=below,
                              texts=[pounds(p) + (" below cost" if b else "") for p, b in zip(price, below)],
                              refs=tuple(refs)))
    body.append(table(bids, "One row per bid", empty="no bids."))
    body.append(nested_table(assumptions, "Assumptions") if assumptions else "")
    return page(title, "\n".join(b for b in body if b), f"carerota {esc(__version__)} · figures as in --format json")
