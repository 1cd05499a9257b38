"""A message strip floating over the top of a page, never modal.

Errors a person can act on are shown here in plain words (the gateway could
not be reached, the password was refused, a job failed) until they are
dismissed or replaced. Good news and progress use the same strip in calmer
colours. The strip floats over its page instead of taking a place in a
layout, so showing or hiding it never moves what is under the mouse.
"""

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from widgets.plain_text import plain_label

LEVELS = ("info", "success", "warning", "error")
# Space kept between the strip and the edges of the page it floats over.
MARGIN = 8


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
        self._anchor: QWidget | None = None

        self._label = plain_label()
        self._label.setObjectName("bannerText")
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )

        close = QToolButton()
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss the message")
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

    def float_over(self, anchor: QWidget) -> None:
        """Float at the top of anchor (the banner's parent), across its width."""
        self._anchor = anchor
        anchor.installEventFilter(self)
        # A soft shadow says the strip lies on top of the page.
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(QPointF(0, 3))
        shadow.setColor(QColor(0, 0, 0, 55))
        self.setGraphicsEffect(shadow)
        self._place()

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
        self._place()

    def clear(self) -> None:
        self._label.clear()
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._anchor and event.type() == QEvent.Type.Resize:
            self._place()
        return super().eventFilter(watched, event)

    def _place(self) -> None:
        anchor = self._anchor
        if anchor is None:
            return
        width = max(anchor.width() - 2 * MARGIN, 0)
        height = self.heightForWidth(width)
        if height < 0:
            height = self.sizeHint().height()
        self.setGeometry(QRect(MARGIN, MARGIN, width, height))
        self.raise_()

    def _on_close_clicked(self) -> None:
        self.clear()
        self.dismissed.emit()
