"""Make the worked tender example: three bids for the same kind of work, one rota each.

* ``compact.csv`` — a town-centre patch (clients within 2 km), short hops, hour-long visits;
* ``rural.csv`` — a rural patch (clients within 14 km), long drives between short visits;
* ``mixed.csv`` — a market town and its villages (clients within 6 km).

Each is a week (Monday 7 to Friday 11 December 2026) of five workers on morning runs of visits,
ordered round the patch as a coordinator would, with the journey between visits allowed for at the
drive estimate rounded up to 5 minutes. Deterministic (numpy seed 20261207): running it again gives
byte-identical files. Run from the project root: ``.venv/bin/python examples/tenders/make_tenders.py``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SEED = 20261207
MONDAY = datetime(2026, 12, 7)
CENTRE = (53.7450, -2.0150)  # Hebden Bridge, West Yorkshire
KMH, CIRCUITY = 30.0, 1.3  # carerota's default drive model, so the allowed gaps match its estimates

PATCHES = {  # name: (radius km, clients, visit lengths in minutes and their weights)
    "compact": (2.0, 30, ([45, 60], [0.5, 0.5])),
    "mixed": (6.0, 30, ([30, 45, 60], [0.4, 0.3, 0.3])),
    "rural": (14.0, 30, ([30, 45], [0.7, 0.3])),
}


def place(rng: np.random.Generator, radius_km: float, n: int) -> pd.DataFrame:
    """n homes uniformly over a disc round CENTRE."""
    r = radius_km * np.sqrt(rng.random(n))
    theta = rng.random(n) * 2 * math.pi
    lat = CENTRE[0] + r * np.cos(theta) / 111.2
    lon = CENTRE[1] + r * np.sin(theta) / (111.2 * math.cos(math.radians(CENTRE[0])))
    return pd.DataFrame({"client_id": [f"C{i + 1:02d}" for i in range(n)], "lat": lat.round(5), "lon": lon.round(5),
                         "angle": theta})


def minutes(a: pd.Series, b: pd.Series) -> float:
    km = math.hypot((a.lat - b.lat) * 111.2, (a.lon - b.lon) * 111.2 * math.cos(math.radians(a.lat)))
    return km * CIRCUITY / KMH * 60


def rota(name: str, rng: np.random.Generator) -> pd.DataFrame:
    radius, n, (lengths, weights) = PATCHES[name]
    homes = place(rng, radius, n).sort_values("angle").reset_index(drop=True)
    runs = np.array_split(homes.index.to_numpy(), 5)  # each worker owns a slice of the patch
    rows = []
    for day in range(5):
        for w, run in enumerate(runs):
            clock = MONDAY + timedelta(days=day, hours=7)
            previous = None
            for i in run:
                home = homes.loc[i]
                if previous is not None:
                    clock += timedelta(minutes=5 * math.ceil(minutes(previous, home) / 5))
                length = int(rng.choice(lengths, p=weights))
                rows.append({"worker_id": f"W{w + 1}", "client_id": home.client_id,
                             "start": clock, "end": clock + timedelta(minutes=length),
                             "lat": f"{home.lat:.5f}", "lon": f"{home.lon:.5f}", "hourly_rate": "12.71"})
                clock += timedelta(minutes=length)
                previous = home
    out = pd.DataFrame(rows).sort_values(["start", "worker_id"]).reset_index(drop=True)
    out.insert(0, "visit_id", [f"{name[0].upper()}{i + 1:04d}" for i in range(len(out))])
    for col in ("start", "end"):
        out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M")
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    for name in PATCHES:
        table = rota(name, rng)
        table.to_csv(HERE / f"{name}.csv", index=False, lineterminator="\n")
        print(f"{name}.csv: {len(table)} visits")


if __name__ == "__main__":
    main()
