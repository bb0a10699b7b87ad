"""The command line: options → library calls → report, and errors → exit codes.

Exit codes (as ruff): 0 every check passes, 1 findings, 2 a usage or input error.

Each command imports the modules it uses when it runs: pandas and the audit's modules take half a
second to import, which ``--help`` and ``--version`` need not wait for, and during which ``audit``
already reads its rota (``read.read_ahead``). At the top are only modules that load neither.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Optional

import typer

from carerota import __version__
from carerota.config import SETTINGS, SettingError, audit_settings, read_policy, resolve, with_travel_matrix
from carerota.errors import InputError, Problem
from carerota.read import DELIMITER_NAMES, Reading, display_name, inspect, parse_mapping, read_ahead
from carerota.schema import PROFILES, json_schema
from carerota.synth_presets import MAX_CLIENTS_PER_WORKER, TOWNS

if TYPE_CHECKING:
    from carerota.audit import AuditSettings

EXIT_ERROR = 2  # findings exit 1: AuditResult.exit_code

app = typer.Typer(
    help="Audit UK home-care rotas: is pay above the wage floor once travel between visits counts?",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Check(str, Enum):
    pay = "pay"
    visits = "visits"
    continuity = "continuity"


class Times(str, Enum):
    planned = "planned"
    actual = "actual"


class Engine(str, Enum):
    pandas = "pandas"
    dask = "dask"


class ConvertTo(str, Enum):
    parquet = "parquet"


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"carerota {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Audit UK home-care rotas against the wage floor and the care charters."""


@contextmanager
def input_errors(err=None):
    """An InputError inside becomes its message on stderr (``err``, else a console of its own) and
    exit code 2."""
    try:
        yield
    except InputError as error:
        from carerota import report

        report.print_error(err if err is not None else report.stderr_console(), error.message())
        raise typer.Exit(EXIT_ERROR) from None


def checked(parse, value, option: str):
    """Build a setting, turning the library's ValueError into a usage error naming the option."""
    try:
        return parse(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def per_mode(values: list[str], defaults: dict[str, float], option: str, low: float, high: float) -> dict[str, float]:
    """``12`` sets every mode; ``walk=4.5`` sets one. Later values win."""
    from carerota.load import TRAVEL_MODES

    out = dict(defaults)
    for value in values:
        mode, _, number = value.rpartition("=")
        mode = mode.strip().lower()
        if mode and mode not in TRAVEL_MODES:
            raise typer.BadParameter(f"unknown travel mode {mode!r} (expected one of "
                                     f"{', '.join(TRAVEL_MODES)})", param_hint=option)
        try:
            x = float(number)
        except ValueError:
            x = float("nan")
        if not low <= x <= high:
            raise typer.BadParameter(f"expected a number between {low:g} and {high:g}, got {number!r}",
                                     param_hint=option)
        for m in [mode] if mode else TRAVEL_MODES:
            out[m] = x
    return out


def check_output_folder(output: Path | None, option: str = "--output") -> None:
    if output is not None and output.parent and not output.parent.is_dir():
        raise typer.BadParameter(f"folder {output.parent} does not exist", param_hint=option)


def write_output(content: str | Callable[[BinaryIO], None], output: Path | None, *, private: bool = False) -> None:
    """Text, or a function writing UTF-8 bytes, to stdout or to FILE. A file is written whole or not
    at all: into a temporary file beside it, renamed into place when complete, and removed if the
    run is interrupted (Ctrl-C, a full disk), so FILE is either the old one or the new one.
    ``private`` files (re-identification tables) are readable by their owner only."""
    write = content if callable(content) else lambda out: out.write(content.encode("utf-8"))
    if output is None:
        sys.stdout.flush()
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666), "wb") as out:
            write(out)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def option_name(setting: str) -> str:
    return {"paid_gap": "--paid-gap/--split-gap"}.get(setting, "--" + setting.replace("_", "-"))


def setting_flags(options: dict) -> dict:
    """The policy settings (config.SETTINGS) a command's options give; None where not given."""
    flags = {name: options.get(name) for name in SETTINGS}
    if isinstance(flags["times"], Times):
        flags["times"] = flags["times"].value
    return flags


def chosen_checks(only: list[Check]) -> tuple[str, ...]:
    """--only's checks in pipeline order; all of them when none is named."""
    from carerota.audit import CHECKS

    return tuple(c for c in CHECKS if c in {o.value for o in only}) if only else CHECKS


def write_table(render, output: Path | None) -> None:
    """A Rich report to the terminal, or as plain text to FILE (written whole, like JSON and CSV)."""
    from carerota import report

    if output is None:
        render(report.Console(highlight=False))
        return
    buffer = io.StringIO()
    render(report.Console(file=buffer, width=160, no_color=True))
    write_output(buffer.getvalue(), output)


def reading_from_options(options: dict) -> Reading:
    """How to read the inputs, from a command's options (its locals()): --encoding, --delimiter,
    --sheet, --profile, --postcodes, and --map entries on top of carerota.toml's [columns]."""
    encoding, delimiter, sheet, profile = (options[k] for k in ("encoding", "delimiter", "sheet", "profile"))
    postcodes = options.get("postcodes")
    if profile not in ("auto", "none", *PROFILES):
        raise typer.BadParameter(f"expected auto, none or one of {', '.join(PROFILES)}, got {profile!r}",
                                 param_hint="--profile")
    with input_errors():
        columns = dict(read_policy(Path.cwd())[0].get("columns", {}))
    columns.update(checked(parse_mapping, options["maps"], "--map"))
    if delimiter is not None and len(DELIMITER_NAMES.get(delimiter.lower(), delimiter)) != 1:
        raise typer.BadParameter(f"expected one character or tab, comma, semicolon, pipe; got {delimiter!r}",
                                 param_hint="--delimiter")
    return Reading(encoding=encoding, delimiter=delimiter, sheet=sheet, columns=columns, profile=profile,
                   postcodes=str(postcodes) if postcodes else None)


def settings_from_options(err, flags: dict, *, period_start: str | None, as_of: str | None, speed_kmh: list[str],
                          circuity: list[str], checks: tuple[str, ...] | None = None) -> AuditSettings:
    """Audit settings from flags, then the policy file, then defaults; a bad value is a usage error.
    Every check runs unless ``checks`` names some."""
    from carerota.travel import CIRCUITY, SPEED_KMH, TravelModel

    with input_errors(err):
        policy, source = read_policy(Path.cwd())
    travel = TravelModel(speed_kmh=per_mode(speed_kmh, SPEED_KMH, "--speed-kmh", 0.5, 200),
                         circuity=per_mode(circuity, CIRCUITY, "--circuity", 1, 5))
    try:
        return audit_settings(resolve(flags, policy), period_start=period_start, as_of=as_of, travel=travel,
                              checks=checks, policy_source=source)
    except SettingError as error:
        raise typer.BadParameter(str(error), param_hint=option_name(error.name)) from None


