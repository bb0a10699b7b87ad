"""Readers for VRPLIB VRPTW instances and their .sol route files (DIMACS convention).

Arc length is the Euclidean distance truncated to one decimal, kept as an
integer number of tenths (floor(10·d)); travel time equals distance; service
is added at the origin. Times are scaled by 10 to match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Instance:
    name: str
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    def distances(self) -> np.ndarray:
        """Tenths of a unit, truncated: floor(10 · Euclidean distance)."""
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.floor(10 * np.sqrt((d**2).sum(axis=2)) + 1e-9).astype(np.int64)


def read_vrplib(path: Path) -> Instance:
    header, sections, current = {}, {}, None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("SECTION"):
            current = line
            sections[current] = []
        elif ":" in line and not line[0].isdigit():
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
        else:
            sections[current].append([float(x) for x in line.split()])
    coords = np.array(sections["NODE_COORD_SECTION"])[:, 1:]
    demand = np.array(sections["DEMAND_SECTION"])[:, 1].astype(np.int64)
    tw = np.array(sections["TIME_WINDOW_SECTION"])[:, 1:].astype(np.int64)
    n = len(coords)
    if "SERVICE_TIME_SECTION" in sections:
        service = np.array(sections["SERVICE_TIME_SECTION"])[:, 1].astype(np.int64)
    else:
        service = np.full(n, int(float(header.get("SERVICE_TIME", 0))), dtype=np.int64)
        service[0] = 0
    return Instance(header["NAME"], int(header["VEHICLES"]), int(header["CAPACITY"]),
                    coords, demand, tw[:, 0], tw[:, 1], service)


def read_sol(path: Path) -> tuple[list[list[int]], float]:
    routes, cost = [], math.nan
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    return routes, cost
