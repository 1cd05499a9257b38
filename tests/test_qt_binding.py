"""The Qt binding we pin keeps Python's reference counts straight.

PySide6-Essentials 6.12.0 on Python 3.11 released a reference to None on
every Qt call returning nothing, and to True/False on every signal emitted
from Python, until the interpreter aborted mid-session. This fails if a
version with that fault is ever pinned again.
"""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    changed = Signal(bool)


def test_qt_calls_do_not_release_references_they_do_not_own(qapp):
    label = QLabel()
    emitter = _Emitter()
    emitter.changed.connect(lambda value: None)
    none_before = sys.getrefcount(None)
    true_before = sys.getrefcount(True)

    for index in range(200):
        label.setText(str(index))
        emitter.changed.emit(True)

    # Other threads may hold a few more or fewer; a leak shows as -200.
    assert sys.getrefcount(None) - none_before > -50
    assert sys.getrefcount(True) - true_before > -50
