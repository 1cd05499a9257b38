"""Pickers given the same list share its sorted rows, and stay apart.

A form with ten vehicle pickers gives each the same list object; the
names are cut, sorted and folded once for all of them. What one picker
shows (its search, an id it holds that the list lacks) is its own.
"""

from typing import Any

from pytestqt.qtbot import QtBot

from widgets.resource_model import PreparedLists
from widgets.resource_picker import ResourcePicker

FLEET_SIZE = 5000


def fleet() -> list[tuple[Any, str]]:
    kinds = ["Truck", "Van", "Trailer", "Pickup"]
    # Given in id order, not name order; and one row without a usable id.
    rows: list[tuple[Any, str]] = [
        (n, f"{kinds[n % 4]} {n}") for n in range(1, FLEET_SIZE + 1)
    ]
    return [*rows, ("veh-x", "Odd van")]


def picker(qtbot: QtBot, lists: PreparedLists) -> ResourcePicker:
    shown = ResourcePicker("vehicles", lists=lists)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def refuse(_items: object) -> list[tuple[int, str]]:
    raise AssertionError("the list was prepared again")


def test_ten_pickers_of_one_list_prepare_it_once(qtbot: QtBot) -> None:
    lists = PreparedLists()
    names = fleet()
    pickers = [picker(qtbot, lists) for _ in range(10)]
    for each in pickers:
        each.set_items(names)

    # Asked again for the same list object, nothing is prepared anew.
    shared = lists.get(names, refuse)
    assert len(shared.rows) == FLEET_SIZE
    first = pickers[0].visible_names()
    assert first[:3] == ["Pickup 3", "Pickup 7", "Pickup 11"]
    assert "Odd van" not in first
    assert all(each.visible_names() == first for each in pickers)


def test_a_picker_search_and_a_missing_id_stay_its_own(qtbot: QtBot) -> None:
    lists = PreparedLists()
    names = fleet()
    one, other = picker(qtbot, lists), picker(qtbot, lists)
    one.set_selected_ids([99_999])
    one.set_items(names)
    other.set_items(names)

    assert "#99999 (not found)" in one.visible_names()
    assert "#99999 (not found)" not in other.visible_names()
    assert len(other.visible_names()) == FLEET_SIZE

    qtbot.keyClicks(one.filter, "van 42")
    vans = [name for _, name in names if "van 42" in name.lower()]
    assert sorted(one.visible_names()) == sorted(vans)
    assert len(other.visible_names()) == FLEET_SIZE
    assert len(lists.get(names, refuse).rows) == FLEET_SIZE


def test_a_new_list_object_is_prepared_again(qtbot: QtBot) -> None:
    lists = PreparedLists()
    shown = picker(qtbot, lists)
    shown.set_items([(1, "Truck 1")])
    shown.set_items([(1, "Truck 1"), (2, "Truck 2")])
    assert shown.visible_names() == ["Truck 1", "Truck 2"]
