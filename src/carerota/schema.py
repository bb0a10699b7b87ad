"""The canonical input format: every field of every input file, its type, unit and the names it may
go by in an export, and the profiles of known export layouts.

One table drives reading (header matching), ``carerota columns`` (how a file would be read) and
``carerota schema`` (the format printed for people, or as JSON Schema for other tools), so the three
cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# kind → (JSON Schema, what a cell looks like)
KINDS: dict[str, tuple[dict, str]] = {
    "text": ({"type": "string"}, "text"),
    "datetime": ({"type": "string"},
                 "date and time: 2026-11-02 08:00, 2026-11-02T08:00:00+00:00 or 02/11/2026 08:00; "
                 "or a time of day (08:00) with a date column"),
    "date": ({"type": "string"}, "date: 2026-11-02 or 02/11/2026"),
    "duration": ({"type": ["number", "string"]}, "minutes (30) or HH:MM[:SS] (00:30)"),
    "number": ({"type": "number"}, "number"),
    "money": ({"type": "number", "minimum": 0}, "amount in pounds (12.21 or £12.21)"),
    "integer": ({"type": "integer", "minimum": 1}, "whole number"),
    "boolean": ({"type": "boolean"}, "true/false, yes/no or 1/0"),
    "mode": ({"enum": ["drive", "walk", "cycle", "transit"]}, "drive, walk, cycle or transit"),
    "shifts": ({"type": "string"}, "shifts: Mon 07:00-13:00; 2026-11-24 08:00-12:00; daily 09:00-17:00"),
}


@dataclass(frozen=True)
class Column:
    """A canonical field: its kind, what it means, the names it may go by, and whether a file must
    have it (``instead``: another field that may stand in for it, as a duration for an end)."""

    kind: str
    description: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    unit: str = ""
    instead: str = ""


ROTA = {
    "visit_id": Column("text", "Identifies the visit (rows of one double-up may share it); the row number "
                       "when blank.", ("visit_ref", "visit_no", "visit_number", "call_id", "appointment_id",
                                       "booking_id", "booking_ref")),
    "worker_id": Column("text", "The care worker who made the visit.",
                        ("worker", "carer_id", "carer", "carer_ref", "carer_reference", "care_worker_id",
                         "care_worker", "carer_name", "staff_id", "staff_ref", "employee_id", "worker_ref"),
                        required=True),
    "client_id": Column("text", "The client (service user) visited.",
                        ("client", "client_ref", "client_name", "service_user_id", "service_user",
                         "service_user_ref", "su_id", "su_ref", "customer_id"), required=True),
    "start": Column("datetime", "Planned start, UK local time unless an offset is given.",
                    ("start_time", "planned_start", "planned_start_time", "scheduled_start", "start_datetime",
                     "visit_start", "rostered_start"), required=True),
    "end": Column("datetime", "Planned end.",
                  ("end_time", "planned_end", "planned_end_time", "scheduled_end", "end_datetime", "visit_end",
                   "rostered_end"), required=True, instead="duration"),
    "date": Column("date", "Date of the visit, where start and end are times of day.",
                   ("visit_date", "date_of_visit", "service_date", "shift_date")),
    "duration": Column("duration", "Planned length, where there is no end.",
                       ("duration_minutes", "planned_duration", "planned_minutes", "visit_length",
                        "length_minutes"), unit="minutes"),
    "actual_start": Column("datetime", "Check-in from call monitoring.",
                           ("check_in", "checkin", "actual_start_time", "clock_in", "arrival_time", "arrived")),
    "actual_end": Column("datetime", "Check-out from call monitoring.",
                         ("check_out", "checkout", "actual_end_time", "clock_out", "departure_time", "departed")),
    "actual_duration": Column("duration", "Length from call monitoring, where there is no check-out.",
                              ("actual_minutes", "actual_duration_minutes", "duration_delivered"), unit="minutes"),
    "lat": Column("number", "Latitude of the client's home (WGS84).", ("latitude",), unit="degrees"),
    "lon": Column("number", "Longitude of the client's home (WGS84).", ("longitude", "lng", "long"), unit="degrees"),
    "postcode": Column("text", "Postcode of the client's home, when there is no lat/lon.",
                       ("post_code", "postal_code", "client_postcode")),
    "visit_pay": Column("money", "Pay for the visit (per-visit pay schemes).", ("pay_per_visit", "visit_fee"),
                        unit="£"),
    "hourly_rate": Column("money", "Pay per hour of the visit.", ("rate_per_hour", "pay_rate", "hourly_pay"),
                          unit="£ an hour"),
    "travel_pay": Column("money", "Pay for travel to the visit.", ("travel_payment",), unit="£"),
    "mileage_pay": Column("money", "Mileage allowance (an expense, not pay).", ("mileage", "mileage_allowance"),
                          unit="£"),
    "visit_type": Column("text", "Kind of visit (personal care, medication, ...).", ("service_type", "call_type")),
    "agreed_short": Column("boolean", "A visit under the minimum length agreed with the client.", ("short_agreed",)),
    "window_start": Column("datetime", "Earliest start the client accepts (for planning).",
                           ("earliest_start", "window_from")),
    "window_end": Column("datetime", "Latest start the client accepts (for planning).", ("latest_start", "window_to")),
    "required_skill": Column("text", "Skill the visit needs (for planning).", ("skill", "skill_required")),
    "carers": Column("integer", "Carers the visit needs (2 for a double-up).",
                     ("number_of_carers", "carers_required", "staff_required", "no_of_carers")),
}

CLIENTS = {
    "client_id": ROTA["client_id"],
    "lat": ROTA["lat"],
    "lon": ROTA["lon"],
    "postcode": Column("text", "Postcode of the client's home, when there is no lat/lon.", ("post_code", "postal_code")),
    "named_team": Column("text", "The client's named team: worker ids separated by ;.", ("team", "named_workers")),
}

WORKERS = {
    "worker_id": ROTA["worker_id"],
    "age": Column("number", "Age, for the wage-floor band.", unit="years"),
    "date_of_birth": Column("date", "Date of birth, for the wage-floor band on each date.", ("dob", "birth_date")),
    "travel_mode": Column("mode", "How the worker travels between visits.", ("mode", "transport")),
    "london": Column("boolean", "Works in London (London Living Wage with --wage rlw).",
                     ("in_london", "london_weighting")),
    "home_lat": Column("number", "Latitude of the worker's home (for planning).", ("home_latitude",), unit="degrees"),
    "home_lon": Column("number", "Longitude of the worker's home (for planning).", ("home_longitude", "home_lng"),
                       unit="degrees"),
    "home_postcode": Column("text", "Postcode of the worker's home, when there is no home_lat/home_lon.",
                            ("home_post_code",)),
    "skills": Column("text", "Skills, separated by ; (for planning).", ("skill_set", "qualifications")),
    "availability": Column("shifts", "When the worker can work (for planning).", ("available", "shifts")),
}

PAYSLIPS = {
    "worker_id": ROTA["worker_id"],
    "period_start": Column("date", "First day of the pay reference period.", ("pay_period_start", "from"),
                           required=True),
    "period_end": Column("date", "Last day of the pay reference period.", ("pay_period_end", "to"), required=True),
    "gross_pay": Column("money", "Gross pay for the period, as the payslip states it.", ("gross", "pay"),
                        required=True, unit="£"),
    "expenses": Column("money", "Expenses within gross pay (not pay for minimum-wage purposes).",
                       ("expenses_paid",), unit="£"),
}

TRAVEL_MATRIX = {
    "from_client": Column("text", "Client the leg starts at.", ("from", "origin"), required=True),
    "to_client": Column("text", "Client the leg ends at.", ("to", "destination"), required=True),
    "minutes": Column("number", "Travel time.", ("travel_minutes", "duration_minutes"), required=True, unit="minutes"),
    "km": Column("number", "Road distance (for mileage).", ("distance_km",), unit="km"),
    "mode": Column("mode", "The travel mode the row is for; blank, or no column: every mode.", ("travel_mode",)),
}

FILES = {"rota": ROTA, "clients": CLIENTS, "workers": WORKERS, "payslips": PAYSLIPS,
         "travel-matrix": TRAVEL_MATRIX}


@dataclass(frozen=True)
class Profile:
    """A known export layout: which of its headers holds which canonical field. ``signature`` is the
    set of headers that identifies the layout when no --profile is given."""

    name: str
    title: str
    source: str
    columns: dict[str, str]
    signature: tuple[str, ...]


PROFILES = {
    "portal-claim": Profile(
        "portal-claim",
        "Council provider-portal claim (service delivery CSV): one row per carer per visit",
        "Provider Portal CSV service delivery file format, The Access Group: "
        "https://help-accessabacus.theaccessgroup.com/en/articles/14421513-csv-service-delivery-file-format",
        {"client_id": "ServiceUserRef", "date": "VisitDate", "start": "StartTimeClaimed",
         "duration": "DurationClaimed", "actual_start": "ActualStartTime", "actual_duration": "ActualDuration",
         "carers": "NumberOfCarers", "worker_id": "CarerRef", "visit_type": "ServiceType"},
        ("ServiceUserRef", "VisitDate", "StartTimeClaimed", "DurationClaimed"),
    ),
    "roster-export": Profile(
        "roster-export",
        "Generic rostering-system export: carer, client, postcode, planned and actual times of day",
        "carerota (the common shape of rostering exports; see examples/formats/README.md)",
        {"worker_id": "Carer", "client_id": "Client", "postcode": "Postcode", "date": "Date",
         "start": "Planned Start", "end": "Planned End", "actual_start": "Actual Start", "actual_end": "Actual End",
         "visit_id": "Visit Ref", "hourly_rate": "Hourly Rate", "visit_pay": "Visit Pay", "mileage_pay": "Mileage"},
        ("Carer", "Client", "Planned Start", "Planned End"),
    ),
}


def key(name: str) -> str:
    """How headers are compared: case, spaces, punctuation and a BOM ignored ("Start Time" = start_time =
    StartTime)."""
    return re.sub(r"[^0-9a-z]+", "", name.lstrip("\ufeff").lower())


def detect_profile(header: list[str]) -> Profile | None:
    """The profile whose signature headers all appear in ``header``, if any."""
    have = {key(h) for h in header}
    for profile in PROFILES.values():
        if all(key(h) in have for h in profile.signature):
            return profile
    return None


def json_schema(kind: str | None = None) -> dict:
    """JSON Schema (2020-12) of one row of each input file, or of one file's rows."""
    def one(name: str, fields: dict[str, Column]) -> dict:
        properties = {}
        for field_name, column in fields.items():
            spec, cell = KINDS[column.kind]
            properties[field_name] = {
                **spec, "description": f"{column.description} ({cell})",
                **({"x-unit": column.unit} if column.unit else {}),
                **({"x-aliases": list(column.aliases)} if column.aliases else {}),
            }
        required = [f for f, c in fields.items() if c.required and not c.instead]
        schema = {"title": f"carerota {name} row", "type": "object", "properties": properties,
                  "required": required}
        alternatives = [[f, c.instead] for f, c in fields.items() if c.required and c.instead]
        if alternatives:
            schema["allOf"] = [{"anyOf": [{"required": [a]}, {"required": [b]}]} for a, b in alternatives]
        return schema

    head = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if kind is not None:
        return head | one(kind, FILES[kind])
    return head | {"title": "carerota input files", "$defs": {name: one(name, f) for name, f in FILES.items()}}
