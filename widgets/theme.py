"""The look of the window: Fusion, a light palette and a short stylesheet.

Kept in one place so every widget gets the same colours; widgets mark what
needs a special look with an object name or a property, never inline styles.
"""

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.paths import resource

ACCENT = "#3e63dd"
ACCENT_DARK = "#2f4fb8"
TEXT = "#1c2024"
MUTED = "#60646c"
BORDER = "#dcdfe5"
SURFACE = "#ffffff"
BACKGROUND = "#f3f4f7"
DISABLED_TEXT = "#a0a2aa"
ERROR_TEXT = "#ce2c31"

STATE_COLORS = {
    "created": "#8b8d98",
    "running": ACCENT,
    "done": "#18794e",
    "error": "#ce2c31",
}

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QSplitter::handle {{ background: {BACKGROUND}; }}

#card {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 8px;
}}
#separator {{ background: {BORDER}; max-height: 1px; border: none; }}
#cardTitle {{ font-weight: 600; color: {TEXT}; }}
#muted, #reportCategory {{ color: {MUTED}; }}
#reportTitle {{ font-size: 17pt; font-weight: 600; color: {TEXT}; }}
#reportDescription {{ color: {MUTED}; }}
#dialogTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}

QTreeView, QTableView {{
    background: {SURFACE};
    border: none;
    selection-background-color: #e6edfe;
    selection-color: {TEXT};
    outline: 0;
}}
QHeaderView::section {{
    background: {SURFACE};
    color: {MUTED};
    border: none;
    border-bottom: 1px solid {BORDER};
    padding: 4px 6px;
    font-weight: 600;
}}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QDateTimeEdit, QPlainTextEdit {{
    border: 1px solid {BORDER};
    border-radius: 5px;
    padding: 4px 6px;
    background: {SURFACE};
}}
QLineEdit:focus, QComboBox:focus, QSpinBox:focus, QDateTimeEdit:focus {{
    border: 1px solid {ACCENT};
}}
QComboBox::drop-down, QDateTimeEdit::drop-down {{
    subcontrol-origin: padding;
    subcontrol-position: center right;
    width: 22px;
    border: none;
}}
QComboBox::down-arrow, QDateTimeEdit::down-arrow {{
    image: url("{{chevron}}");
    width: 12px;
    height: 12px;
}}
QComboBox QAbstractItemView {{
    border: 1px solid {BORDER};
    background: {SURFACE};
    selection-background-color: #e6edfe;
    selection-color: {TEXT};
}}

QPushButton {{
    border: 1px solid {BORDER};
    border-radius: 6px;
    padding: 6px 14px;
    background: {SURFACE};
}}
QPushButton:hover {{ border-color: #b9bbc6; }}
QPushButton#primary {{
    background: {ACCENT};
    border-color: {ACCENT};
    color: white;
    font-weight: 600;
    padding: 7px 22px;
}}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:disabled {{
    background: #c1c8e4;
    border-color: #c1c8e4;
    color: #f4f6fb;
}}

#reportForm QScrollArea,
#reportForm #qt_scrollarea_viewport,
#reportForm #qt_scrollarea_viewport > QWidget {{
    background: {SURFACE};
}}

QToolButton#fileButton {{
    border: 1px solid {BORDER};
    border-radius: 5px;
    padding: 3px 8px;
    padding-right: 22px;
    background: {SURFACE};
}}
QToolButton#fileButton:hover {{ border-color: #b9bbc6; background: #f8f9fb; }}
QToolButton#fileButton[saved="true"] {{ color: #18794e; }}
QToolButton#fileButton::menu-button {{
    border: none;
    border-left: 1px solid {BORDER};
    width: 18px;
}}
QToolButton#fileButton::menu-arrow {{
    image: url("{{chevron}}");
    width: 10px;
    height: 10px;
}}

#runReason {{ color: {MUTED}; }}
#runReason[blocked="true"] {{ color: #ab6400; }}

#banner {{ border-radius: 6px; }}
#banner[level="info"] {{ background: #e6edfe; border: 1px solid #c6d4f9; }}
#banner[level="success"] {{ background: #e6f6eb; border: 1px solid #b4dfc4; }}
#banner[level="warning"] {{ background: #fff4d5; border: 1px solid #f3d673; }}
#banner[level="error"] {{ background: #feebec; border: 1px solid #f4a9aa; }}
#banner[level="error"] #bannerText {{ color: #a3202a; }}
#signInError {{ color: #ce2c31; }}

QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
"""


def apply_theme(app: QApplication) -> None:
    """Give the application its style, palette, font and stylesheet."""
    app.setStyle("Fusion")

    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8f9fb"))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#9a9ca5"))
    app.setPalette(palette)

    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    chevron = resource("icons", "chevron-down.svg").as_posix()
    app.setStyleSheet(STYLESHEET.replace("{chevron}", chevron))
