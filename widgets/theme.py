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
FOCUS_TINT = "#dfe7fd"
FOCUS_DARK = "#14245c"
# A selected or current row of a list, table or tree: dark text on a light
# tint, the same whether the view has the focus or not, so that the text is
# always readable (Fusion's own choice was white on near-white).
SELECTION = "#e6edfe"
SELECTION_TEXT = TEXT

# Dark enough to read on white and on a selected row (SELECTION).
STATE_COLORS = {
    "created": "#646873",
    "running": ACCENT_DARK,
    "done": "#18794e",
    "error": "#be2a2f",
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
#reportTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}
#reportDescription {{ color: {MUTED}; }}
#dialogTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}

QTreeView, QTableView, QListView {{
    background: {SURFACE};
    selection-background-color: {SELECTION};
    selection-color: {SELECTION_TEXT};
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
QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit {{
    border: 1px solid {BORDER};
    border-radius: 5px;
    padding: 4px 6px;
    background: {SURFACE};
}}
/* A plain list under the box, as long as its items (up to 10): Fusion's
   own popup centres the current item and hides the first ones. */
QComboBox {{ combobox-popup: 0; }}
QComboBox::drop-down {{
    subcontrol-origin: padding;
    subcontrol-position: center right;
    width: 22px;
    border: none;
}}
QComboBox::down-arrow {{
    image: url("{{chevron}}");
    width: 12px;
    height: 12px;
}}
/* Spin boxes (numbers, whole numbers of any size, times) are as tall as a
   line of text beside them: their two buttons would make them 3 px taller
   with the same padding, so a pixel of it goes. */
QAbstractSpinBox {{ padding: 3px 24px 2px 6px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: padding;
    width: 22px;
    border: none;
    border-left: 1px solid {BORDER};
    background: {SURFACE};
}}
QAbstractSpinBox::up-button {{
    subcontrol-position: top right;
    border-top-right-radius: 4px;
}}
QAbstractSpinBox::down-button {{
    subcontrol-position: bottom right;
    border-bottom-right-radius: 4px;
}}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{
    background: #eef1f8;
}}
QAbstractSpinBox::up-arrow {{
    image: url("{{chevron_up}}");
    width: 10px;
    height: 10px;
}}
QAbstractSpinBox::down-arrow {{
    image: url("{{chevron}}");
    width: 10px;
    height: 10px;
}}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off,
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {{
    image: none;
}}

/* Keyboard focus is always visible: a 2 px accent ring, padding reduced by
   the extra pixel so nothing moves when focus arrives. */
QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {{
    border: 2px solid {ACCENT};
    padding: 3px 5px;
}}
QAbstractSpinBox:focus {{
    border: 2px solid {ACCENT};
    padding: 2px 23px 1px 5px;
}}
/* The line inside a spin box or an editable list is drawn by its owner. */
QAbstractSpinBox QLineEdit, QComboBox QLineEdit,
QAbstractSpinBox QLineEdit:focus, QComboBox QLineEdit:focus {{
    border: none;
    padding: 0;
    background: transparent;
}}
/* A value the report fixes: its text where an input's text would be. */
#constantValue {{ padding: 5px 7px; }}
QCheckBox, QRadioButton {{ padding: 2px 4px; border-radius: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ background: {FOCUS_TINT}; }}
QTreeView, QTableView, QListView {{
    border: 1px solid transparent;
    border-radius: 4px;
}}
QListView {{ border-color: {BORDER}; background: {SURFACE}; }}
QTreeView:focus, QTableView:focus, QListView:focus {{
    border: 1px solid {ACCENT};
}}
/* The calendar of a date field sizes itself for a borderless table: a
   border would cut off its last week. */
QCalendarWidget QTableView, QCalendarWidget QTableView:focus {{
    border: none;
    border-radius: 0;
}}
QListView::item:selected, QListView::item:selected:!active {{
    background: {SELECTION};
    color: {SELECTION_TEXT};
}}
QListView::item:focus {{ border: 1px dotted {ACCENT}; }}
QComboBox QAbstractItemView {{
    border: 1px solid {BORDER};
    background: {SURFACE};
    selection-background-color: {SELECTION};
    selection-color: {SELECTION_TEXT};
}}
QComboBox QAbstractItemView::item {{ min-height: 24px; padding: 0 4px; }}

QPushButton {{
    border: 1px solid {BORDER};
    border-radius: 6px;
    padding: 6px 14px;
    background: {SURFACE};
}}
QPushButton:hover {{ border-color: #b9bbc6; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; padding: 5px 13px; }}
QPushButton#primary {{
    background: {ACCENT};
    border-color: {ACCENT};
    color: white;
    font-weight: 600;
    padding: 7px 22px;
}}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:focus {{
    border: 2px solid {FOCUS_DARK};
    padding: 6px 21px;
}}
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
    padding: 3px 6px;
    padding-right: 20px;
    background: {SURFACE};
}}
QToolButton#fileButton:hover {{ border-color: #b9bbc6; background: #f8f9fb; }}
QToolButton#fileButton:focus {{
    border: 2px solid {ACCENT};
    padding: 2px 5px;
    padding-right: 19px;
}}
QToolButton:focus {{ border: 2px solid {ACCENT}; border-radius: 4px; }}
QToolButton#fileButton[saved="true"] {{ color: #18794e; }}
QToolButton#fileButton::menu-button {{
    border: none;
    border-left: 1px solid {BORDER};
    width: 16px;
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
QStatusBar QLabel#connectionDot {{ padding: 0 0 0 6px; }}
QStatusBar QLabel#connectionText {{ padding: 0 6px 0 2px; }}
QStatusBar QLabel#connectionDot[state="offline"] {{ color: #8b8d98; }}
QStatusBar QLabel#connectionDot[state="connecting"] {{ color: #f5a524; }}
QStatusBar QLabel#connectionDot[state="online"] {{ color: #30a46c; }}
QStatusBar QLabel#connectionDot[state="error"] {{ color: #e5484d; }}
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
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#9a9ca5"))
    app.setPalette(palette)

    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    chevron = resource("icons", "chevron-down.svg").as_posix()
    chevron_up = resource("icons", "chevron-up.svg").as_posix()
    sheet = STYLESHEET.replace("{chevron}", chevron)
    app.setStyleSheet(sheet.replace("{chevron_up}", chevron_up))
