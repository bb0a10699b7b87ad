"""Continuity of care: how much of each client's care comes from a small named team.

Citizens UK's care charter asks for "90% of care provided by small team of named primary care
workers"; NICE NG21 and UNISON's Ethical Care Charter ask for the same workers where possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carerota.worktime import id_codes


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


def share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole``, 1.0 where there were no hours (nothing to fall short of)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / whole, 1.0)


def sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True) by hashing, not sorting a million keys: the distinct keys in
    order and each key's position among them."""
    codes, distinct = pd.factorize(keys, sort=True)
    return np.asarray(distinct), codes


def group_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins in a sorted array."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, int)


def client_continuity(v: pd.DataFrame, clients: pd.DataFrame | None, policy: ContinuityPolicy) -> pd.DataFrame:
    """One row per client: visits, hours, distinct workers, the named team (inferred where none is
    given: the ``team_size`` workers who gave the most hours), the team's share of the hours, and the
    same per week (Monday to Sunday). Everything is counted with numpy on integer codes (sorted, so
    code order is id order); the per-client lists (team, weeks) are arrow lists, built from flat
    arrays and offsets, not Python objects: ``output`` writes them as JSON with arrow's kernels."""
    client, client_names = id_codes(v, "client_id")
    worker, worker_names = id_codes(v, "worker_id")
    client_names, worker_names = client_names.astype(str), worker_names.astype(str)
    n_clients, n_workers = len(client_names), max(len(worker_names), 1)
    # summed in seconds, whole numbers that float sums hold exactly: the same totals in any visit order
    seconds = v["duration_s"].to_numpy()
    day = v["day"]
    week, week_starts = pd.factorize((day - pd.to_timedelta(day.dt.day_of_week, unit="D")).to_numpy(), sort=True)

    # time per (client, worker) pair
    pairs, pair_of_visit = sorted_unique(client.astype("int64") * n_workers + worker)
    pair_seconds = np.bincount(pair_of_visit, weights=seconds, minlength=len(pairs))
    pair_client, pair_worker = pairs // n_workers, pairs % n_workers

    given = named_teams(clients)
    given_client = pd.Index(client_names).get_indexer(given["client_id"])
    given_worker = pd.Index(worker_names).get_indexer(given["worker_id"])
    has_team = np.zeros(n_clients, bool)
    has_team[given_client[given_client >= 0]] = True
    named = given[given_client >= 0]
    # inferred teams: by hours, most first, ties to the lower worker id
    ranked = np.flatnonzero(~has_team[pair_client])
    ranked = ranked[np.lexsort((pair_worker[ranked], -pair_seconds[ranked], pair_client[ranked]))]
    ranked_client = pair_client[ranked]
    starts = group_starts(ranked_client)
    rank = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
    inferred = ranked[rank < policy.team_size]
    keep = (given_client >= 0) & (given_worker >= 0)  # a named worker who never visited adds no hours
    team_pairs = np.concatenate([given_client[keep].astype("int64") * n_workers + given_worker[keep],
                                 pairs[inferred]])
    team_seconds = np.where(np.isin(pairs, team_pairs)[pair_of_visit], seconds, 0.0)

    out = pd.DataFrame({
        "client_id": client_names.astype(str),
        "visits": np.bincount(client, minlength=n_clients),
        "hours": np.bincount(client, weights=seconds, minlength=n_clients) / 3600,
        "distinct_workers": np.bincount(pair_client, minlength=n_clients),
    })
    team_seconds_c = np.bincount(client, weights=team_seconds, minlength=n_clients)
    out["named_team"] = team_lists(n_clients, np.r_[given_client[given_client >= 0], pair_client[inferred]],
                                   np.r_[named["worker_id"].to_numpy(dtype=object),
                                         worker_names.take(pair_worker[inferred]).to_numpy(dtype=object)])
    out["team_inferred"] = ~has_team
    out["team_share"] = share(team_seconds_c, np.bincount(client, weights=seconds, minlength=n_clients))
    out["continuity_ok"] = out["team_share"] >= policy.target - 1e-12

    # the same per client-week (sorted by client, then week)
    n_weeks = max(len(week_starts), 1)
    cw, cw_of_visit = sorted_unique(client.astype("int64") * n_weeks + week)
    cw_seconds = np.bincount(cw_of_visit, weights=seconds, minlength=len(cw))
    faces = sorted_unique(cw_of_visit.astype("int64") * n_workers + worker)[0] // n_workers
    weekly = {
        "visits": np.bincount(cw_of_visit, minlength=len(cw)),
        "hours": np.round(cw_seconds / 3600, 4),
        "distinct_workers": np.bincount(faces, minlength=len(cw)),
        "team_share": np.round(share(np.bincount(cw_of_visit, weights=team_seconds, minlength=len(cw)), cw_seconds), 4),
        "week_start": pa.array(pd.DatetimeIndex(week_starts).strftime("%Y-%m-%d"), pa.string()).take(cw % n_weeks),
    }
    cw_client = cw // n_weeks
    most = np.zeros(n_clients, "int64")
    np.maximum.at(most, cw_client, weekly["distinct_workers"])
    out["max_distinct_workers_per_week"] = most
    records = pa.StructArray.from_arrays([pa.array(x) for x in weekly.values()], names=list(weekly))
    out["weeks"] = lists(np.searchsorted(cw_client, np.arange(n_clients + 1)), records)  # every client has a week
    return out


def lists(offsets: np.ndarray, values: pa.Array) -> pd.Series:
    """A column of lists: row i holds ``values[offsets[i]:offsets[i + 1]]`` (read as Python lists)."""
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pd.Series(array, dtype=pd.ArrowDtype(array.type))


def team_lists(n_clients: int, client: np.ndarray, worker: np.ndarray) -> pd.Series:
    """Each client's team as a sorted list of worker ids, once each (from team members, not visits)."""
    codes, names = pd.factorize(pd.Series(worker, dtype=object), sort=True)  # sorted: code order is id order
    n_names = max(len(names), 1)
    pairs = np.unique(client.astype("int64") * n_names + codes)  # by client, then worker id
    offsets = np.searchsorted(pairs // n_names, np.arange(n_clients + 1))
    return lists(offsets, pa.array(np.asarray(names, dtype=object)[pairs % n_names], pa.string()))


def continuity_findings(table: pd.DataFrame, policy: ContinuityPolicy, messages: bool = True) -> pd.DataFrame:
    below = table[~table["continuity_ok"]]
    if below.empty:
        return below
    out = pd.DataFrame({"rule": "continuity-below-target", "client_id": below["client_id"],
                        "amount": below["team_share"], "message": None})
    if messages:
        team = (pd.Series(pc.binary_join(pa.array(below["named_team"]), ", "), index=below.index, dtype="str")
                + np.where(below["team_inferred"], ", inferred", ", named"))
        share = (below["team_share"] * 100).round(0).astype(int).astype(str)
        out["message"] = (below["client_id"] + ": " + share + "% of " + below["hours"].round(2).astype(str)
                          + " hours came from the team (" + team + f"); target {policy.target:.0%}, "
                          + below["distinct_workers"].astype(str) + " different workers")
    return out
