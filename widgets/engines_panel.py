"""The Engines panel: local engines started, watched, stopped and checked.

It holds no process: it asks, through its signals, and is told what
happened (app/controllers/engines.py). The log keeps the last lines of
every engine's output, each line marked with its engine's name.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.plain_text import plain_label

LOG_LINES = 2000  # older lines are dropped, so a chatty engine stays cheap
COMMAND_HINT = "python my_engine.py --port {port}"


class EnginesPanel(QWidget):
    """Start an engine, see its output and state, stop it, check it.

    Signals:
        start_embedded_requested(): start the engine built into the app.
        start_command_requested(str, str, str): command, folder, environment.
        stop_requested(int), check_requested(int): the selected engine.
    """

    start_embedded_requested = Signal()
    start_command_requested = Signal(str, str, str)
    stop_requested = Signal(int)
    check_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText(COMMAND_HINT)
        self.command_edit.setToolTip(
            "{port} is replaced by a free port on 127.0.0.1; without it, the "
            "engine must print 'listening on URL'"
        )
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("working folder (optional)")
        self.env_edit = QPlainTextEdit()
        self.env_edit.setPlaceholderText("KEY=VALUE, one a line")
        self.env_edit.setMaximumHeight(60)

        self.embedded_button = QPushButton("Start embedded engine")
        self.start_button = QPushButton("Start command")
        self.stop_button = QPushButton("Stop")
        self.check_button = QPushButton("Check engine")
        self.engine_list = QListWidget()
        self.engine_list.setMaximumHeight(90)
        self.status_label = plain_label()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.log_view = _read_only_text(LOG_LINES)
        self.check_view = _read_only_text(500)
        self._running: set[int] = set()

        self._build_layout()
        self.embedded_button.clicked.connect(self.start_embedded_requested)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.check_button.clicked.connect(self._on_check_clicked)
        self.engine_list.currentRowChanged.connect(self._update_buttons)
        self._update_buttons()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow(plain_label("Command"), self.command_edit)
        form.addRow(plain_label("Folder"), self.folder_edit)
        form.addRow(plain_label("Environment"), self.env_edit)

        buttons = QHBoxLayout()
        for button in (
            self.embedded_button,
            self.start_button,
            self.stop_button,
            self.check_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.engine_list)
        layout.addWidget(self.status_label)
        layout.addWidget(self.log_view, 2)
        layout.addWidget(self.check_view, 1)

    # -- told by the controller ------------------------------------------

    def set_engines(self, engines: list[tuple[int, str]], running: list[int]) -> None:
        """The engines by number and label; the selection is kept."""
        selected = self.selected_engine()
        self._running = set(running)
        self.engine_list.clear()
        for number, label in engines:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, number)
            self.engine_list.addItem(item)
            if number == selected or (selected is None and number in running):
                self.engine_list.setCurrentItem(item)
        self._update_buttons()

    def selected_engine(self) -> int | None:
        item = self.engine_list.currentItem()
        if item is None:
            return None
        return int(item.data(Qt.ItemDataRole.UserRole))

    def append_log(self, name: str, line: str) -> None:
        self.log_view.appendPlainText(f"[{name}] {line}")

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def start_check(self, name: str) -> None:
        self.check_view.setPlainText(f"checking {name}…")
        self.check_button.setEnabled(False)

    def append_check_line(self, line: str) -> None:
        self.check_view.appendPlainText(line)

    def finish_check(self) -> None:
        self._update_buttons()

    # -- asked by the user ------------------------------------------------

    def _on_start_clicked(self) -> None:
        self.start_command_requested.emit(
            self.command_edit.text(),
            self.folder_edit.text(),
            self.env_edit.toPlainText(),
        )

    def _on_stop_clicked(self) -> None:
        number = self.selected_engine()
        if number is not None:
            self.stop_requested.emit(number)

    def _on_check_clicked(self) -> None:
        number = self.selected_engine()
        if number is not None:
            self.check_requested.emit(number)

    def _update_buttons(self, *_row: object) -> None:
        running = self.selected_engine() in self._running
        self.stop_button.setEnabled(running)
        self.check_button.setEnabled(running)


def _read_only_text(max_lines: int) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setMaximumBlockCount(max_lines)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view
