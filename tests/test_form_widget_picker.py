"""The resource picker on its own: thousands of names, search, selection."""

from PySide6.QtCore import Qt

from widgets.resource_picker import ResourcePicker

FLEET_SIZE = 5000


def fleet() -> list[tuple[int, str]]:
    kinds = ["Truck", "Van", "Trailer", "Pickup"]
    return [(n, f"{kinds[n % 4]} {n:04d}") for n in range(1, FLEET_SIZE + 1)]


def test_five_thousand_names_filter_by_typed_text(qtbot):
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.show()
    assert picker.count.text() == "Loading…"
    assert not picker.filter.isEnabled()

    picker.set_items(fleet())
    assert picker.proxy.rowCount() == FLEET_SIZE
    qtbot.keyClicks(picker.filter, "VAN 42")

    wanted = sorted(name for _, name in fleet() if "van 42" in name.lower())
    assert picker.visible_names() == wanted
    assert len(wanted) == 25


def test_a_row_found_by_search_is_selected_by_its_id(qtbot):
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.show()
    picker.set_items(fleet())

    qtbot.keyClicks(picker.filter, "Trailer 4242")
    assert picker.visible_names() == ["Trailer 4242"]
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)

    assert picker.selected_ids() == [4242]
    assert picker.count.text() == "1 selected"


def test_an_empty_list_says_so(qtbot):
    picker = ResourcePicker("geofences")
    qtbot.addWidget(picker)

    picker.set_items([])
    assert picker.placeholder.text() == "No geofences to choose from"
    assert picker.count.text() == "None selected"
    assert picker.selected_ids() == []
