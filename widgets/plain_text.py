"""Text from outside the app, shown as the characters it is made of.

Titles, descriptions, field names and error messages come from manifests,
gateways and engines we do not control. Qt reads the text of a label, a
tooltip or a message box as HTML as soon as it merely looks like HTML: an
engine's error holding `<img src=...>` would make a label load that file,
and `<h1>` would draw a heading. Every label of the app is made here, in
plain-text mode, and tooltips, message boxes and button titles that can
carry such text go through here too. Tooltips are also cut to a readable
length (app/display_text.py): a huge text would be laid out whole.
"""

import html

# QtGui's Qt namespace is QtCore's, plus mightBeRichText.
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from app.display_text import TOOLTIP_LIMIT, TOOLTIP_LINES, clipped


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows its text literally, whatever it looks like."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def tooltip(text: str) -> str:
    """text as a tooltip that Qt shows literally, cut to a readable length.

    Qt shows a tooltip as HTML when its start looks like HTML, and gives no
    way to say otherwise; such text is escaped and wrapped in a paragraph
    that keeps its line breaks, so what shows is the text itself.
    """
    text = clipped(text, TOOLTIP_LIMIT, lines=TOOLTIP_LINES)
    if not text or not Qt.mightBeRichText(text):
        return text
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>'


def button_text(text: str) -> str:
    """text for a button, check box or group title: "&" is not a shortcut."""
    return text.replace("&", "&&")


def message_box(
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    parent: QWidget | None = None,
) -> QMessageBox:
    """A message box that shows its text literally."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    return box