# Options shared by the commands: declared once so their names and help stay the same.
CLIENTS_OPTION = typer.Option(None, "--clients", help="client_id,lat,lon[,named_team,postcode].")
WORKERS_OPTION = typer.Option(None, "--workers", help="worker_id,age|date_of_birth,travel_mode,london.")
PAYSLIPS_OPTION = typer.Option(
    None, "--payslips", help="worker_id,period_start,period_end,gross_pay[,expenses]: replaces the rota's pay.")
TRAVEL_MATRIX_OPTION = typer.Option(
    None, "--travel-matrix", help="from_client,to_client,minutes[,km]: travel times to use instead of estimates.")
WAGE_OPTION = typer.Option(
    None, "--wage", help="Wage floor: nlw (statutory), rlw (Real Living Wage) or £ an hour. \\[default: nlw]")
PERIOD_OPTION = typer.Option(
    None, "--period", help="Pay reference period: week, fortnight or month. \\[default: week]")
PERIOD_START_OPTION = typer.Option(
    None, "--period-start", metavar="DATE",
    help="A date on which a pay period starts (anchors the periods).")
AS_OF_OPTION = typer.Option(
    None, "--as-of", metavar="DATE",
    help="Date arrears are determined, for the uplift \\[default: today].")
TIMES_OPTION = typer.Option(
    None, "--times", help="Visit times: planned, or actual (call monitoring). \\[default: planned]")
PAID_GAP_OPTION = typer.Option(
    None, "--paid-gap", metavar="MIN", help="Gaps up to this many minutes count in full. \\[default: 60]")
SPLIT_GAP_OPTION = typer.Option(
    None, "--split-gap", metavar="MIN",
    help="Gaps up to this count travel only; longer gaps start a new shift. \\[default: 180]")
MIN_VISIT_OPTION = typer.Option(
    None, "--min-visit", metavar="MIN", help="Shortest visit the charter allows. \\[default: 30]")
CLIP_TOLERANCE_OPTION = typer.Option(
    None, "--clip-tolerance", metavar="MIN",
    help="A visit shorter than planned by more than this is clipped. \\[default: 5]")
LATE_AFTER_OPTION = typer.Option(
    None, "--late-after", metavar="MIN", help="A check-in later than this after the planned start is late. \\[default: 30]")
CONTINUITY_OPTION = typer.Option(
    None, "--continuity", metavar="SHARE", help="Share of a client's hours due from the named team. \\[default: 0.90]")
TEAM_SIZE_OPTION = typer.Option(
    None, "--team-size", metavar="N", help="Workers in a team inferred where none is named. \\[default: 4]")
ONLY_OPTION = typer.Option(
    [], "--only", help="Run only these checks (repeatable): pay, visits, continuity. \\[default: all]")
MODE_OPTION = typer.Option(
    None, "--mode", help="Travel mode of workers without one: drive, walk, cycle, transit. \\[default: drive]")
SPEED_KMH_OPTION = typer.Option(
    [], "--speed-kmh", metavar="[MODE=]KMH",
    help="Average speed, for all modes or one (repeatable).")
FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")
HTML_OPTION = typer.Option(None, "--html", metavar="FILE", help="Also write a self-contained HTML report to FILE.")
WRITTEN_FORMAT_OPTION = typer.Option(Format.table, "--format", "-f",
                                     help="How to print what was written: table or json.")


def check_written_format(fmt: Format) -> None:
    """Commands that write files report what they wrote as a table or JSON; there is no CSV of it."""
    if fmt is Format.csv:
        raise typer.BadParameter("expected table or json", param_hint="--format")


ENCODING_OPTION = typer.Option(
    "auto", "--encoding", help="Text encoding of the input files: auto (UTF-8, UTF-16 or Windows-1252), or any "
    "Python codec name.")
DELIMITER_OPTION = typer.Option(
    None, "--delimiter", metavar="CHAR", help="Field separator of CSV input (, ; tab |) \\[default: detected].")
SHEET_OPTION = typer.Option(None, "--sheet", metavar="NAME", help="Sheet of a spreadsheet input (name or number) "
                            "\\[default: the first].")
MAP_OPTION = typer.Option(
    [], "--map", metavar="FIELD=HEADER",
    help="Read a column as a field (repeatable), e.g. worker_id=CarerRef; clients.postcode=PostCode for another file.")
PROFILE_OPTION = typer.Option(
    "auto", "--profile", help="Layout of the rota: " + ", ".join(PROFILES) + ", auto (detect from the header) or none.")
POSTCODES_OPTION = typer.Option(
    None, "--postcodes", metavar="PATH", envvar="CAREROTA_POSTCODES",
    help="Postcode table made by 'carerota postcodes import' \\[default: in the user data folder].")
CIRCUITY_OPTION = typer.Option(
    [], "--circuity", metavar="[MODE=]FACTOR",
    help="Road distance ÷ straight-line distance (repeatable).")


AUDIT_EXAMPLES = """
[bold]Examples[/bold]

  carerota audit rota.csv
  carerota audit rota.csv --clients clients.csv --workers workers.csv --wage rlw
  carerota audit rota.csv --payslips payslips.csv --period month --as-of 2026-12-01
  carerota audit rota.csv --times actual --format json --output audit.json
  carerota audit rota.csv --clients clients.csv --only continuity --continuity 0.8
  carerota audit rota.csv --clients clients.csv --html report.html   # a page to share
  cat rota.csv | carerota audit - --format csv
  carerota audit 'region/*.csv' --clients clients.csv --format json -o audit.json
  carerota audit rota.parquet/ --engine dask --scheduler tcp://10.0.0.5:8786 -f json -o audit.json

DATASET is a rota file, a folder of them (sub-folders too, as a Parquet dataset has them) or a quoted
glob; files may be CSV, TSV, spreadsheets or Parquet (see carerota convert). With several files, a
row number is the row in its own file. --engine dask runs the same audit on a Dask cluster: a local
one of one worker per core, or the scheduler given by --scheduler; the report is the same.

Thresholds may also be pinned in carerota.toml (or \\[tool.carerota] in pyproject.toml) in the current
folder, e.g. min-visit = 30, continuity = 0.9; a flag beats the file.

Exit codes: 0 every check passes, 1 findings, 2 usage or input error.
"""


