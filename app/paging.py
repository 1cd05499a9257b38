"""Walking a gateway's paginated collections: which items and pages are new.

A page is `{set, page, pages, total, data}` (PEGASUS_API.md §3.1); some
gateways give no `pages`, some ignore `page`. These helpers decide, page
by page, what is new and whether to ask for the next one.
"""

from typing import Any


def item_id(item: dict[str, Any]) -> Any:
    """An item's id: on top, or under `properties` for a geofence (§3.3)."""
    if "id" in item:
        return item["id"]
    properties = item.get("properties")
    return properties.get("id") if isinstance(properties, dict) else None


def new_items(batch: list[dict[str, Any]], seen: set[Any]) -> list[dict[str, Any]]:
    """The items of a page not listed on an earlier page (by id).

    Items without a usable id cannot be told apart, so they are all kept.
    """
    fresh = []
    for item in batch:
        key = item_id(item)
        if isinstance(key, int | str) and not isinstance(key, bool):
            if key in seen:
                continue
            seen.add(key)
        fresh.append(item)
    return fresh


def more_pages(
    envelope: dict[str, Any], page: int, got: int, total_so_far: int, size: int
) -> bool:
    """Whether a page after this one is to be asked for."""
    if got == 0:
        return False
    pages = envelope.get("pages")
    if isinstance(pages, int) and not isinstance(pages, bool):
        return page < pages
    total = envelope.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return total_so_far < total
    # Neither pages nor total: a full page may have more behind it.
    return got >= size
