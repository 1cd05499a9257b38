"""The table of the jobs panel: how it takes the keyboard, how it draws.

Tab stops once on the table, not on each of its cells; the arrows move from
job to job, the current one always shown selected; Enter, the Menu key or
Shift+F10 (or a right click) ask for the menu of that job's files, which
the panel makes (widgets/file_menu.py). Progress is drawn as a slim bar in
the colour of the job's state.
"""

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QContextMenuEvent, QFocusEvent, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from widgets.jobs_model import FILES, PERCENT_ROLE, STATE_ROLE
from widgets.theme import BORDER, MUTED, STATE_COLORS

# The keys that open the menu of the current job's files.
MENU_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Menu)
TABLE_HELP = (
    "Enter or the Menu key opens the files of the selected job: Open, "
    "Download, Show in folder"
)


# TODO(jobs-panel): the Files column is a widget per row (FileButtons, set
# by the panel with setIndexWidget), and Qt lays every one of them out
# again whenever a row is inserted: with 500 finished jobs shown, each new
# job stalls the window 20-90 ms (offscreen), and showing the 500 at once
# takes over a second. Buttons drawn by a delegate here, with the menu for
# the clicks, would cost nothing per row not on screen.
class JobsTable(QTableView):
    """The jobs table: one Tab stop, a row at a time, a menu per row.

    Signals: menu_requested(QPoint): the menu of the current row's files
        was asked for, to be shown at this global position.
    """

    menu_requested = Signal(QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Tab leaves the table instead of walking its cells.
        self.setTabKeyNavigation(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip(TABLE_HELP)
        self.setAccessibleName("Jobs")
        self.setAccessibleDescription(TABLE_HELP)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        shift_f10 = event.key() == Qt.Key.Key_F10 and (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if (event.key() in MENU_KEYS or shift_f10) and self.currentIndex().isValid():
            rect = self.visualRect(self.currentIndex().siblingAtColumn(FILES))
            self.menu_requested.emit(self.viewport().mapToGlobal(rect.bottomLeft()))
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        index = self.indexAt(self.viewport().mapFromGlobal(event.globalPos()))
        if index.isValid():
            self.setCurrentIndex(index)
            self.menu_requested.emit(event.globalPos())

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        super().focusInEvent(event)
        # The row the keys act on is always shown selected.
        model = self.model()
        if model is not None and model.rowCount() and not self.selectedIndexes():
            current = self.currentIndex()
            row = current.row() if current.isValid() else 0
            self.selectRow(row)


class ProgressDelegate(QStyledItemDelegate):
    """A slim progress bar with its percentage, in the job state's colour."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        percent = float(index.data(PERCENT_ROLE) or 0.0)
        color = QColor(STATE_COLORS.get(str(index.data(STATE_ROLE)), MUTED))

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_width = 42
        bar = QRect(
            option.rect.left() + 6,
            option.rect.center().y() - 3,
            option.rect.width() - text_width - 14,
            7,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BORDER))
        painter.drawRoundedRect(bar, 3.5, 3.5)
        if percent > 0:
            filled = QRect(bar)
            filled.setWidth(max(7, int(bar.width() * percent / 100)))
            painter.setBrush(color)
            painter.drawRoundedRect(filled, 3.5, 3.5)

        painter.setPen(QColor(MUTED))
        text_rect = QRect(
            bar.right() + 6, option.rect.top(), text_width, option.rect.height()
        )
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{percent:.0f}%",
        )
        painter.restore()
