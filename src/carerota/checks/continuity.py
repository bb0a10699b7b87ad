"""Continuity of care: how much of each client's care comes from a small named team.

Citizens UK's care charter asks for "90% of care provided by small team of named primary care
workers"; NICE NG21 and UNISON's Ethical Care Charter ask for the same workers where possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carerota.pay import local_dates


@dataclass(frozen=True)
class ContinuityPolicy:
    target: float = 0.90  # share of a client's hours from the named team
    team_size: int = 4  # workers in an inferred team


def named_teams(clients: pd.DataFrame | None) -> pd.DataFrame:
    """client_id, worker_id pairs from the clients file's ``named_team`` (ids separated by ;)."""
    if clients is None or "named_team" not in clients:
        return pd.DataFrame({"client_id": pd.Series(dtype=object), "worker_id": pd.Series(dtype=object)})
    team = clients["named_team"].fillna("").astype(str).str.split(";").explode().str.strip()
    team = team[team != ""]
    return pd.DataFrame({"client_id": team.index.astype(str), "worker_id": team.to_numpy()}).drop_duplicates()


def client_continuity(v: pd.DataFrame, clients: pd.DataFrame | None, policy: ContinuityPolicy) -> pd.DataFrame:
    """One row per client: visits, hours, distinct workers, the named team (inferred where none is
    given: the ``team_size`` workers who gave the most hours), the team's share of the hours, and the
    same per week (Monday to Sunday)."""
    visits = pd.DataFrame({
        "client_id": v["client_id"].astype(str).to_numpy(), "worker_id": v["worker_id"].astype(str).to_numpy(),
        "hours": v["duration_s"].to_numpy() / 3600,
    })
    day = local_dates(v["vstart"])
    visits["week"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.date.to_numpy()

    given = named_teams(clients)
    given = given[given["client_id"].isin(visits["client_id"].unique())]
    by_worker = visits.groupby(["client_id", "worker_id"], sort=False)["hours"].sum().reset_index()
    ranked = by_worker.sort_values(["client_id", "hours", "worker_id"], ascending=[True, False, True])
    inferred = ranked[~ranked["client_id"].isin(given["client_id"])]
    inferred = inferred[inferred.groupby("client_id").cumcount() < policy.team_size][["client_id", "worker_id"]]
    team = pd.concat([given, inferred], ignore_index=True)
    team["in_team"] = True

    visits = visits.merge(team, on=["client_id", "worker_id"], how="left")
    visits["team_hours"] = np.where(visits["in_team"].fillna(False).astype(bool), visits["hours"], 0.0)

    grouped = visits.groupby("client_id", sort=True)
    out = pd.DataFrame({
        "visits": grouped.size(),
        "hours": grouped["hours"].sum(),
        "distinct_workers": grouped["worker_id"].nunique(),
        "team_hours": grouped["team_hours"].sum(),
    })
    out["named_team"] = team.groupby("client_id")["worker_id"].agg(sorted).reindex(out.index)
    out["team_inferred"] = ~out.index.isin(given["client_id"])
    out["team_share"] = (out["team_hours"] / out["hours"]).where(out["hours"] > 0, 1.0)
    out["continuity_ok"] = out["team_share"] >= policy.target - 1e-12

    weekly = visits.groupby(["client_id", "week"], sort=True).agg(
        visits=("hours", "size"), hours=("hours", "sum"), distinct_workers=("worker_id", "nunique"),
        team_hours=("team_hours", "sum"))
    weekly["team_share"] = (weekly["team_hours"] / weekly["hours"]).where(weekly["hours"] > 0, 1.0)
    out["max_distinct_workers_per_week"] = weekly.groupby("client_id")["distinct_workers"].max()
    weekly = weekly.drop(columns="team_hours").reset_index(level="week").rename(columns={"week": "week_start"})
    out["weeks"] = weekly.groupby(level=0).apply(lambda w: w.to_dict(orient="records")).reindex(out.index)
    return out.drop(columns="team_hours").rename_axis("client_id").reset_index()


def continuity_findings(table: pd.DataFrame, policy: ContinuityPolicy) -> pd.DataFrame:
    below = table[~table["continuity_ok"]]
    if below.empty:
        return below
    team = below["named_team"].map(", ".join) + np.where(below["team_inferred"], ", inferred", ", named")
    share = (below["team_share"] * 100).round(0).astype(int).astype(str)
    return pd.DataFrame({
        "rule": "continuity-below-target",
        "client_id": below["client_id"],
        "amount": below["team_share"],
        "message": below["client_id"] + ": " + share + "% of " + below["hours"].round(2).astype(str)
        + " hours came from the team (" + team + f"); target {policy.target:.0%}, "
        + below["distinct_workers"].astype(str) + " different workers",
    })