@app.command("audit", epilog=AUDIT_EXAMPLES)
def audit_command(
    rota: str = typer.Argument(..., metavar="DATASET",
                               help="Rota file, folder or quoted glob, one row per visit ('-' reads stdin)."),
    clients: Optional[Path] = CLIENTS_OPTION,
    workers: Optional[Path] = WORKERS_OPTION,
    payslips: Optional[Path] = PAYSLIPS_OPTION,
    travel_matrix: Optional[Path] = TRAVEL_MATRIX_OPTION,
    wage: Optional[str] = WAGE_OPTION,
    period: Optional[str] = PERIOD_OPTION,
    period_start: Optional[str] = PERIOD_START_OPTION,
    as_of: Optional[str] = AS_OF_OPTION,
    times: Optional[Times] = TIMES_OPTION,
    paid_gap: Optional[float] = PAID_GAP_OPTION,
    split_gap: Optional[float] = SPLIT_GAP_OPTION,
    min_visit: Optional[float] = MIN_VISIT_OPTION,
    clip_tolerance: Optional[float] = CLIP_TOLERANCE_OPTION,
    late_after: Optional[float] = LATE_AFTER_OPTION,
    continuity: Optional[float] = CONTINUITY_OPTION,
    team_size: Optional[int] = TEAM_SIZE_OPTION,
    only: list[Check] = ONLY_OPTION,
    mode: Optional[str] = MODE_OPTION,
    speed_kmh: list[str] = SPEED_KMH_OPTION,
    circuity: list[str] = CIRCUITY_OPTION,
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of stdout."),
    html: Optional[Path] = HTML_OPTION,
    engine: Engine = typer.Option(Engine.pandas, "--engine", help="pandas (this process) or dask (a cluster)."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", metavar="ADDRESS",
        help="Dask scheduler to use, e.g. tcp://10.0.0.5:8786 \\[default: a local cluster, one worker per core]."),
    partitions: Optional[int] = typer.Option(
        None, "--partitions", metavar="N", min=1,
        help="Partitions of workers and of clients for the Dask shuffles \\[default: one per part of the dataset]."),
    include_locations: bool = typer.Option(
        False, "--include-locations",
        help="Add each client's home (lat, lon) to the JSON report's clients. Left out by default: personal data."),
    top: int = typer.Option(20, "--top", help="Rows per table in the terminal report (0 for all)."),
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the report only: no notes or progress."),
) -> None:
    """Audit a rota: pay against the wage floor with travel counted, visits, and continuity of care."""
    reading = reading_from_options(locals())
    check_output_folder(output)
    check_output_folder(html, "--html")
    if engine is Engine.pandas:
        for option, value in (("--scheduler", scheduler), ("--partitions", partitions)):
            if value is not None:
                raise typer.BadParameter("needs --engine dask", param_hint=option)
    ahead = read_ahead(rota, "rota", reading, what="visit") if engine is Engine.pandas else None

    from carerota import report
    from carerota.audit import audit, with_locations
    from carerota.dataset import load_dataset
    from carerota.load import load_clients, load_payslips, load_workers

    err = report.stderr_console(quiet)
    settings = settings_from_options(
        err, setting_flags(locals()), period_start=period_start, as_of=as_of, speed_kmh=speed_kmh,
        circuity=circuity, checks=chosen_checks(only))
    with input_errors(err):
        with report.working(err, "Reading the rota…"):
            settings = with_travel_matrix(settings, travel_matrix, reading)
            tables = dict(
                clients=load_clients(clients, reading) if clients else None,
                workers=load_workers(workers, reading) if workers else None,
                payslips=load_payslips(payslips, reading) if payslips else None,
            )
            if engine is Engine.pandas:
                result = audit(load_dataset(rota, reading, ahead), settings=settings, **tables)
        if engine is Engine.dask:
            from carerota.dask_engine import audit_dataset

            with report.steps(err, "Auditing on Dask") as step:
                result = audit_dataset(rota, reading=reading, settings=settings, scheduler=scheduler,
                                       partitions=partitions, keep_timeline=html is not None, progress=step,
                                       **tables)
        name = display_name(rota)

    report.print_notes(err, result.notes)
    if include_locations:
        result = with_locations(result)
    if html is not None:
        from carerota import html_report  # imported when asked for: 30 ms of start-up
        write_output(html_report.audit_page(result, name), html)
    if fmt is Format.json:
        write_output(lambda out: report.write_json(result, out), output)
    elif fmt is Format.csv:
        write_output(report.to_csv(result), output)
    else:
        write_table(lambda console: report.render_terminal(result, console, name, top), output)
    raise typer.Exit(result.exit_code)


BATCH_EXAMPLES = """
[bold]Examples[/bold]

  carerota batch providers/*.csv --format csv --output nightly.csv
  carerota batch rotas/ --clients clients.csv --jobs 2
  carerota batch manifest.csv --format json          # rota,clients,workers,wage,... per row
  find rotas -name '*.csv' | carerota batch - --quiet --format csv

FILES may be rota files, folders (every .csv in them), quoted globs, '-' (file names on stdin) or a
manifest named here: a CSV with a 'rota' column and any of clients, workers, payslips, travel_matrix (paths
relative to the manifest) and settings (wage, period, period_start, times, min_visit, continuity, ...)
per file. A manifest cell beats a flag, which beats carerota.toml.

One row per file: file, status (ok, findings or error), error, then the audit's summary figures.
Exit codes: 2 if any file could not be read, else 1 if any has findings, else 0.
"""


