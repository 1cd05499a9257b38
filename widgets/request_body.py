"""The JSON body Run would send to the gateway, shown read-only, with Copy.

The text comes from the controller, built by the very function that builds
the request Run sends (app.runs.job_request_body); this view only shows it.
The token is never part of it: it travels in a header.
"""

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.display_text import TITLE_LIMIT, one_line
from widgets.plain_text import plain_label


class RequestBodyView(QWidget):
    """What Run sends: the call on one line, the JSON body below it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.call_label = plain_label()
        self.call_label.setObjectName("muted")
        self.call_label.setWordWrap(True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the JSON body to the clipboard")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        top = QHBoxLayout()
        top.addWidget(self.call_label, 1)
        top.addWidget(self.copy_button)

        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("JSON body of the run request")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)

    def set_body(self, call: str, body: str) -> None:
        """Show the call ("POST https://…/api/job_manager") and its body.

        The scroll position is kept, so a body read while typing stays put.
        """
        self.call_label.setText(one_line(call, 4 * TITLE_LIMIT))
        if body != self.text.toPlainText():
            bar = self.text.verticalScrollBar()
            position = bar.value()
            self.text.setPlainText(body)
            bar.setValue(position)
        self.copy_button.setEnabled(bool(body))

    def body(self) -> str:
        return self.text.toPlainText()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
