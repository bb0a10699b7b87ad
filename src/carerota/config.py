"""A provider's own policy: thresholds pinned in ``carerota.toml`` or ``[tool.carerota]`` of
``pyproject.toml`` in the current folder. A command-line flag beats the file; the file beats the
defaults. The report states which thresholds it used and where they came from.

Reading the policy needs no pandas: a command reads its options and policy, and starts reading its
input, before the audit's modules are imported (``audit_settings`` imports them when called).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from carerota.errors import InputError, Problem
from carerota.read import Reading, parse_mapping
from carerota.schema import FILES

if TYPE_CHECKING:
    from carerota.audit import AuditSettings
    from carerota.travel import TravelModel

# setting → (type, default)
SETTINGS: dict[str, tuple[type, object]] = {
    "wage": (str, "nlw"),
    "period": (str, "week"),
    "times": (str, "planned"),
    "paid_gap": (float, 60.0),
    "split_gap": (float, 180.0),
    "min_visit": (float, 30.0),
    "clip_tolerance": (float, 5.0),
    "late_after": (float, 30.0),
    "continuity": (float, 0.90),
    "team_size": (int, 4),
    "mode": (str, "drive"),
}


def read_policy(folder: Path) -> tuple[dict, str]:
    """Settings from ``carerota.toml``, else ``pyproject.toml``'s ``[tool.carerota]``, with the name
    of where they came from ("defaults" when neither exists)."""
    own, pyproject = folder / "carerota.toml", folder / "pyproject.toml"
    if own.is_file():
        return parse(own, lambda doc: doc), own.name
    if pyproject.is_file():
        table = parse(pyproject, lambda doc: doc.get("tool", {}).get("carerota"))
        if table is not None:
            return table, f"{pyproject.name} [tool.carerota]"
    return {}, "defaults"


def parse(path: Path, pick) -> dict | None:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(Problem(str(path), f"expected valid TOML: {err}")) from None
    table = pick(doc)
    if table is None:
        return None
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "tender" and isinstance(value, dict):
            out["tender"] = cost_overrides(path, value)
            continue
        if name == "columns" and isinstance(value, dict):
            out["columns"] = column_mapping(path, value)
            continue
        if name not in SETTINGS:
            raise InputError(Problem(str(path), f"unknown setting {key!r}; expected one of "
                                     + ", ".join(k.replace("_", "-") for k in SETTINGS)
                                     + ", or a [columns] or [tender] table"))
        kind = SETTINGS[name][0]
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is str and not isinstance(value, str) and not (name == "wage" and numeric):
            raise InputError(Problem(str(path), f"expected {key} to be text, got {value!r}"))
        if kind in (int, float) and not numeric:
            raise InputError(Problem(str(path), f"expected {key} to be a number, got {value!r}"))
        if kind is int and value != int(value):
            raise InputError(Problem(str(path), f"expected {key} to be a whole number, got {value!r}"))
        out[name] = str(value) if name == "wage" else kind(value)
    return out


def column_mapping(path: Path, table: dict) -> dict[str, str]:
    """The ``[columns]`` table: field = "Header" (``[columns.clients]`` for another file), as --map."""
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict) and key in FILES:
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise InputError(Problem(str(path), f"expected columns.{key} to be a column name, got {value!r}"))
    try:
        return parse_mapping(flat)
    except ValueError as error:
        raise InputError(Problem(str(path), f"[columns]: {error}")) from None


def cost_overrides(path: Path, table: dict) -> dict[str, float]:
    """The ``[tender]`` table: cost-model parameters (names as in ``carerota tender --cost``)."""
    out = {}
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(Problem(str(path), f"expected tender.{key} to be a number, got {value!r}"))
        out[key.replace("-", "_")] = float(value)
    return out


def resolve(flags: dict, policy: dict) -> dict:
    """Each setting from the flag if given, else the policy file, else its default."""
    return {name: flags.get(name) if flags.get(name) is not None else policy.get(name, default)
            for name, (_, default) in SETTINGS.items()}


class SettingError(ValueError):
    """A setting with a value that cannot be used; ``name`` is the setting (as in SETTINGS)."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(message)


def parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"expected a date such as 2026-11-02 or 02/11/2026, got {text!r}")


def coerce(name: str, text: str):
    """A setting's value from text (a manifest cell), by its type in SETTINGS."""
    kind = SETTINGS[name][0]
    try:
        value = kind(text.strip()) if kind is not int else int(float(text))
    except ValueError:
        raise SettingError(name, f"expected {'a number' if kind is not str else 'text'}, got {text!r}") from None
    if kind is int and value != float(text):
        raise SettingError(name, f"expected a whole number, got {text!r}")
    return value


def audit_settings(p: dict, *, period_start: str | None = None, as_of: str | None = None,
                   travel: TravelModel | None = None, checks: tuple[str, ...] | None = None,
                   policy_source: str = "defaults") -> AuditSettings:
    """AuditSettings from resolved settings (see ``resolve``); raises SettingError naming the bad one.

    The command line and a batch manifest both come through here, so a value is checked once, the
    same way, wherever it was given.
    """
    from carerota.audit import AuditSettings
    from carerota.checks.continuity import ContinuityPolicy
    from carerota.checks.visits import VisitPolicy
    from carerota.load import TRAVEL_MODES
    from carerota.pay import PayPeriods
    from carerota.rates import WageFloor
    from carerota.travel import TravelModel
    from carerota.worktime import GapRules

    mode = str(p["mode"]).strip().lower()
    if mode not in TRAVEL_MODES:
        raise SettingError("mode", f"expected one of {', '.join(TRAVEL_MODES)}, got {mode!r}")
    if p["times"] not in ("planned", "actual"):
        raise SettingError("times", f"expected planned or actual, got {p['times']!r}")
    for name in ("min_visit", "clip_tolerance", "late_after"):
        if not 0 <= p[name] <= 24 * 60:
            raise SettingError(name, f"expected minutes between 0 and 1440, got {p[name]:g}")
    if not 0 < p["continuity"] <= 1:
        raise SettingError("continuity", f"expected a share above 0 and at most 1, got {p['continuity']:g}")
    if p["team_size"] < 1:
        raise SettingError("team_size", f"expected at least 1, got {p['team_size']}")

    def checked(name: str, build):
        try:
            return build()
        except ValueError as error:
            raise SettingError(name, str(error)) from None

    anchor = checked("period_start", lambda: parse_date(period_start) if period_start else None)
    return AuditSettings(
        floor=checked("wage", lambda: WageFloor.parse(str(p["wage"]))),
        periods=checked("period", lambda: PayPeriods(str(p["period"]).strip().lower(), anchor)),
        rules=checked("paid_gap", lambda: GapRules(p["paid_gap"], p["split_gap"])),
        use_actual=p["times"] == "actual",
        travel=replace(travel or TravelModel(), default_mode=mode),
        as_of=checked("as_of", lambda: parse_date(as_of)) if as_of else date.today(),
        visit_policy=VisitPolicy(p["min_visit"], p["clip_tolerance"], p["late_after"]),
        continuity=ContinuityPolicy(p["continuity"], p["team_size"]),
        checks=checks or AuditSettings().checks,
        policy_source=policy_source,
    )


def with_travel_matrix(settings: AuditSettings, path: str | Path | None, reading: Reading = Reading()) -> AuditSettings:
    """The settings with their travel model using the matrix file, if one is given."""
    from carerota.load import load_travel_matrix

    if not path:
        return settings
    matrix = load_travel_matrix(path, reading)
    return replace(settings, travel=replace(settings.travel, matrix=matrix))
