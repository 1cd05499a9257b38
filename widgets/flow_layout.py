"""A layout that puts widgets side by side and starts a new line when full.

Used where a row of buttons must stay reachable in a narrow space: each
button keeps its own width, and those that do not fit go onto the next
line. Its height depends on the width it is given (heightForWidth), so the
owner can make room for every line.
"""

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapping onto as many lines as the width needs."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 5) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    # -- what QLayout asks ----------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self.invalidate()
        return item

    def spacing(self) -> int:
        return self._gap

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Everything on one line."""
        widths = [item.sizeHint().width() for item in self._visible()]
        heights = [item.sizeHint().height() for item in self._visible()]
        width = sum(widths) + self._gap * max(len(widths) - 1, 0)
        return _grown(QSize(width, max(heights, default=0)), self.contentsMargins())

    def minimumSize(self) -> QSize:  # noqa: N802
        """The widest item alone on its line."""
        size = QSize(0, 0)
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return _grown(size, self.contentsMargins())

    # -- the arrangement ------------------------------------------------------

    def lines_for_width(self, width: int) -> int:
        """How many lines the items take in that width."""
        return len(self._lines(width - _horizontal(self.contentsMargins())))

    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _lines(self, width: int) -> list[list[QLayoutItem]]:
        """The items split into lines no wider than width (one item at least)."""
        lines: list[list[QLayoutItem]] = []
        used = 0
        for item in self._visible():
            item_width = item.sizeHint().width()
            if lines and used + self._gap + item_width <= width:
                lines[-1].append(item)
                used += self._gap + item_width
            else:
                lines.append([item])
                used = item_width
        return lines

    def _arrange(self, rect: QRect, *, place: bool) -> int:
        """Place the items in rect (when place); the height they need."""
        margins = self.contentsMargins()
        inner = rect.marginsRemoved(margins)
        lines = self._lines(inner.width())
        heights = [max(item.sizeHint().height() for item in line) for line in lines]
        needed = sum(heights) + self._gap * max(len(lines) - 1, 0)
        if not place:
            return needed + margins.top() + margins.bottom()

        # Lines are centred in a taller rect (a table row of a fixed height).
        top = inner.top() + max(inner.height() - needed, 0) // 2
        for line, height in zip(lines, heights, strict=True):
            left = inner.left()
            for item in line:
                # An item never gets more than the line's width: a name too
                # long for it is shortened by its owner, never cut off here.
                width = min(item.sizeHint().width(), inner.width())
                item.setGeometry(QRect(QPoint(left, top), QSize(width, height)))
                left += width + self._gap
            top += height + self._gap
        return needed + margins.top() + margins.bottom()


def _horizontal(margins: QMargins) -> int:
    return margins.left() + margins.right()


def _grown(size: QSize, margins: QMargins) -> QSize:
    return QSize(
        size.width() + _horizontal(margins),
        size.height() + margins.top() + margins.bottom(),
    )