@app.command("batch", epilog=BATCH_EXAMPLES)
def batch_command(
    files: list[str] = typer.Argument(..., metavar="FILES...", help="Rotas, folders, globs, manifests or '-'."),
    clients: Optional[Path] = CLIENTS_OPTION,
    workers: Optional[Path] = WORKERS_OPTION,
    payslips: Optional[Path] = PAYSLIPS_OPTION,
    travel_matrix: Optional[Path] = TRAVEL_MATRIX_OPTION,
    wage: Optional[str] = WAGE_OPTION,
    period: Optional[str] = PERIOD_OPTION,
    period_start: Optional[str] = PERIOD_START_OPTION,
    as_of: Optional[str] = AS_OF_OPTION,
    times: Optional[Times] = TIMES_OPTION,
    paid_gap: Optional[float] = PAID_GAP_OPTION,
    split_gap: Optional[float] = SPLIT_GAP_OPTION,
    min_visit: Optional[float] = MIN_VISIT_OPTION,
    clip_tolerance: Optional[float] = CLIP_TOLERANCE_OPTION,
    late_after: Optional[float] = LATE_AFTER_OPTION,
    continuity: Optional[float] = CONTINUITY_OPTION,
    team_size: Optional[int] = TEAM_SIZE_OPTION,
    only: list[Check] = ONLY_OPTION,
    mode: Optional[str] = MODE_OPTION,
    speed_kmh: list[str] = SPEED_KMH_OPTION,
    circuity: list[str] = CIRCUITY_OPTION,
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Files audited at once \\[default: one per core]."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the summary to FILE instead of stdout."),
    html: Optional[Path] = HTML_OPTION,
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the summary only: no progress."),
) -> None:
    """Audit many rotas at once: one summary row per file, for scripts and commissioners."""
    if (jobs or os.cpu_count() or 1) > 1:
        from carerota.processes import start_early

        start_early(["carerota.batch"])  # the worker processes' imports, beside this process's
    from carerota import report
    from carerota.batch import BatchFile, audit_files, expand, is_manifest, read_manifest

    err = report.stderr_console(quiet)
    flags, checks = setting_flags(locals()), chosen_checks(only)
    settings = settings_from_options(err, flags, period_start=period_start, as_of=as_of, speed_kmh=speed_kmh,
                                     circuity=circuity, checks=checks)
    check_output_folder(output)
    check_output_folder(html, "--html")
    reading = reading_from_options(locals())
    base = BatchFile("", settings, *(str(p) if p else None for p in (clients, workers, payslips, travel_matrix)),
                     reading=reading)
    with input_errors(err):
        names = expand(files, sys.stdin.read().splitlines() if "-" in files else None)
        policy, _ = read_policy(Path.cwd())
        jobs_list = []
        for name in names:
            if name in files and is_manifest(name):  # a manifest is named, never found in a folder
                jobs_list += read_manifest(name, base, flags, policy, {
                    "period_start": period_start, "as_of": as_of, "travel": settings.travel, "checks": checks,
                    "policy_source": settings.policy_source})
            else:
                jobs_list.append(replace(base, rota=name))
        if not jobs_list:
            raise InputError(Problem("FILES", "expected at least one rota file"))

    with report.progress(err, len(jobs_list), "Auditing files") as advance:
        result = audit_files(jobs_list, jobs, progress=advance)
    for row in result.rows[result.rows["status"] == "error"].itertuples():
        report.print_error(err, row.error)
    if html is not None:
        from carerota import html_report  # imported when asked for: 30 ms of start-up
        write_output(html_report.batch_page(result.rows, f"{len(result.rows)} rotas"), html)
    if fmt is Format.json:
        write_output(report.batch_to_json(result), output)
    elif fmt is Format.csv:
        write_output(report.batch_to_csv(result), output)
    else:
        write_table(lambda console: report.render_batch(result, console), output)
    raise typer.Exit(result.exit_code)


TENDER_EXAMPLES = """
[bold]Examples[/bold]

  carerota tender bids.csv
  carerota tender bids.csv --wage rlw --format json --output tender.json
  carerota tender bids.csv --cost overheads_share=0.25 --cost mileage_drive_per_mile=0.30
  carerota tender bids.csv --plan --time-limit 5 --html tender.html

BIDS.csv: bid_id, price_per_hour (£ per contact hour), rota (path relative to BIDS.csv) and optional
wage (nlw, rlw or £), london (true/false), clients, workers, travel_matrix per bid.

The cost floor per contact hour pays contact, travel and paid waiting at the wage floor, plus training,
sickness, holiday pay, employer NI, pension, mileage, overheads and surplus (defaults: carerota's dated
cost model, after the Homecare Association's Minimum Price; see docs/method.md). Override any parameter
with --cost NAME=VALUE or a \\[tender] table in carerota.toml. With --plan, also the cost floor of the
least-travel plan of the same visits. Exit codes: 0 every bid sustainable, 1 a bid below its cost
floor, 2 usage or input error.
"""


@app.command("tender", epilog=TENDER_EXAMPLES)
def tender_command(
    bids: Path = typer.Argument(..., metavar="BIDS.csv", help="bid_id,price_per_hour,rota[,wage,london,...]."),
    clients: Optional[Path] = typer.Option(None, "--clients", help="Client locations for bids without their own."),
    workers: Optional[Path] = typer.Option(None, "--workers", help="Workers' travel modes for bids without their own."),
    wage: Optional[str] = typer.Option(None, "--wage", help="Wage floor of bids without one: nlw, rlw or £ an hour. "
                                       "\\[default: nlw]"),
    cost: list[str] = typer.Option([], "--cost", metavar="NAME=VALUE",
                                   help="Override a cost-model parameter (repeatable), e.g. overheads_share=0.25."),
    plan_bids: bool = typer.Option(False, "--plan", help="Also cost the least-travel plan of each bid's visits."),
    flex: float = typer.Option(30.0, "--flex", metavar="MIN", min=0, max=24 * 60,
                               help="With --plan: minutes a visit may move either way."),
    time_limit: float = typer.Option(10.0, "--time-limit", metavar="SEC", min=0.1,
                                     help="With --plan: search time per day."),
    solution_limit: Optional[int] = typer.Option(None, "--solution-limit", metavar="N", min=1,
                                                 help="With --plan: stop each day after N solutions."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="With --plan: days solved at once."),
    paid_gap: Optional[float] = PAID_GAP_OPTION,
    split_gap: Optional[float] = SPLIT_GAP_OPTION,
    mode: Optional[str] = MODE_OPTION,
    speed_kmh: list[str] = SPEED_KMH_OPTION,
    circuity: list[str] = CIRCUITY_OPTION,
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of stdout."),
    html: Optional[Path] = HTML_OPTION,
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the report only: no notes or progress."),
) -> None:
    """Check tender bids: can each hourly price pay the wage floor once travel is paid?"""
    from carerota import report
    from carerota.plan import PlanSettings  # OR-Tools loads only for the commands that plan
    from carerota.tender import assess, cost_model, read_bids

    err = report.stderr_console(quiet)
    settings = settings_from_options(
        err, setting_flags(locals()), period_start=None, as_of=None, speed_kmh=speed_kmh, circuity=circuity)
    overrides = dict(read_policy(Path.cwd())[0].get("tender", {}))
    for item in cost:
        name, _, value = item.partition("=")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"expected NAME=NUMBER, got {item!r}", param_hint="--cost") from None
    try:
        cost_model(date.today(), overrides)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--cost") from None
    plan = PlanSettings(flex=flex, time_limit=time_limit, solution_limit=solution_limit, jobs=jobs) if plan_bids else None
    reading = reading_from_options(locals())
    check_output_folder(output)
    check_output_folder(html, "--html")
    with input_errors(err):
        bid_list = read_bids(str(bids), reading)
        with report.progress(err, len(bid_list), "Costing bids") as advance:
            result = assess(bid_list, settings, clients=str(clients) if clients else None,
                            workers=str(workers) if workers else None, overrides=overrides, plan=plan,
                            reading=reading, progress=advance)

    report.print_notes(err, result.notes)
    if html is not None:
        from carerota import html_report  # imported when asked for: 30 ms of start-up
        write_output(html_report.tender_page(result.bids, result.assumptions, f"Tender check: {bids.name}"), html)
    if fmt is Format.json:
        write_output(report.tender_to_json(result), output)
    elif fmt is Format.csv:
        write_output(report.tender_to_csv(result), output)
    else:
        write_table(lambda console: report.render_tender(result, console, bids.name), output)
    raise typer.Exit(result.exit_code)


