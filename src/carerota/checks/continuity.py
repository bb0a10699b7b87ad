"""Continuity of care: how much of each client's care comes from a small named team.

Citizens UK's care charter asks for "90% of care provided by small team of named primary care
workers"; NICE NG21 and UNISON's Ethical Care Charter ask for the same workers where possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd



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
    same per week (Monday to Sunday). Grouping runs on integer codes, not strings."""
    client, client_names = pd.factorize(v["client_id"].astype(str))
    worker, worker_names = pd.factorize(v["worker_id"].astype(str))
    hours = v["duration_s"].to_numpy() / 3600
    day = v["day"]
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy()
    n_workers = max(len(worker_names), 1)

    given = named_teams(clients)
    given_client = pd.Index(client_names).get_indexer(given["client_id"])
    given_worker = pd.Index(worker_names).get_indexer(given["worker_id"])
    has_team = np.zeros(len(client_names), bool)
    has_team[given_client[given_client >= 0]] = True
    named = given[given_client >= 0]
    keep = (given_client >= 0) & (given_worker >= 0)  # a named worker who never visited adds no hours
    team_keys = given_client[keep].astype("int64") * n_workers + given_worker[keep]

    by_worker = pd.DataFrame({"client": client, "worker": worker, "hours": hours}).groupby(
        ["client", "worker"], sort=False)["hours"].sum().reset_index()
    by_worker["name"] = worker_names.take(by_worker["worker"])
    ranked = by_worker[~has_team[by_worker["client"]]].sort_values(
        ["client", "hours", "name"], ascending=[True, False, True])
    inferred = ranked[ranked.groupby("client").cumcount() < policy.team_size]
    team_keys = np.concatenate([team_keys, inferred["client"].to_numpy().astype("int64") * n_workers
                                + inferred["worker"].to_numpy()])
    in_team = np.isin(client.astype("int64") * n_workers + worker, team_keys)
    team_hours = np.where(in_team, hours, 0.0)

    frame = pd.DataFrame({"client": client, "worker": worker, "hours": hours, "team_hours": team_hours,
                          "week": week})
    grouped = frame.groupby("client", sort=False)
    out = pd.DataFrame({
        "visits": grouped.size(), "hours": grouped["hours"].sum(), "distinct_workers": grouped["worker"].nunique(),
        "team_hours": grouped["team_hours"].sum(),
    })
    out.index = client_names.take(out.index)
    members = sorted(zip(
        np.concatenate([named["client_id"].to_numpy(dtype=object), client_names.take(inferred["client"])]),
        np.concatenate([named["worker_id"].to_numpy(dtype=object), worker_names.take(inferred["worker"])])))
    teams: dict[str, list[str]] = {}
    for member_client, member in members:  # one pass over team members, not visits
        teams.setdefault(member_client, []).append(member)
    out["named_team"] = out.index.map(lambda c: teams.get(c, []))
    out["team_inferred"] = ~has_team[pd.Index(client_names).get_indexer(out.index)]
    out["team_share"] = (out["team_hours"] / out["hours"]).where(out["hours"] > 0, 1.0)
    out["continuity_ok"] = out["team_share"] >= policy.target - 1e-12

    weekly = frame.groupby(["client", "week"], sort=True).agg(
        visits=("hours", "size"), hours=("hours", "sum"), distinct_workers=("worker", "nunique"),
        team_hours=("team_hours", "sum")).reset_index()
    weekly["team_share"] = (weekly["team_hours"] / weekly["hours"]).where(weekly["hours"] > 0, 1.0)
    weekly["client_id"] = client_names.take(weekly.pop("client"))
    out["max_distinct_workers_per_week"] = weekly.groupby("client_id")["distinct_workers"].max()
    weekly["week_start"] = pd.to_datetime(weekly.pop("week")).dt.date.astype(str)
    weekly[["hours", "team_share"]] = weekly[["hours", "team_share"]].round(4)
    weeks: dict[str, list[dict]] = {}
    for row in weekly.drop(columns="team_hours").to_dict(orient="records"):  # client-weeks, not visits
        weeks.setdefault(row.pop("client_id"), []).append(row)
    out["weeks"] = out.index.map(weeks)
    return out.drop(columns="team_hours").sort_index().rename_axis("client_id").reset_index()


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
