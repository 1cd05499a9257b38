"""Counting how often a window or dialog is shown, as a person would see it."""

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class ShowCounter(QObject):
    """Counts the Show events of one widget (each time it appears)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show:
            self.count += 1
        return False
