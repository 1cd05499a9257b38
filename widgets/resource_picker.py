"""A searchable multi-select of gateway resources (vehicles, groups, ...).

Resources are chosen by name and given back as ids: a click anywhere on a
row, or Space, ticks or unticks it. The names arrive after the picker is
shown (the gateway's lists load in the background), so until set_items it
says "Loading…", and if the list cannot be had it says so with a Retry
button. A model over plain Python lists, filtered by a proxy, keeps it fast
with tens of thousands of rows: no widget per row, names sorted once in
Python as they arrive, and the typed text matched against names folded to
lower case beforehand, in one pass, rather than by a Qt call per row. The
pickers given the same list object (those of one form) share its sorted,
folded rows: ten pickers of 5,000 vehicles sort them once.
Select all and Clear act on the rows the search shows.
"""

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.display_text import (
    MESSAGE_LIMIT,
    MESSAGE_LINES,
    TITLE_LIMIT,
    clipped,
    one_line,
)
from widgets.plain_text import plain_label, tooltip
from widgets.resource_model import (
    NameFilter,
    PreparedLists,
    PreparedRows,
    ResourceListModel,
    Row,
    reading_order,
)

VISIBLE_ROWS = 8
# A short list is as tall as its rows, but never shorter than this many.
FEWEST_ROWS = 3
# The lists prepared for the pickers of this process (see PreparedLists).
SHARED_LISTS = PreparedLists()


