"""Comparing the replay of an export with what the running service reports for the same date.

The service builds its reports from its read model by SQL; the replay builds them from the events
alone. Where they differ, the service's read model (or its history, see `verify-db`) disagrees with
the export. Differences are said per organisation first (member counts), then for the party's
totals, findings and thresholds, then for the rolls compared member by member.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from partia_kit.audit.findings import AuditError
from partia_registry.audit.replay import History

ROLL_PAGE = 10_000  # the API's largest page


def open_client(service_url: str, token: str) -> httpx.Client:
    """The HTTP client for the service (replaced in tests by one that calls the app in-process)."""
    return httpx.Client(
        base_url=service_url, headers={"Authorization": f"Bearer {token}"}, timeout=120.0
    )


def as_json(value: Any) -> Any:
    """Dates, UUIDs and the like as the API sends them, so both sides compare as plain JSON."""
    return json.loads(json.dumps(value, default=str))


def normalise_structure(report: dict[str, Any]) -> dict[str, Any]:
    """A structure report with its lists of organisations keyed by id (their order is not part of
    what the report says)."""
    r: dict[str, Any] = as_json(report)
    r["units"] = {u["organisation_id"]: u for u in r["units"]}
    r["findings"] = {k: sorted(u["organisation_id"] for u in v) for k, v in r["findings"].items()}
    thresholds = r["thresholds"]
    thresholds["regional_branches_short"] = sorted(
        u["organisation_id"] for u in thresholds["regional_branches_short"]
    )
    return r


def normalise_roll(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A roll as member_id -> the facts the replay can know (no names: it has no keys)."""
    keep = ("organisation_id", "card_number", "admitted_on", "on_roll_since", "sex", "birth_year")
    return {str(i["member_id"]): {k: i.get(k) for k in keep} for i in as_json(items)}


def compare_structure(replayed: dict[str, Any], served: dict[str, Any]) -> list[str]:
    a, b = normalise_structure(replayed), normalise_structure(served)
    differences: list[str] = []
    for unit_id in sorted(a["units"].keys() | b["units"].keys()):
        mine, theirs = a["units"].get(unit_id), b["units"].get(unit_id)
        unit = mine or theirs
        assert unit is not None
        name = f"organisation {unit.get('name')!r} ({unit_id}, {unit.get('kind')})"
        if mine is None:
            differences.append(
                f"{name}: in the service's report only ({theirs['members']} members)"
            )
            continue
        if theirs is None:
            differences.append(f"{name}: in the replay only ({mine['members']} members)")
            continue
        for key in ("members", "direct_members", "kind", "parent_id", "code", "names"):
            if mine.get(key) != theirs.get(key):
                differences.append(
                    f"{name}: {key.replace('_', ' ')}: service {theirs.get(key)}, replay"
                    f" {mine.get(key)}"
                )
    a.pop("units"), b.pop("units")
    differences += _compare_values("", a, b)
    return differences


def _compare_values(path: str, mine: Any, theirs: Any) -> list[str]:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for key in sorted(mine.keys() | theirs.keys()):
            out += _compare_values(f"{path}.{key}" if path else key, mine.get(key), theirs.get(key))
        return out
    if mine != theirs:
        return [f"{path}: service {theirs}, replay {mine}"]
    return []


def compare_roll(
    organisation_id: UUID, replayed: list[dict[str, Any]], served: list[dict[str, Any]]
) -> list[str]:
    a, b = normalise_roll(replayed), normalise_roll(served)
    out = (
        [f"roll of {organisation_id}: {len(b)} members in the service's, {len(a)} in the replay"]
        if len(a) != len(b)
        else []
    )
    for member in sorted(a.keys() - b.keys()):
        out.append(
            f"roll of {organisation_id}: member {member} (card {a[member]['card_number']}) only in the replay"
        )
    for member in sorted(b.keys() - a.keys()):
        out.append(
            f"roll of {organisation_id}: member {member} (card {b[member]['card_number']}) only in the service's"
        )
    for member in sorted(a.keys() & b.keys()):
        if a[member] != b[member]:
            fields = [k for k in a[member] if a[member][k] != b[member].get(k)]
            out.append(
                f"roll of {organisation_id}: member {member}: "
                + ", ".join(
                    f"{k} service {b[member].get(k)}, replay {a[member][k]}" for k in fields
                )
            )
    return out


class ServiceError(AuditError):
    """The service did not answer as its API says."""


def _get(client: httpx.Client, path: str, params: dict[str, Any]) -> Any:
    for _ in range(10):
        response = client.get(path, params=params)
        if response.status_code == 503:  # read model behind: it says to retry
            time.sleep(1.0)
            continue
        if response.status_code != 200:
            raise ServiceError(f"GET {path} answered {response.status_code}: {response.text[:500]}")
        return response.json()
    raise ServiceError(f"GET {path}: the service's read model did not catch up")


def fetch_roll(
    client: httpx.Client, organisation_id: UUID, on: date, min_position: int | None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {
            "on": on.isoformat(),
            "subtree": "true",
            "limit": ROLL_PAGE,
            "offset": len(items),
        }
        if min_position:
            params["min_position"] = min_position
        page = _get(client, f"/organisations/{organisation_id}/roll", params)
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def diff_with_service(
    history: History,
    on: date,
    client: httpx.Client,
    organisations: list[UUID] | None = None,
) -> tuple[list[str], list[str]]:
    """(differences, notes) between the replay and the service for the date. Rolls compared are
    those of `organisations` (whole subtrees), or the party's (every member) when none are given."""
    notes: list[str] = []
    status = _get(client, "/read-model", {})
    min_position = min(history.last_position or 0, int(status.get("head") or 0)) or None
    if history.last_position is not None and int(status.get("head") or 0) > history.last_position:
        notes.append(
            f"the service's log goes on to position {status['head']}, beyond the export's last"
            f" ({history.last_position}): events recorded since may explain differences"
        )
    params: dict[str, Any] = {"on": on.isoformat()}
    if min_position:
        params["min_position"] = min_position
    served = _get(client, "/reports/structure", params)
    differences = compare_structure(history.structure_on(on), served)
    if organisations is None:
        root = history.party_root()
        organisations = [root] if root is not None else []
    for organisation_id in organisations:
        differences += compare_roll(
            organisation_id,
            history.roll_on(organisation_id, on),
            fetch_roll(client, organisation_id, on, min_position),
        )
    return differences, notes