PLAN_EXAMPLES = """
[bold]Examples[/bold]

  carerota plan rota.csv --clients clients.csv --workers workers.csv --output planned.csv
  carerota audit planned.csv --clients clients.csv --workers workers.csv
  carerota plan rota.csv --clients clients.csv --flex 45 --fix-short --continuity-weight 30
  carerota plan rota.csv --clients clients.csv --time-limit 30 --format json > plan.json
  carerota plan rota.csv --clients clients.csv --solution-limit 2000 --seed 1   # reproducible

Each day is solved by OR-Tools within --time-limit seconds, days in parallel (--jobs). A visit keeps
its client, day and length; it may start within its window_start/window_end, else ± --flex minutes.
Exit codes: 0 every visit planned, 1 some visit could not be given to any shift, 2 usage or input error.
"""


@app.command("plan", epilog=PLAN_EXAMPLES)
def plan_command(
    rota: str = typer.Argument(..., metavar="ROTA", help="Rota CSV, one row per visit ('-' reads stdin)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the planned rota (CSV) to FILE."),
    clients: Optional[Path] = typer.Option(None, "--clients", help="client_id,lat,lon[,named_team]."),
    workers: Optional[Path] = typer.Option(
        None, "--workers", help="worker_id[,age|date_of_birth,travel_mode,london,home_lat,home_lon,skills,availability]."),
    travel_matrix: Optional[Path] = typer.Option(
        None, "--travel-matrix", help="from_client,to_client,minutes[,km]: travel times to use instead of estimates."),
    flex: float = typer.Option(30.0, "--flex", metavar="MIN", min=0, max=24 * 60,
                               help="Minutes a visit may move either way where no window is given."),
    fix_short: bool = typer.Option(False, "--fix-short", help="Lengthen visits under --min-visit to it."),
    continuity_weight: float = typer.Option(
        15.0, "--continuity-weight", metavar="MIN", min=0,
        help="Minutes of travel a visit outside the client's named team is worth avoiding."),
    max_hours: Optional[float] = typer.Option(
        None, "--max-hours", metavar="H", min=0.5, max=24, help="Most contact plus travel hours per worker per day."),
    pay_model: str = typer.Option("floor", "--pay-model", help="Pay in the planned rota: floor (contact, travel "
                                  "and waiting at the wage floor), contact (contact only) or keep."),
    time_limit: float = typer.Option(10.0, "--time-limit", metavar="SEC", min=0.1, help="Search time per day."),
    solution_limit: Optional[int] = typer.Option(
        None, "--solution-limit", metavar="N", min=1, help="Stop each day after N solutions (reproducible runs)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Shuffle the visits' order before solving (0: file order)."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Days solved at once \\[default: one per core]."),
    wage: Optional[str] = typer.Option(None, "--wage", help="Wage floor: nlw, rlw or £ an hour. \\[default: nlw]"),
    paid_gap: Optional[float] = typer.Option(None, "--paid-gap", metavar="MIN", help="As for audit. \\[default: 60]"),
    split_gap: Optional[float] = typer.Option(None, "--split-gap", metavar="MIN", help="As for audit. \\[default: 180]"),
    min_visit: Optional[float] = typer.Option(None, "--min-visit", metavar="MIN", help="As for audit. \\[default: 30]"),
    continuity: Optional[float] = typer.Option(None, "--continuity", metavar="SHARE", help="As for audit. \\[default: 0.90]"),
    team_size: Optional[int] = typer.Option(None, "--team-size", metavar="N", help="As for audit. \\[default: 4]"),
    mode: Optional[str] = typer.Option(None, "--mode", help="Travel mode of workers without one. \\[default: drive]"),
    speed_kmh: list[str] = typer.Option([], "--speed-kmh", metavar="[MODE=]KMH", help="As for audit (repeatable)."),
    circuity: list[str] = typer.Option([], "--circuity", metavar="[MODE=]FACTOR", help="As for audit (repeatable)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Format of the before/after report (stdout)."),
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the report only: no notes or progress."),
) -> None:
    """Plan the same visits with least travel, the named team kept and travel paid; show before and after."""
    from carerota import report
    from carerota.load import load_clients, load_rota, load_workers
    from carerota.plan import PlanSettings, plan_rota  # OR-Tools loads only for the commands that plan

    err = report.stderr_console(quiet)
    settings = settings_from_options(
        err, setting_flags(locals()), period_start=None, as_of=None, speed_kmh=speed_kmh, circuity=circuity)
    plan = checked(lambda _: PlanSettings(flex=flex, fix_short=fix_short, continuity_weight=continuity_weight,
                                          max_hours=max_hours, time_limit=time_limit, solution_limit=solution_limit,
                                          seed=seed, jobs=jobs, pay_model=pay_model.strip().lower()),
                   None, "--pay-model")
    reading = reading_from_options(locals())
    check_output_folder(output)
    with input_errors(err):
        with report.working(err, "Reading the rota…"):
            loaded = load_rota(rota, reading)
            settings = with_travel_matrix(settings, travel_matrix, reading)
            client_table = load_clients(clients, reading) if clients else None
            worker_table = load_workers(workers, reading) if workers else None
        days = loaded.visits["start"].dt.tz_convert("Europe/London").dt.date.nunique()
        with report.progress(err, days, "Planning days") as advance:
            result = plan_rota(loaded, clients=client_table, workers=worker_table, plan=plan, settings=settings,
                               progress=advance)

    report.print_notes(err, result.notes)
    if output is not None:
        write_output(report.planned_csv(result.planned), output)
    if fmt is Format.json:
        write_output(report.plan_to_json(result), None)
    elif fmt is Format.csv:
        write_output(report.plan_to_csv(result), None)
    else:
        report.render_plan(result, report.Console(highlight=False), loaded.name,
                           str(output) if output else None)
    raise typer.Exit(result.exit_code)


SYNTH_EXAMPLES = """
[bold]Examples[/bold]

  carerota synth --output demo
  carerota audit demo/rota.csv --clients demo/clients.csv --workers demo/workers.csv
  carerota synth --town lambeth --workers 200 --weeks 4 --output lambeth
  carerota synth --centre 53.80,-1.55 --radius-km 12 --seed 7 --output leeds
  carerota synth --workers 5000 --clients 15000 --weeks 4 --quiet --output big   # about a million visits

Towns for --town: """ + ", ".join(TOWNS) + """. The same options and seed give byte-identical files.
Exit codes: 0 files written, 2 usage error.
"""


@app.command("synth", epilog=SYNTH_EXAMPLES)
def synth_command(
    output: Path = typer.Option(..., "--output", "-o", metavar="DIR",
                                help="Folder for rota.csv, clients.csv and workers.csv (created if missing)."),
    workers: int = typer.Option(50, "--workers", min=1, help="Care workers."),
    clients: Optional[int] = typer.Option(
        None, "--clients", min=1, help=f"Clients, at most {MAX_CLIENTS_PER_WORKER} per worker "
        "\\[default: two and a half per worker]."),
    weeks: int = typer.Option(1, "--weeks", min=1, help="Weeks of visits."),
    start: str = typer.Option("2026-11-02", "--start", metavar="DATE", help="First day of the rota."),
    town: Optional[str] = typer.Option(None, "--town", metavar="NAME",
                                       help="A preset area (centre and radius): " + ", ".join(TOWNS) + "."),
    centre: Optional[str] = typer.Option(
        None, "--centre", metavar="LAT,LON", help="Centre of the area served \\[default: Huddersfield]."),
    radius_km: Optional[float] = typer.Option(
        None, "--radius-km", metavar="KM", help="Radius of the area served \\[default: 5, or the town's]."),
    seed: int = typer.Option(1, "--seed", min=0, help="Random seed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing."),
) -> None:
    """Generate a realistic synthetic rota, clients and workers to try carerota on (deterministic)."""
    from carerota.synth import SpecError, SynthSpec, synthesise, write

    if town is not None and centre is not None:
        raise typer.BadParameter("give --town or --centre, not both", param_hint="--town")
    where, radius = SynthSpec.centre, SynthSpec.radius_km
    if town is not None:
        if town.strip().lower() not in TOWNS:
            raise typer.BadParameter(f"unknown town {town!r}; expected one of {', '.join(TOWNS)}",
                                     param_hint="--town")
        *where, radius = TOWNS[town.strip().lower()]
    if centre is not None:
        try:
            where = [float(x) for x in centre.split(",")]
            if len(where) != 2:
                raise ValueError
        except ValueError:
            raise typer.BadParameter(f"expected LAT,LON such as 53.645,-1.785; got {centre!r}",
                                     param_hint="--centre") from None
    try:
        first_day = date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(f"expected a date such as 2026-11-02, got {start!r}", param_hint="--start") from None
    if output.exists() and not output.is_dir():
        raise typer.BadParameter(f"{output} is a file, not a folder", param_hint="--output")
    try:
        spec = SynthSpec(workers=workers, clients=clients, weeks=weeks, start=first_day, centre=tuple(where),
                         radius_km=radius if radius_km is None else radius_km, seed=seed)
    except SpecError as error:
        raise typer.BadParameter(str(error), param_hint="--" + error.field.replace("_", "-")) from None

    result = synthesise(spec)
    try:
        paths = write(result, output)
    except OSError as error:
        from carerota import report

        report.print_error(report.stderr_console(quiet), f"{output}: cannot write: {error.strerror}")
        raise typer.Exit(EXIT_ERROR) from None
    if not quiet:
        rota = result.rota
        typer.echo(f"{rota['visit_id'].nunique():,} visits ({len(rota):,} rows: a double-up has one per carer) "
                   f"by {spec.workers:,} workers to {spec.n_clients:,} clients, "
                   f"{spec.start:%Y-%m-%d} to {spec.start + timedelta(days=spec.days - 1):%Y-%m-%d}, "
                   f"within {spec.radius_km:g} km of {spec.centre[0]:g},{spec.centre[1]:g}")
        for path in paths:
            typer.echo(f"  wrote {path}")
        typer.echo(f"Audit it: carerota audit {paths[0]} --clients {paths[1]} --workers {paths[2]}")


class Locations(str, Enum):
    matrix = "matrix"
    displace = "displace"


CONVERT_EXAMPLES = """
[bold]Examples[/bold]

  carerota convert rota.csv --to parquet rota.parquet/
  carerota convert 'exports/*.csv' --to parquet region/ --period month
  carerota audit region/ --engine dask --clients clients.csv

Every file is checked as the audit checks it, and written with the columns the audit reads, as text
(so a cell means what it meant in the export), plus source_file and source_row: an audit of the
dataset names the rows of the original files. Folders are period=YYYY-MM-DD, the first day of each
visit's pay reference period.

Exit codes: 0 written, 2 usage or input error (nothing is written for a file that cannot be read).
"""


@app.command("convert", epilog=CONVERT_EXAMPLES)
def convert_command(
    rota: str = typer.Argument(..., metavar="DATASET", help="Rota file, folder or quoted glob ('-' reads stdin)."),
    to: ConvertTo = typer.Option(..., "--to", help="Format to write."),
    out: Path = typer.Argument(..., metavar="OUT", help="Folder for the dataset (new or empty)."),
    period: Optional[str] = PERIOD_OPTION,
    period_start: Optional[str] = PERIOD_START_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the files an earlier convert wrote in OUT."),
    fmt: Format = WRITTEN_FORMAT_OPTION,
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Write a rota dataset as Parquet partitioned by pay period, for fast repeated audits."""
    from carerota import report
    from carerota.dataset import convert

    err = report.stderr_console(quiet)
    check_written_format(fmt)
    settings = settings_from_options(err, setting_flags(locals()), period_start=period_start, as_of=None,
                                     speed_kmh=[], circuity=[])
    reading = reading_from_options(locals())
    check_output_folder(out, "OUT")
    with input_errors(err):
        with report.working(err, "Converting…"):
            done = convert(rota, out, reading, settings.periods, overwrite=overwrite)
    if quiet:
        raise typer.Exit(0)
    if fmt is Format.json:
        write_output(report.converted_to_json(done), None)
    else:
        report.render_converted(done, report.Console(highlight=False))


ANONYMISE_EXAMPLES = """
[bold]Examples[/bold]

  carerota anonymise rota.csv --key-file provider.key --output shared.csv
  carerota anonymise rota.csv --clients clients.csv --workers workers.csv --key-file provider.key \\
      --output share/rota.csv --lookup private/lookup.csv
  carerota anonymise rota.csv --key-file provider.key --output shared.csv --locations displace --tolerance-minutes 2

Writes OUTPUT (the rota) and beside it OUTPUT-clients.csv, OUTPUT-workers.csv, OUTPUT-payslips.csv
(for the files given) and OUTPUT-travel.csv (with --locations matrix), and prints the command that
audits them. Worker, client and visit ids become HMAC-SHA256 pseudonyms under the key: the same key
gives the same pseudonyms, so keep it private (a missing key file is made, readable by you only).
Only the columns the audit needs are copied. See docs/privacy.md.

Exit codes: 0 files written, 2 usage or input error.
"""


@app.command("anonymise", epilog=ANONYMISE_EXAMPLES)
def anonymise_command(
    rota: str = typer.Argument(..., metavar="ROTA", help="Rota CSV, one row per visit ('-' reads stdin)."),
    key_file: Path = typer.Option(..., "--key-file", metavar="KEY",
                                  help="Secret key for the pseudonyms (made if the file does not exist)."),
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", help="Where to write the anonymised rota."),
    clients: Optional[Path] = CLIENTS_OPTION,
    workers: Optional[Path] = WORKERS_OPTION,
    payslips: Optional[Path] = PAYSLIPS_OPTION,
    travel_matrix: Optional[Path] = TRAVEL_MATRIX_OPTION,
    locations: Locations = typer.Option(
        Locations.matrix, "--locations",
        help="Replace client homes by a travel matrix of the rota's journeys (exact figures), or displace them "
        "(planning still works; journeys change by at most --tolerance-minutes)."),
    tolerance_minutes: float = typer.Option(
        1.0, "--tolerance-minutes", metavar="MIN", help="Largest change to any journey with --locations displace."),
    lookup: Optional[Path] = typer.Option(
        None, "--lookup", metavar="FILE", help="Also write kind,id,pseudonym to FILE: for you, never to share."),
    mode: Optional[str] = MODE_OPTION,
    speed_kmh: list[str] = SPEED_KMH_OPTION,
    circuity: list[str] = CIRCUITY_OPTION,
    fmt: Format = WRITTEN_FORMAT_OPTION,
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    postcodes: Optional[Path] = POSTCODES_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Share a rota without the people in it: keyed pseudonyms, no names or free text, no addresses."""
    from carerota import report
    from carerota.anonymise import KeyFileError, anonymise, anonymised_paths, read_key

    err = report.stderr_console(quiet)
    check_written_format(fmt)
    if not tolerance_minutes > 0:
        raise typer.BadParameter(f"expected minutes above 0, got {tolerance_minutes:g}", param_hint="--tolerance-minutes")
    settings = settings_from_options(err, setting_flags(locals()), period_start=None, as_of=None,
                                     speed_kmh=speed_kmh, circuity=circuity)
    reading = reading_from_options(locals())
    paths = anonymised_paths(output)
    inputs = {Path(p).resolve() for p in (rota, clients, workers, payslips, travel_matrix, key_file)
              if p is not None and str(p) != "-"}
    for option, path in (("--output", output), ("--lookup", lookup)):
        check_output_folder(path, option)
    for name, path in [*paths.items(), ("lookup", lookup)]:
        if path is not None and path.resolve() in inputs:
            raise typer.BadParameter(f"{path} is one of the input files; choose another name",
                                     param_hint="--lookup" if name == "lookup" else "--output")
    try:
        key, made = read_key(key_file)
    except (KeyFileError, OSError) as error:
        raise typer.BadParameter(str(error), param_hint="--key-file") from None
    if made:
        err.print(f"Made a new key in {key_file}: keep it private. The same key gives the same pseudonyms; "
                  "without it nobody can tell who is who.", highlight=False)
    with input_errors(err):
        with report.working(err, "Anonymising…"):
            settings = with_travel_matrix(settings, travel_matrix, reading)
            result = anonymise(rota, key, clients=clients, workers=workers, payslips=payslips,
                               travel=settings.travel, reading=reading, locations=locations.value,
                               tolerance_minutes=tolerance_minutes)
    written = {}
    for name, frame in (("rota", result.rota), ("clients", result.clients), ("workers", result.workers),
                        ("payslips", result.payslips), ("travel", result.travel)):
        if frame is not None:
            write_output(frame.to_csv(index=False, lineterminator="\n"), paths[name])
            written[name] = paths[name]
    if lookup is not None:
        write_output(report.csv_text(result.lookup), lookup, private=True)
    if not quiet:
        if fmt is Format.json:
            write_output(report.anonymised_to_json(result, written, lookup), None)
        else:
            report.render_anonymised(result, written, lookup, report.Console(highlight=False))


class FileKind(str, Enum):
    rota = "rota"
    clients = "clients"
    workers = "workers"
    payslips = "payslips"
    travel_matrix = "travel-matrix"


COLUMNS_EXAMPLES = """
[bold]Examples[/bold]

  carerota columns export.csv
  carerota columns claims.csv --profile portal-claim
  carerota columns visits.xlsx --sheet Visits --map worker_id=CarerRef --map start=StartTimeClaimed
  carerota columns staff.csv --kind workers --format json

Exit codes: 0 every required field has a column, 1 some required field is missing (or a --map names no
column), 2 the file cannot be read.
"""


@app.command("columns", epilog=COLUMNS_EXAMPLES)
def columns_command(
    file: str = typer.Argument(..., metavar="FILE", help="A CSV, TSV or spreadsheet ('-' reads stdin)."),
    kind: FileKind = typer.Option(FileKind.rota, "--kind", help="Which input the file is."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of stdout."),
    encoding: str = ENCODING_OPTION,
    delimiter: Optional[str] = DELIMITER_OPTION,
    sheet: Optional[str] = SHEET_OPTION,
    maps: list[str] = MAP_OPTION,
    profile: str = PROFILE_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the report only."),
) -> None:
    """Show how each column of a file would be read, and which required fields are missing, before any audit."""
    from carerota import report

    err = report.stderr_console(quiet)
    reading = reading_from_options(locals())
    check_output_folder(output)
    with input_errors(err):
        layout = inspect(file, kind.value, reading)
    if fmt is Format.json:
        write_output(report.layout_to_json(layout), output)
    elif fmt is Format.csv:
        write_output(report.layout_to_csv(layout), output)
    else:
        write_table(lambda console: report.render_layout(layout, console), output)
    raise typer.Exit(1 if layout.problems else 0)


SCHEMA_EXAMPLES = """
[bold]Examples[/bold]

  carerota schema
  carerota schema rota --format json > rota.schema.json
  carerota schema --format csv
"""


@app.command("schema", epilog=SCHEMA_EXAMPLES)
def schema_command(
    kind: Optional[FileKind] = typer.Argument(None, metavar="[KIND]", help="One input: rota, clients, workers, "
                                               "payslips or travel-matrix \\[default: all]."),
    fmt: Format = FORMAT_OPTION,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write it to FILE instead of stdout."),
) -> None:
    """Print the canonical input format: fields, types, units and the names they are read from (JSON Schema with --format json)."""
    from carerota import report

    check_output_folder(output)
    name = kind.value if kind else None
    if fmt is Format.json:
        write_output(json.dumps(json_schema(name), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt is Format.csv:
        write_output(report.schema_to_csv(name), output)
    else:
        write_table(lambda console: report.render_schema(name, console), output)


postcodes_app = typer.Typer(
    help="The offline postcode table: import the ONS Postcode Directory once, then postcodes in rotas "
    "resolve to coordinates.", no_args_is_help=True, rich_markup_mode="rich")
app.add_typer(postcodes_app, name="postcodes")

POSTCODES_EXAMPLES = """
[bold]Examples[/bold]

  carerota postcodes import ~/Downloads/ONSPD_FEB_2026_UK.zip
  carerota postcodes import NSPL_FEB_2026_UK.csv --postcodes ./postcodes.npz
  carerota postcodes info
  carerota postcodes lookup "hd1 2ta" "LS1 4AP" --format json

Download the ONS Postcode Directory (ONSPD) or National Statistics Postcode Lookup (NSPL), zip or CSV,
from the ONS Open Geography Portal: https://geoportal.statistics.gov.uk/ (Open Government Licence).
"""


@postcodes_app.command("import", epilog=POSTCODES_EXAMPLES)
def postcodes_import(
    file: Path = typer.Argument(..., metavar="FILE", help="ONSPD or NSPL: the zip as downloaded, or its CSV."),
    postcodes: Optional[Path] = POSTCODES_OPTION,
    fmt: Format = FORMAT_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print the summary only: no progress."),
) -> None:
    """Build the postcode table from the ONS Postcode Directory (once per edition)."""
    from carerota import postcodes as postcode_tables
    from carerota import report

    err = report.stderr_console(quiet)
    out = postcodes or postcode_tables.default_path()
    try:
        with input_errors(err), report.steps(err, "Importing postcodes", in_bytes=True) as update:
            summary = postcode_tables.import_table(file, out, progress=update)
    except OSError as error:
        report.print_error(err, f"{out}: cannot write the postcode table: {error.strerror}")
        raise typer.Exit(EXIT_ERROR) from None
    print_record(report.import_record(summary), fmt, "Postcode table imported")


@postcodes_app.command("info", epilog=POSTCODES_EXAMPLES)
def postcodes_info(
    postcodes: Optional[Path] = POSTCODES_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Where the postcode table is, its edition and counts, and the attribution its licence requires."""
    from carerota import postcodes as postcode_tables
    from carerota import report

    err = report.stderr_console()
    with input_errors(err):
        record = report.table_record(postcode_tables.PostcodeTable.load(postcodes))
    print_record(record, fmt, "Postcode table")


def print_record(record: dict, fmt: Format, title: str) -> None:
    """A postcode table's description as JSON, CSV or a terminal table, to stdout."""
    from carerota import report

    if fmt is Format.json:
        write_output(json.dumps(record, indent=2, ensure_ascii=False) + "\n", None)
    elif fmt is Format.csv:
        write_output(report.record_to_csv(record), None)
    else:
        report.render_postcode_table(record, report.Console(highlight=False), title)


@postcodes_app.command("lookup", epilog=POSTCODES_EXAMPLES)
def postcodes_lookup(
    codes: list[str] = typer.Argument(..., metavar="POSTCODE...", help="Postcodes, any case and spacing."),
    postcodes: Optional[Path] = POSTCODES_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Look postcodes up in the table. Exit 1 if any is not a live postcode with a location."""
    import pandas as pd

    from carerota import postcodes as postcode_tables
    from carerota import report

    err = report.stderr_console()
    with input_errors(err):
        table = postcode_tables.PostcodeTable.load(postcodes)
    found = table.lookup(pd.Series(codes, dtype="string"))
    found.insert(0, "input", codes)
    if fmt is Format.json:
        write_output(report.lookup_to_json(found, table.attribution()), None)
    elif fmt is Format.csv:
        write_output(report.lookup_to_csv(found), None)
    else:
        report.render_lookup(found, table.attribution(), report.Console(highlight=False))
    raise typer.Exit(0 if (found["status"] == "ok").all() else 1)


def main() -> None:
    """Console entry point: no traceback for anything we did not expect, and out as soon as the
    command is done (``leave``). SIGPIPE stays ignored, as Python sets it: a closed stdout (``| head``)
    is an error Typer ends quietly, with exit code 1, while the default action would kill the command
    whenever any pipe's reader goes: a batch's worker process stopped by Ctrl-C did, as the pool
    told it to stop."""
    try:
        app()
    except SystemExit as done:
        leave(done.code)
    except KeyboardInterrupt:  # output files are left as they were (write_output)
        with suppress(KeyboardInterrupt):  # a second Ctrl-C while the report module imports: quietly
            from carerota import report

            report.print_error(report.stderr_console(), "interrupted")
        leave(130)
    except Exception as error:  # a bug: say so plainly, with the traceback only on request
        if os.environ.get("CAREROTA_DEBUG"):
            raise
        from carerota import report

        report.print_error(report.stderr_console(), f"internal error: {type(error).__name__}: {error} "
                           "(set CAREROTA_DEBUG=1 to see the traceback, and please report it)")
        leave(EXIT_ERROR)


def leave(code: int | str | None) -> None:
    """Exit with ``code`` without tearing the interpreter down. The command's work is done and its
    files are closed (``write_output``); what is left is freeing, object by object, the libraries and
    a result that may hold a million visits (0.09 s), and waiting for a rota still being read ahead
    when an error stopped the command early. Only the standard streams need flushing first."""
    if not isinstance(code, int):  # sys.exit("message") or sys.exit(None): Python's own handling
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed or broken stream: nothing more can be said on it
            stream.flush()
    os._exit(code)
