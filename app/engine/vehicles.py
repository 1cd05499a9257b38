"""Which vehicles a job covers, with their names.

The job names vehicle ids and group ids. Every id given must be a vehicle
the token can see; a group adds its members (the group's `vehicles` list,
or else the vehicles whose `groups` list holds it). With neither, the job
covers every vehicle. Names come from the gateway's vehicle list.
"""

import logging
from collections.abc import Sequence
from typing import Any

from app.engine.gateway import JobGateway
from app.engine.reports.timeline import Vehicle
from app.errors import UsageError
from app.plurals import counted

log = logging.getLogger(__name__)


async def resolve_vehicles(
    gateway: JobGateway, vehicle_ids: Sequence[int], group_ids: Sequence[int]
) -> list[Vehicle]:
    """The job's vehicles, ordered by id; UsageError for an unknown id."""
    # TODO(engine): a token without the vehicles scope fails here even when
    # the job names its vehicles; such users get an error instead of a report.
    listed = {
        vid: vehicle
        for vehicle in await gateway.vehicles()
        if (vid := _vehicle_id(vehicle)) is not None
    }

    unknown = [vid for vid in vehicle_ids if vid not in listed]
    if unknown:
        noun = "vehicle" if len(unknown) == 1 else "vehicles"
        raise UsageError(f"{noun} {', '.join(map(str, unknown))} not found")

    if not vehicle_ids and not group_ids:
        wanted = set(listed)
    else:
        wanted = set(vehicle_ids)
        for group_id in group_ids:
            wanted |= await _members(gateway, group_id, listed)

    vehicles = [Vehicle(vid, _name(listed[vid])) for vid in wanted]
    log.info("job covers %s", counted(len(vehicles), "vehicle"))
    return sorted(vehicles, key=lambda v: v.id)


async def _members(
    gateway: JobGateway, group_id: int, listed: dict[int, dict[str, Any]]
) -> set[int]:
    group = await gateway.group(group_id)
    members = group.get("vehicles")
    if isinstance(members, list):
        ids = {_member_id(m) for m in members}
        # A member the token cannot list is left out rather than guessed at.
        return {vid for vid in ids if vid is not None and vid in listed}

    log.debug("group %s lists no vehicles; using the vehicles' groups", group_id)
    return {
        vid
        for vid, vehicle in listed.items()
        if isinstance(vehicle.get("groups"), list) and group_id in vehicle["groups"]
    }


def _vehicle_id(vehicle: dict[str, Any]) -> int | None:
    value = vehicle.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _member_id(member: Any) -> int | None:
    if isinstance(member, dict):
        return _vehicle_id(member)
    if isinstance(member, int) and not isinstance(member, bool):
        return member
    return None


def _name(vehicle: dict[str, Any]) -> str:
    name = vehicle.get("name")
    return name if isinstance(name, str) else ""
