"""The resource picker on its own: thousands of names, search, selection."""

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

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


def row_rect(picker: ResourcePicker, name: str) -> QRect:
    row = picker.visible_names().index(name)
    return picker.view.visualRect(picker.proxy.index(row, 0))


def box_rect(picker: ResourcePicker, name: str) -> QRect:
    """Where the check box of a row is drawn."""
    view = picker.view
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = row_rect(picker, name)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    return view.style().subElementRect(
        QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view
    )


def test_a_click_on_a_name_or_its_box_ticks_the_row_and_space_too(qtbot):
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.resize(400, 300)
    picker.show()
    picker.set_items(fleet()[:5])
    viewport = picker.view.viewport()
    left = Qt.MouseButton.LeftButton

    name = row_rect(picker, "Van 0001")
    qtbot.mouseClick(viewport, left, pos=name.center())
    assert picker.selected_ids() == [1]
    qtbot.mouseClick(viewport, left, pos=name.center())
    assert picker.selected_ids() == []

    box = box_rect(picker, "Trailer 0002")
    assert box.width() > 0
    qtbot.mouseClick(viewport, left, pos=box.center())
    assert picker.selected_ids() == [2]

    picker.view.setCurrentIndex(picker.proxy.index(0, 0))  # Pickup 0003
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    assert picker.selected_ids() == [2, 3]
    assert picker.count.text() == "2 selected"


def test_a_list_that_could_not_be_loaded_says_so_and_offers_retry(qtbot):
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.show()

    picker.show_failure("Could not load the vehicles: the gateway is down.")
    assert picker.placeholder.isVisible()
    assert picker.placeholder.text().startswith("Could not load the vehicles")
    assert picker.retry_button.isVisible()
    assert "Loading" not in picker.count.text()

    with qtbot.waitSignal(picker.retry_requested):
        qtbot.mouseClick(picker.retry_button, Qt.MouseButton.LeftButton)
    assert picker.placeholder.text() == "Loading vehicles…"
    assert not picker.retry_button.isVisible()

    picker.set_items(fleet()[:3])
    assert picker.view.isVisible()
    assert picker.visible_names() == ["Pickup 0003", "Trailer 0002", "Van 0001"]