class _FilterLine(QLineEdit):
    """The search line; Down moves into the list below.

    Signals: down_pressed().
    """

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class _PickList(QListView):
    """The list of names: a click on a row or Space toggles the row.

    A plain list view ticks a row only on a click on its small box; people
    click the name.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pressed = QPersistentModelIndex()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mousePressEvent(event)
        self._pressed = QPersistentModelIndex(self.indexAt(event.position().toPoint()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.indexAt(event.position().toPoint())
        on_same_row = index.isValid() and QPersistentModelIndex(index) == self._pressed
        self._pressed = QPersistentModelIndex()
        before = index.data(Qt.ItemDataRole.CheckStateRole)
        super().mouseReleaseEvent(event)

        # A click on the box is toggled by Qt already; elsewhere, do it here.
        if (
            event.button() == Qt.MouseButton.LeftButton
            and on_same_row
            and index.data(Qt.ItemDataRole.CheckStateRole) == before
        ):
            self._toggle(index)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select):
            self._toggle(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _toggle(self, index: QModelIndex) -> None:
        model = self.model()
        if index.isValid() and isinstance(model, QSortFilterProxyModel):
            source = model.sourceModel()
            if isinstance(source, ResourceListModel):
                source.toggle(model.mapToSource(index))


class ResourcePicker(QWidget):
    """Pick resources by name: a filter line over a checkable list.

    Signals:
        selection_changed(): the checked ids changed.
        retry_requested(): the list could not be loaded; the user asks again.
    """

    selection_changed = Signal()
    retry_requested = Signal()

    def __init__(
        self,
        noun: str = "items",
        parent: QWidget | None = None,
        *,
        lists: PreparedLists = SHARED_LISTS,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self._loaded = False
        self._lists = lists
        self._items = PreparedRows([], [], frozenset())

        self.model = ResourceListModel(self)
        self.proxy = NameFilter(self.model, self)

        self.filter = _FilterLine(self)
        self.filter.setPlaceholderText(f"Search {noun}")
        self.filter.setClearButtonEnabled(True)
        self.filter.setEnabled(False)

        self.view = _PickList(self)
        self.view.setModel(self.proxy)
        # Uniform rows let the view lay out 50,000 names without asking each.
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.setToolTip("Click a row, or press Space, to select it")

        self.placeholder = plain_label(f"Loading {noun}…", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setToolTip(tooltip(f"Ask the gateway for the {noun} again"))
        self.retry_button.hide()
        self.stack = QStackedWidget(self)
        self.waiting = self._waiting_page()
        self.stack.addWidget(self.waiting)
        self.stack.addWidget(self.view)
        self._fit_rows()

        self.count = plain_label(parent=self)
        # While searching: how many rows the search leaves, of how many.
        self.shown = plain_label(parent=self)
        self.select_button = QPushButton("Select all", self)
        self.clear_button = QPushButton("Clear", self)
        self._lay_out()

        self.filter.textChanged.connect(self._on_filter_text_changed)
        self.filter.down_pressed.connect(self._on_filter_down_pressed)
        self.select_button.clicked.connect(self._on_select_clicked)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.retry_button.clicked.connect(self._on_retry_clicked)
        self.model.checked_changed.connect(self._on_model_checked_changed)
        self._show_count()

    def _lay_out(self) -> None:
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.count)
        footer.addWidget(self.shown, 1)
        footer.addWidget(self.select_button)
        footer.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        # Never shorter than the search line, the list and the summary row
        # need: squeezed, the summary row would be drawn over the list.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self.filter)
        layout.addWidget(self.stack)
        layout.addLayout(footer)

    def _waiting_page(self) -> QWidget:
        """What the list area shows before the names are in, or if they fail."""
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addStretch()
        layout.addWidget(self.placeholder)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()
        return page

    def is_loaded(self) -> bool:
        return self._loaded

    @property
    def failed(self) -> bool:
        return self.retry_button.isVisibleTo(self)

    @property
    def searching(self) -> bool:
        return bool(self.filter.text().strip())

    def show_loading(self) -> None:
        """Say the names are on their way (again, after a Retry)."""
        self._loaded = False
        self.placeholder.setText(f"Loading {self.noun}…")
        self.retry_button.hide()
        self.stack.setCurrentIndex(0)
        self.filter.setEnabled(False)
        self._show_count()

    def show_failure(self, message: str) -> None:
        """Say the names could not be loaded, and offer to try again."""
        self._loaded = False
        self.placeholder.setText(clipped(message, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.retry_button.show()
        self.stack.setCurrentIndex(0)
        self.filter.setEnabled(False)
        self._fit_rows()
        self._show_count()
        self.count.setText(f"No {self.noun} loaded")

    def set_items(self, items: Iterable[tuple[Any, Any]]) -> None:
        """Show these (id, name) rows in place of "Loading…".

        A row whose id is not a whole number cannot be sent in a form: it is
        left out (the controller says so in the log).
        """
        self._items = self._lists.get(items, _showable_rows)
        self._loaded = True
        self.retry_button.hide()
        self._rebuild()

        self.filter.setEnabled(True)
        self._fit_rows()
        if self.model.rowCount():
            self.stack.setCurrentWidget(self.view)
        else:
            self.placeholder.setText(f"No {self.noun} to choose from")
            self.stack.setCurrentIndex(0)
        self._show_count()

    def selected_ids(self) -> list[int]:
        """The chosen ids: those given first, in their order, then those
        ticked since, in the order ticked (Select all: in the list's order)."""
        return self.model.checked_in_order()

    def set_selected_ids(self, ids: Iterable[Any]) -> None:
        wanted = [rid for rid in ids if _is_id(rid)]
        self.model.set_checked(wanted)
        if self._loaded and not set(wanted) <= self.model.ids():
            self._rebuild()

    def clear_selection(self) -> None:
        self.model.set_checked(())

    def select_shown(self) -> None:
        """Tick every row the search shows (every row when not searching)."""
        self.model.check_rows(self.proxy.source_rows(), True)

    def clear_shown(self) -> None:
        """Untick the rows the search shows; not searching, untick them all."""
        if self.searching:
            self.model.check_rows(self.proxy.source_rows(), False)
        else:
            self.clear_selection()

    def visible_names(self) -> list[str]:
        """The names the list shows now, in order (after the filter)."""
        return [self.proxy.index(row, 0).data() for row in range(self.proxy.rowCount())]

    def _rebuild(self) -> None:
        # A chosen id the gateway did not list stays, marked, so the user
        # sees it and can remove it: nothing is dropped from a payload unseen.
        unknown = sorted(self.model.checked() - self._items.ids)
        if not unknown:
            self.model.set_rows(self._items.rows, self._items.folded)
            return
        rows = self._items.rows + [(rid, f"#{rid} (not found)") for rid in unknown]
        rows.sort(key=reading_order)
        self.model.set_rows(rows)

    def _fit_rows(self) -> None:
        """As tall as whole rows: all of a short list, VISIBLE_ROWS of a
        long one. A row cut in half reads as the end of the list, and a
        list taller than its rows pushes the form's fields apart.

        Sized on the whole list, not on what a search shows: the fields
        below stay where they are while the user types.
        """
        # The style sheet sets the rows' padding: measured before it applies,
        # a row comes out shorter than drawn, and the last one is cut.
        self.view.ensurePolished()
        if self.model.rowCount():
            row = self.view.sizeHintForRow(0)
        else:
            row = self.view.fontMetrics().height() + 6
        rows = min(max(self.model.rowCount(), FEWEST_ROWS), VISIBLE_ROWS)
        height = row * rows + 2 * self.view.frameWidth()
        if not self._loaded:
            # "Loading…", or why the names failed, with its Retry button.
            height = max(height, self.waiting.sizeHint().height())
        self.stack.setFixedHeight(height)

    def _show_count(self) -> None:
        if not self._loaded:
            self.count.setText("Loading…")
            self.shown.setText("")
            self.select_button.setEnabled(False)
            self.clear_button.setEnabled(self.model.checked_count() > 0)
            return

        chosen = self.model.checked_count()
        self.count.setText(f"{chosen:,} selected" if chosen else "None selected")
        self.clear_button.setEnabled(chosen > 0)
        shown = self.proxy.rowCount()
        self.select_button.setEnabled(shown > 0)
        self.shown.setText(self._shown_text(shown) if self.searching else "")

    def _shown_text(self, shown: int) -> str:
        if shown == 0:
            return f"· no {self.noun} match"
        return f"· {shown:,} of {self.model.rowCount():,} shown"

    # TODO(pickers): the search reads names only; a vehicle cannot be found by
    # its plate or id, which dispatchers often know better than its name.
    def _on_filter_text_changed(self, text: str) -> None:
        self.proxy.set_text(text.strip())
        searching = self.searching
        self.select_button.setText("Select shown" if searching else "Select all")
        self.clear_button.setText("Clear shown" if searching else "Clear")
        self._show_count()

    def _on_filter_down_pressed(self) -> None:
        if self.proxy.rowCount():
            self.view.setFocus(Qt.FocusReason.TabFocusReason)
            self.view.setCurrentIndex(self.proxy.index(0, 0))

    def _on_select_clicked(self) -> None:
        self.select_shown()

    def _on_clear_clicked(self) -> None:
        self.clear_shown()

    def _on_retry_clicked(self) -> None:
        self.show_loading()
        self.retry_requested.emit()

    def _on_model_checked_changed(self) -> None:
        self._show_count()
        self.selection_changed.emit()


def _showable_rows(items: Iterable[tuple[Any, Any]]) -> list[Row]:
    """The rows that can be picked: a whole-number id, a name on one line."""
    return [
        (rid, one_line(str(name), TITLE_LIMIT)) for rid, name in items if _is_id(rid)
    ]


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
