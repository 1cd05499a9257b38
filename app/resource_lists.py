"""The gateway's lists of vehicles, groups, ... as names to pick from.

A report form picks resources by name and sends their ids. This module
fetches a whole list in as few requests as the gateway allows (pages of
1000, asking only for the fields a name is made of) and turns its items
into (id, name) pairs: a geofence keeps its id and name under `properties`
(PEGASUS_API.md §3.3), a user is named by their full name and user name,
and names that several items share get their id, so the user can tell them
apart. Items without a whole-number id cannot be sent in a form: they are
left out and said once in the log for the whole list.
"""

import logging
from collections import Counter
from typing import Any, Protocol

from app.errors import AuthError, GatewayError
from app.plurals import agreeing

log = logging.getLogger(__name__)

Choices = list[tuple[int, str]]
# How many odd ids a warning about a resource list quotes.
ODD_IDS_SHOWN = 3
PAGE_SIZE = 1000  # the most a gateway gives in one page (§3.1)

# The fields a name is made of, asked with `select=` so that a fleet of
# thousands comes as a few hundred kilobytes, not megabytes of records.
# Geofences are GeoJSON features, whose fields live under `properties`;
# no source says how `select` reaches them, so they come whole.
# TODO(pickers): thousands of geofences come with their shapes (megabytes);
# a projection that works on a real gateway would load them much faster.
SELECTED_FIELDS: dict[str, str] = {
    "vehicles": "id,name",
    "groups": "id,name",
    "assets": "id,name",
    "triggers": "id,name",
    "users": "id,username,first_name,last_name,email",
}
_NAME_KEYS = ("name", "title", "label", "username", "email")


class Lister(Protocol):
    """What fetches a list: app.gateway.Gateway, or a stand-in."""

    async def list_all(
        self,
        resource: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]: ...

    async def user(self) -> dict[str, Any]: ...


async def load_choices(gateway: Lister, kind: str) -> Choices:
    """The (id, name) pairs of one of the gateway's lists, in its order.

    A gateway answers 401 both for a session that ended and for a user
    without the permission (scope) to read a list (§1.5). When the session
    still works, the user is told it is the permission, not to sign in again.
    """
    fields = SELECTED_FIELDS.get(kind)
    params = {"select": fields} if fields else None
    try:
        items = await gateway.list_all(kind, params=params, page_size=PAGE_SIZE)
    except AuthError as refused:
        if not await _still_signed_in(gateway):
            raise
        log.warning("the gateway refused the %s to a signed-in user", kind)
        raise GatewayError(
            f"this user may not read the {kind} of this gateway (it refused "
            f"GET /api/{kind}); ask its administrator for the '{kind}' permission",
            status=401,
            call=f"GET /api/{kind}",
        ) from refused
    return choices_of(kind, items)


async def _still_signed_in(gateway: Lister) -> bool:
    try:
        await gateway.user()
    except AuthError:
        return False
    return True


def choices_of(kind: str, items: list[dict[str, Any]]) -> Choices:
    """(id, name) of each item whose id is a whole number; the rest logged."""
    pairs: Choices = []
    odd: list[Any] = []
    for item in items:
        fields = _fields_of(item)
        rid = fields.get("id")
        if isinstance(rid, int) and not isinstance(rid, bool):
            pairs.append((rid, name_of(fields)))
        else:
            odd.append(rid)

    if odd:
        _warn_odd_ids(kind, odd, len(items))
    return _told_apart(pairs)


def name_of(item: dict[str, Any]) -> str:
    """How an item reads in a list: its name, else a user's, else "#id"."""
    person = " ".join(
        text
        for key in ("first_name", "last_name")
        if isinstance(text := item.get(key), str) and text.strip()
    ).strip()
    username = item.get("username")
    if person:
        login = username.strip() if isinstance(username, str) else ""
        return f"{person} ({login})" if login else person

    for key in _NAME_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"#{item.get('id')}"


def _fields_of(item: dict[str, Any]) -> dict[str, Any]:
    """The item's own fields: a GeoJSON feature's are in `properties`."""
    properties = item.get("properties")
    if item.get("type") == "Feature" and isinstance(properties, dict):
        return {**item, **properties}
    return item


def _told_apart(pairs: Choices) -> Choices:
    """Names shared by several items get the item's id after them."""
    counts = Counter(name for _, name in pairs)
    return [
        (rid, f"{name} (#{rid})" if counts[name] > 1 else name) for rid, name in pairs
    ]


def _warn_odd_ids(kind: str, odd: list[Any], listed: int) -> None:
    shown = ", ".join(repr(rid)[:40] for rid in odd[:ODD_IDS_SHOWN])
    more = f" and {len(odd) - ODD_IDS_SHOWN} more" if len(odd) > ODD_IDS_SHOWN else ""
    log.warning(
        "%d of the %d %s the gateway listed %s no whole-number id and "
        "cannot be picked (ids: %s%s)",
        len(odd),
        listed,
        kind,
        agreeing(len(odd), "has", "have"),
        shown,
        more,
    )
