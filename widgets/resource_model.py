"""The model behind a resource picker: (id, name) rows, ticks, and search.

Rows live in plain Python lists and the ticked ids in an ordered dict (the
ids given first, then those ticked, as they came), so a list of 50,000
names costs no Qt object per row. A search folds the typed text and every
name to lower case and matches them all in one pass; the proxy that shows
the result only reads it, rather than asking Qt for each row's text.
"""

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QWidget

ID_ROLE = Qt.ItemDataRole.UserRole
AnyIndex = QModelIndex | QPersistentModelIndex
Row = tuple[int, str]
_DIGITS = re.compile(r"(\d+)")
# Lists prepared lately, by identity: the pickers of one form (and the
# rows a list adds) share one list object, prepared once for them all.
PREPARED_KEPT = 8


@dataclass(frozen=True)
class PreparedRows:
    """A resource list made ready to show: rows in reading order, their
    names folded for search, and their ids. Shared: never changed."""

    rows: list[Row]
    folded: list[str]
    ids: frozenset[int]


class PreparedLists:
    """The last few lists prepared, looked up by the list object given.

    A list is held while kept, so its identity cannot pass to another.
    """

    def __init__(self, size: int = PREPARED_KEPT) -> None:
        self._size = size
        self._kept: OrderedDict[int, tuple[object, int, PreparedRows]] = OrderedDict()

    def get(
        self, items: Iterable[Any], prepare: Callable[[Iterable[Any]], list[Row]]
    ) -> PreparedRows:
        """items prepared: prepare(items) cut to rows, then sorted and folded."""
        if not isinstance(items, list):
            return _prepared(prepare(items))
        key = id(items)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is items and kept[1] == len(items):
            self._kept.move_to_end(key)
            return kept[2]

        prepared = _prepared(prepare(items))
        self._kept[key] = (items, len(items), prepared)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return prepared


def _prepared(rows: list[Row]) -> PreparedRows:
    rows = sorted(rows, key=reading_order)
    folded = [name.casefold() for _, name in rows]
    return PreparedRows(rows, folded, frozenset(rid for rid, _ in rows))


class ResourceListModel(QAbstractListModel):
    """Rows of (id, name) with a check box each, and which rows match a search.

    Signals: checked_changed(): the set of checked ids changed.
    """

    checked_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._folded: list[str] = []
        # Ordered: the ids given first, then those ticked, as they came.
        self._checked: dict[int, None] = {}
        self._needle = ""
        # One byte per row: 1 when the row's name holds the searched text.
        self.matching = bytearray()

    def set_rows(self, rows: list[Row], folded: list[str] | None = None) -> None:
        """Show rows; folded: their names folded already (shared, not changed)."""
        self.beginResetModel()
        self._rows = rows
        self._folded = folded or [name.casefold() for _, name in rows]
        self.matching = self._match(self._needle)
        self.endResetModel()

    def set_needle(self, text: str) -> None:
        """Search for text (any case); the proxy then asks matching."""
        self._needle = text.casefold()
        self.matching = self._match(self._needle)

    def ids(self) -> set[int]:
        return {rid for rid, _ in self._rows}

    def checked(self) -> set[int]:
        return set(self._checked)

    def checked_in_order(self) -> list[int]:
        return list(self._checked)

    def checked_count(self) -> int:
        return len(self._checked)

    def set_checked(self, ids: Iterable[int]) -> None:
        self._checked = dict.fromkeys(ids)
        self._all_rows_changed()
        self.checked_changed.emit()

    def check_rows(self, rows: Iterable[int], checked: bool) -> None:
        """Tick (or untick) these rows at once, with one signal for all."""
        ids = [self._rows[row][0] for row in rows]
        before = len(self._checked)
        for rid in ids:
            if checked:
                self._checked.setdefault(rid)
            else:
                self._checked.pop(rid, None)
        if len(self._checked) != before:
            self._all_rows_changed()
            self.checked_changed.emit()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        rid, name = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == Qt.ItemDataRole.CheckStateRole:
            checked = rid in self._checked
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if role == ID_ROLE:
            return rid
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def toggle(self, index: AnyIndex) -> None:
        """Tick the row if it was unticked, else untick it."""
        if index.isValid():
            checked = index.data(Qt.ItemDataRole.CheckStateRole)
            ticked = checked == Qt.CheckState.Checked
            self.setData(
                index,
                Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked,
                Qt.ItemDataRole.CheckStateRole,
            )

    def setData(  # noqa: N802 (Qt override)
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        rid = self._rows[index.row()][0]
        if _is_checked(value):
            self._checked.setdefault(rid)
        else:
            self._checked.pop(rid, None)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()
        return True

    def _match(self, needle: str) -> bytearray:
        if not needle:
            return bytearray(b"\x01" * len(self._folded))
        return bytearray(needle in name for name in self._folded)

    def _all_rows_changed(self) -> None:
        if self._rows:
            last = self.index(len(self._rows) - 1)
            self.dataChanged.emit(self.index(0), last, [Qt.ItemDataRole.CheckStateRole])


class NameFilter(QSortFilterProxyModel):
    """Shows the rows of a ResourceListModel whose names hold the searched text.

    The model matches every name in one pass when the text changes; this
    proxy only reads the answer, so a letter typed in a list of 50,000
    names costs one pass over Python strings, not 50,000 calls into Qt.
    """

    def __init__(
        self, source: ResourceListModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._source = source
        self.setSourceModel(source)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._source.set_needle(text)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def source_rows(self) -> list[int]:
        """The rows of the source model shown now, in order."""
        matching = self._source.matching
        return [row for row in range(len(matching)) if matching[row]]

    def filterAcceptsRow(  # noqa: N802 (Qt override)
        self, source_row: int, source_parent: AnyIndex
    ) -> bool:
        matching = self._source.matching
        # A reset in progress may ask for rows the answer does not cover yet.
        return source_row < len(matching) and bool(matching[source_row])


def reading_order(row: Row) -> tuple[list[Any], int]:
    """Names as a person sorts them: "Truck 2" before "Truck 10", any case.

    Split at runs of digits, the pieces alternate text and number, so two
    keys never compare a number with a text.
    """
    rid, name = row
    pieces = _DIGITS.split(name.casefold())
    key: list[Any] = [int(p) if i % 2 else p for i, p in enumerate(pieces)]
    return key, rid


def _is_checked(value: Any) -> bool:
    if isinstance(value, Qt.CheckState):
        return value == Qt.CheckState.Checked
    return value == Qt.CheckState.Checked.value
