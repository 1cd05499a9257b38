"""A message strip across the top of the window, never modal.

Errors a person can act on are shown here in plain words (the gateway could
not be reached, the password was refused, a job failed) until they are
dismissed or replaced. Good news and progress use the same strip in calmer
colours.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

LEVELS = ("info", "success", "warning", "error")


class Banner(QFrame):
    """One message at a time, with a close button.

    Signals:
        dismissed: the user closed the message.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.NoFrame)

        self._label = QLabel()
        self._label.setObjectName("bannerText")
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )

        close = QToolButton()
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self._on_close_clicked)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self._label.text()

    @property
    def level(self) -> str:
        return str(self.property("level") or "")

    def show_message(self, text: str, level: str = "info") -> None:
        """Show text; level is one of info, success, warning, error."""
        if level not in LEVELS:
            raise ValueError(f"unknown banner level {level!r}")
        self._label.setText(text)
        self.setProperty("level", level)
        # The stylesheet picks colours from the level property.
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()

    def clear(self) -> None:
        self._label.clear()
        self.hide()

    def _on_close_clicked(self) -> None:
        self.clear()
        self.dismissed.emit()
