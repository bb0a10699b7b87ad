"""A provider's own policy: thresholds pinned in ``carerota.toml`` or ``[tool.carerota]`` of
``pyproject.toml`` in the current folder. A command-line flag beats the file; the file beats the
defaults. The report states which thresholds it used and where they came from.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from carerota.errors import InputError, Problem

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
        if name not in SETTINGS:
            raise InputError(Problem(str(path), f"unknown setting {key!r}; expected one of "
                                     + ", ".join(k.replace("_", "-") for k in SETTINGS)))
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


def resolve(flags: dict, policy: dict) -> dict:
    """Each setting from the flag if given, else the policy file, else its default."""
    return {name: flags.get(name) if flags.get(name) is not None else policy.get(name, default)
            for name, (_, default) in SETTINGS.items()}
