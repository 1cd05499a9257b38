"""Pagination, search and projection of collections, the Pegasus way.

`?set=N&page=K` (200 by default, at most 1000; pages from 1) answers
`{set, page, pages, total, data}`, where `set` counts the items on this
page. `search.<dotted.key>=value` matches exactly and case-sensitively;
`[1,2]` matches when the item's list shares a member with it. `ids=1,2`
keeps those ids; `select=a,b.c` keeps those keys. GeoJSON features keep
their id and name under `properties`, and are searched there too.
"""

import math
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from app.sandbox.web import ApiError, int_param, json_parameter

DEFAULT_SET = 200
MAX_SET = 1000
_MISSING = object()


def page_of(request: Request, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The envelope for one page of a collection, filtered by the query."""
    size = int_param(request, "set", DEFAULT_SET, 1, MAX_SET)
    page = int_param(request, "page", 1, 1, 1_000_000)
    ids_text = request.query_params.get("ids", "").strip()
    ids = _ids(ids_text) if ids_text else None
    searches = [
        (name, wanted)
        for name, wanted in request.query_params.multi_items()
        if name.startswith("search.")
    ]
    selected = [item for item in items if _matches(item, ids, searches)]

    total = len(selected)
    pages = max(1, math.ceil(total / size))
    data = selected[(page - 1) * size : page * size]
    select = request.query_params.get("select", "")
    if select.strip():
        keys = [key.strip() for key in select.split(",") if key.strip()]
        data = [_project(item, keys) for item in data]
    return {
        "set": len(data),
        "page": page,
        "pages": pages,
        "total": total,
        "data": data,
    }


def lookup(item: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted key, looking under `properties` for features."""
    value = _walk(item, dotted)
    if value is _MISSING and item.get("type") == "Feature":
        value = _walk(item.get("properties", {}), dotted)
    return value


def _walk(item: Any, dotted: str) -> Any:
    value = item
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _matches(
    item: dict[str, Any], ids: set[int] | None, searches: list[tuple[str, str]]
) -> bool:
    if ids is not None and lookup(item, "id") not in ids:
        return False
    return all(
        _match_one(lookup(item, name[len("search.") :]), wanted, name)
        for name, wanted in searches
    )


def _ids(text: str) -> set[int]:
    try:
        return {int(part) for part in text.strip("[]").split(",") if part.strip()}
    except ValueError as exc:
        raise ApiError(
            400, f"ids: {text!r} is not a comma-separated list of ids"
        ) from exc


def _match_one(value: Any, wanted: str, name: str) -> bool:
    """Exact, case-sensitive matching of one search value."""
    if value is _MISSING:
        return False
    wanted = wanted.strip()
    if wanted.startswith("["):
        options = json_parameter(name, wanted)
        if not isinstance(options, list):
            raise ApiError(400, f"{name}: {wanted!r} is not a JSON list")
        values = value if isinstance(value, list) else [value]
        return any(_same(v, str(o)) for v in values for o in options)

    if len(wanted) >= 2 and wanted[0] == wanted[-1] == '"':
        wanted = wanted[1:-1]
    if isinstance(value, list):
        return any(_same(v, wanted) for v in value)
    return _same(value, wanted)


def _same(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted == ("true" if value else "false")
    if value is None:
        return wanted == "null"
    if isinstance(value, int | float):
        try:
            return float(wanted) == value
        except ValueError:
            return False
    return str(value) == wanted


def _project(item: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for dotted in keys:
        value = lookup(item, dotted)
        if value is _MISSING:
            continue
        target = result
        *parents, last = dotted.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return result
