"""Make the same small rota in the layouts carerota reads, so each can be checked against the others.

Two days (Monday 2 and Tuesday 3 November 2026) of three care workers visiting six clients in
Aberdeen (postcodes AB11 6xx, whose coordinates are in tests/data/postcodes/onspd_sample.csv, a
sample of the ONS Postcode Directory). The rota has a double-up, a 15-minute visit, a late check-in,
a clipped visit and a visit that runs past midnight, so every reader path has something to carry.

Written next to this script:

* canonical.csv: carerota's own columns (start/end date-times, lat/lon);
* clients.csv: client_id, lat, lon, postcode, named_team;
* roster-export.csv: a rostering-system export: Carer, Client, Postcode, Date, times of day;
* portal-claim.csv: a council provider-portal claim: ServiceUserRef, VisitDate (DD/MM/YYYY),
  StartTimeClaimed, DurationClaimed, ActualStartTime, ActualDuration (HH:MM:SS), NumberOfCarers...;
* rota.xlsx: a spreadsheet with a date column, time cells and a duration column, on a sheet named
  "Visits" after a cover sheet.

Run from the project root: ``.venv/bin/python examples/formats/make_formats.py`` (needs openpyxl,
installed with the test extras). Deterministic: no randomness, fixed dates.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
POSTCODES = HERE.parent.parent / "tests" / "data" / "postcodes" / "onspd_sample.csv"
RATE = "12.71"

CLIENTS = {  # client → (postcode, named team)
    "SU101": ("AB11 6EW", "W1;W2"),
    "SU102": ("AB11 6EX", "W1;W3"),
    "SU103": ("AB11 6EY", "W2;W3"),
    "SU104": ("AB11 6FB", "W1;W2"),
    "SU105": ("AB11 6FD", "W3"),
    "SU106": ("AB11 6FX", "W2;W3"),
}

# worker, client, day, planned start, planned minutes, actual start (None: no call monitoring), actual minutes
VISITS = [
    ("W1", "SU101", 2, "07:00", 30, "07:02", 29),
    ("W1", "SU102", 2, "07:30", 15, "07:41", 15),
    ("W1", "SU104", 2, "07:45", 45, "07:58", 31),
    ("W2", "SU103", 2, "08:00", 30, "08:00", 30),
    ("W2", "SU106", 2, "08:30", 30, "09:10", 30),
    ("W2", "SU104", 2, "12:00", 30, "12:01", 30),
    ("W3", "SU104", 2, "12:00", 30, "12:02", 28),
    ("W3", "SU105", 2, "12:30", 60, "12:40", 55),
    ("W3", "SU102", 2, "23:30", 45, "23:50", 40),
    ("W1", "SU101", 3, "07:00", 30, "07:00", 30),
    ("W1", "SU103", 3, "07:30", 30, None, None),
    ("W2", "SU102", 3, "08:00", 15, "08:05", 12),
    ("W2", "SU105", 3, "08:15", 30, "08:20", 30),
    ("W3", "SU106", 3, "09:00", 45, "09:00", 20),
    ("W3", "SU101", 3, "10:00", 30, "10:03", 30),
]


def coordinates() -> dict[str, tuple[str, str]]:
    """Postcode → (lat, lon) text as the ONS Postcode Directory sample has it."""
    with POSTCODES.open(encoding="utf-8", newline="") as fh:
        return {row["pcds"]: (row["lat"], row["long"]) for row in csv.DictReader(fh)}


def when(day: int, hhmm: str) -> datetime:
    return datetime(2026, 11, day) + timedelta(hours=int(hhmm[:2]), minutes=int(hhmm[3:]))


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def write(name: str, header: list[str], rows: list[list]) -> None:
    with (HERE / name).open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def doubled(worker: str, client: str, day: int, start: str) -> tuple[bool, int]:
    """(is this row the second carer of a double-up, carers at the visit)."""
    same = [v for v in VISITS if v[1:4] == (client, day, start)]
    return same.index(next(v for v in same if v[0] == worker)) > 0, len(same)


def main() -> None:
    where = coordinates()
    write("clients.csv", ["client_id", "lat", "lon", "postcode", "named_team"],
          [[c, *where[pc], pc, team] for c, (pc, team) in CLIENTS.items()])

    canonical, roster, portal = [], [], []
    for n, (worker, client, day, start, minutes, actual, actual_minutes) in enumerate(VISITS, start=1):
        planned = when(day, start)
        checked_in = when(day, actual) if actual else None
        if checked_in and checked_in < planned - timedelta(hours=12):
            checked_in += timedelta(days=1)
        checked_out = checked_in + timedelta(minutes=actual_minutes) if checked_in else None
        fmt = "%Y-%m-%d %H:%M"
        postcode = CLIENTS[client][0]
        canonical.append([f"V{n:03d}", worker, client, planned.strftime(fmt),
                          (planned + timedelta(minutes=minutes)).strftime(fmt),
                          checked_in.strftime(fmt) if checked_in else "", checked_out.strftime(fmt) if checked_out else "",
                          *where[postcode], RATE])
        roster.append([f"V{n:03d}", worker, client, postcode, planned.strftime("%d/%m/%Y"), start,
                       (planned + timedelta(minutes=minutes)).strftime("%H:%M"), actual or "",
                       checked_out.strftime("%H:%M") if checked_out else "", RATE])
        secondary, carers = doubled(worker, client, day, start)
        portal.append(["CR-2026-45", "Week ending 08/11/2026", "2026-11-09T09:00:00", "PRV042", "HC-2026-7",
                       client, f"Service user {client[2:]}", "08/11/2026", "", "0", "", "HOME CARE",
                       planned.strftime("%d/%m/%Y"), f"{start}:00", clock(minutes),
                       f"{actual}:00" if actual else "", clock(actual_minutes) if actual else "",
                       "True" if secondary else "False", str(carers), worker])

    write("canonical.csv", ["visit_id", "worker_id", "client_id", "start", "end", "actual_start", "actual_end",
                            "lat", "lon", "hourly_rate"], canonical)
    write("roster-export.csv", ["Visit Ref", "Carer", "Client", "Postcode", "Date", "Planned Start", "Planned End",
                                "Actual Start", "Actual End", "Hourly Rate"], roster)
    write("portal-claim.csv", ["FileReference", "Description", "Created", "ProviderRef", "ContractNumber",
                               "ServiceUserRef", "ServiceUserDetails", "WeekEnding", "OurRef",
                               "ServiceUserContribution", "PaymentClaimed", "ServiceType", "VisitDate",
                               "StartTimeClaimed", "DurationClaimed", "ActualStartTime", "ActualDuration",
                               "SecondaryVisit", "NumberOfCarers", "CarerRef"], portal)
    spreadsheet(canonical)


def spreadsheet(canonical: list[list]) -> None:
    """The canonical rota as a coordinator's workbook: typed date, time and duration cells."""
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Rota for the week of 2 November 2026: see the Visits sheet."])
    sheet = book.create_sheet("Visits")
    sheet.append(["Visit ID", "Carer ID", "Client ID", "Visit Date", "Start Time", "Duration", "Check In",
                  "Check Out", "Latitude", "Longitude", "Hourly Rate"])
    for visit_id, worker, client, start, end, actual_start, actual_end, lat, lon, rate in canonical:
        s, e = datetime.fromisoformat(start), datetime.fromisoformat(end)
        sheet.append([visit_id, worker, client, s.date(), s.time(), e - s,
                      datetime.fromisoformat(actual_start) if actual_start else None,
                      datetime.fromisoformat(actual_end) if actual_end else None,
                      float(lat), float(lon), float(rate)])
        row = sheet.max_row
        sheet.cell(row, 4).number_format = "dd/mm/yyyy"
        sheet.cell(row, 5).number_format = "hh:mm"
        sheet.cell(row, 6).number_format = "[h]:mm"
    book.save(HERE / "rota.xlsx")


if __name__ == "__main__":
    main()
