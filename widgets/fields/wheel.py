"""Wheel events over a form's editors: they scroll the form, not the value.

A combo box or spin box that reacts to the wheel while the pointer only
passes over it changes a report parameter without the user noticing. The
guard here makes such editors take the wheel only once they have focus
(clicked or tabbed into); until then the wheel scrolls the form around them.
"""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

# The editors of a form that change their value on a wheel turn.
WHEEL_EDITORS = (QComboBox, QAbstractSpinBox)


class _WheelGuard(QObject):
    """Passes wheel events over an unfocused editor on to its parents."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if _has_focus(watched):
            return False
        # Unaccepted and filtered, the event goes on to the parent widgets,
        # so the scroll area around the form scrolls.
        event.ignore()
        return True


def guard_wheel(root: QWidget) -> None:
    """Make root and every editor inside it ignore the wheel until focused."""
    guard = _WheelGuard(root)
    editors = [root] if isinstance(root, WHEEL_EDITORS) else []
    editors += [w for w in root.findChildren(QWidget) if isinstance(w, WHEEL_EDITORS)]
    for editor in editors:
        # StrongFocus: a wheel turn must not give focus (WheelFocus would).
        editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        editor.installEventFilter(guard)


def _has_focus(widget: QWidget) -> bool:
    focused = QApplication.focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))
