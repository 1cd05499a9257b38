"""A message strip floating over the top of a page, never modal.

Errors a person can act on are shown here in plain words (the gateway could
not be reached, the password was refused, a job failed) until they are
dismissed with the close button or replaced; warnings too. Good news and
progress use the same strip in calmer colours and go away by themselves
after a few seconds (not while the pointer rests on them). The strip floats
over its page instead of taking a place in a layout, so showing or hiding
it never moves what is under the mouse; the page says how far down it
starts, so that it never covers the page's title.
"""

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QEnterEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from widgets.plain_text import plain_label

LEVELS = ("info", "success", "warning", "error")
# The levels that go away by themselves, and after how long.
PASSING_LEVELS = ("info", "success")
AUTO_HIDE_MS = 8000
# Space kept between the strip and the edges of the page it floats over.
MARGIN = 8

TopOf = Callable[[], int]


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
        self._top_of: TopOf | None = None
        # How long good news stays; a test may shorten it.
        self.auto_hide_ms = AUTO_HIDE_MS
        self.hide_timer = QTimer(self)
        self.hide_timer.setSingleShot(True)
        self.hide_timer.timeout.connect(self._on_hide_timer_timeout)

        self._label = plain_label()
        self._label.setObjectName("bannerText")
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )

        close = QToolButton(self)
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss the message")
        close.setAutoRaise(True)
        close.clicked.connect(self._on_close_clicked)
        self.close_button = close

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

    def float_over(self, anchor: QWidget, top_of: TopOf | None = None) -> None:
        """Float at the top of anchor (the banner's parent), across its width.

        top_of() tells how far down anchor the strip may start (below its
        title); without it, the strip starts at the top.
        """
        self._anchor = anchor
        self._top_of = top_of
        anchor.installEventFilter(self)
        # A soft shadow says the strip lies on top of the page.
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(QPointF(0, 3))
        shadow.setColor(QColor(0, 0, 0, 55))
        self.setGraphicsEffect(shadow)
        self._place()

    def show_message(self, text: str, level: str = "info") -> None:
        """Show text, cut to a readable length; level is one of info,
        success, warning, error."""
        if level not in LEVELS:
            raise ValueError(f"unknown banner level {level!r}")
        self._label.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.setProperty("level", level)
        # The stylesheet picks colours from the level property.
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        self._place()
        if level in PASSING_LEVELS:
            self.hide_timer.start(self.auto_hide_ms)
        else:
            self.hide_timer.stop()

    def clear(self) -> None:
        self.hide_timer.stop()
        self._label.clear()
        self.hide()

    def reposition(self) -> None:
        """Take the place the page gives again (its title has changed)."""
        self._place()

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 (Qt override)
        # Not while it is being read (or its text selected).
        self.hide_timer.stop()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if self.isVisible() and self.level in PASSING_LEVELS:
            self.hide_timer.start(self.auto_hide_ms)
        super().leaveEvent(event)

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
        top = max(self._top_of(), MARGIN) if self._top_of is not None else MARGIN
        self.setGeometry(QRect(MARGIN, top, width, height))
        self.raise_()

    def _on_hide_timer_timeout(self) -> None:
        self.clear()

    def _on_close_clicked(self) -> None:
        self.clear()
        self.dismissed.emit()
