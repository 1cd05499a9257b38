"""The result files of one job, as buttons in a cell of the jobs table.

A click on a button downloads the file if needed and opens it; its menu has
Download, Open and Show in folder. The buttons are for the mouse; the
keyboard gets the same actions from the row's menu (widgets/file_menu.py).
The buttons go onto as many lines as the cell's width needs, so every one
stays reachable in a narrow window without scrolling sideways; a name too
long for a whole line is shortened in the middle, keeping its start and its
extension, with the whole name in the tooltip (as far as a tooltip goes:
a name of thousands of characters is cut there too).
"""

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.display_text import TITLE_LIMIT, clipped_middle
from widgets.flow_layout import FlowLayout
from widgets.jobs_model import FileState
from widgets.plain_text import button_text, tooltip

SPACING = 5
MARGINS = (2, 3, 2, 3)


class FileButtons(QWidget):
    """One button per result file of a job.

    Signals (job id, file name); the id is a Python int of any size:
        download_clicked: Download in a button's menu.
        open_clicked: a click on a button, or Open in its menu.
        show_folder_clicked: Show in folder in a button's menu.
    Signal layout_changed(): the buttons changed size (a new state, the
        style applied); the height the cell needs may have changed.
    """

    download_clicked = Signal(object, str)
    open_clicked = Signal(object, str)
    show_folder_clicked = Signal(object, str)
    layout_changed = Signal()

    def __init__(self, job_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.buttons: dict[str, QToolButton] = {}
        self._states: dict[str, FileState] = {}
        # What each button needs to show its whole name.
        self._whole_widths: dict[str, int] = {}
        self._width: int | None = None
        self._layout = FlowLayout(self, spacing=SPACING)
        self._layout.setContentsMargins(*MARGINS)

    def show_files(self, files: list[FileState]) -> None:
        # Sizes are right only once the stylesheet has been applied.
        self.ensurePolished()
        for state in files:
            if state.name not in self.buttons:
                self._add_button(state.name)
            self._states[state.name] = state
            self._describe(state.name)
        self._layout.invalidate()

    def fit_width(self, width: int) -> None:
        """Be width wide: shorten the names a whole line cannot hold."""
        if width == self._width:
            return
        self._width = width
        for name in self.buttons:
            self._describe(name)
        self._layout.invalidate()

    def widest(self) -> int:
        """The width the cell needs to show its widest button whole."""
        widest = max(self._whole_widths.values(), default=0)
        return widest + MARGINS[0] + MARGINS[2] if widest else 0

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self.layout_changed.emit()
        return handled

    def lines(self, width: int) -> int:
        """How many lines of buttons the cell shows at that width."""
        return self._layout.lines_for_width(width)

    def _describe(self, name: str) -> None:
        button, state = self.buttons[name], self._states[name]
        self._whole_widths[name] = _describe_button(button, state, self._button_room())

    def _button_room(self) -> int | None:
        """The widest a button may be: a line of the cell."""
        if self._width is None:
            return None
        return max(self._width - MARGINS[0] - MARGINS[2], 1)

    def _add_button(self, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("fileButton")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # The keyboard reaches files through the table's row menu: a Tab
        # stop per button would be dozens of stops, in no fixed order.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        menu = QMenu(button)
        download = menu.addAction("Download")
        download.triggered.connect(
            lambda: self.download_clicked.emit(self.job_id, name)
        )
        open_action = menu.addAction("Open")
        open_action.triggered.connect(lambda: self.open_clicked.emit(self.job_id, name))
        folder = menu.addAction("Show in folder")
        folder.triggered.connect(
            lambda: self.show_folder_clicked.emit(self.job_id, name)
        )
        button.setMenu(menu)
        button.clicked.connect(lambda: self._on_button_clicked(name))

        self._layout.addWidget(button)
        self.buttons[name] = button
        return button

    def _on_button_clicked(self, name: str) -> None:
        # Downloaded first if needed, then opened.
        self.open_clicked.emit(self.job_id, name)


def _describe_button(button: QToolButton, state: FileState, room: int | None) -> int:
    """Show the file's state on its button, no wider than room.

    Returns the width the button needs for the whole name.
    """
    button.setProperty("saved", state.state == "saved")
    # The "saved" property changes the look: have the stylesheet read it again.
    button.style().unpolish(button)
    button.style().polish(button)

    mark, suffix, tip = _state_words(state)
    # Measured at every width the cell takes: never a name of any length.
    shown = clipped_middle(state.name, TITLE_LIMIT)
    button.setText(button_text(f"{mark} {shown}{suffix}"))
    whole = button.sizeHint().width()
    if room is not None and whole > room:
        shown = _shortened_name(button, shown, mark, suffix, room)
        button.setText(button_text(f"{mark} {shown}{suffix}"))
    if shown != state.name:
        tip = f"{state.name}\n{tip}"
    button.setToolTip(tooltip(tip))
    button.setEnabled(state.state != "downloading")
    return whole


def _state_words(state: FileState) -> tuple[str, str, str]:
    """The mark before the name, what follows it, and the tooltip."""
    if state.state == "saved":
        return "✓", "", f"Saved to {state.path}. Click to open it."
    if state.state == "downloading":
        share = f" {100 * state.received // state.total}%" if state.total else ""
        return "⤓", share, "Downloading…"
    if state.state == "failed":
        return "⚠", "", f"The download failed: {state.message} Click to retry."
    return (
        "⤓",
        "",
        "Click to download and open it; the menu can also only download it "
        "or show its folder.",
    )


def _shortened_name(
    button: QToolButton, name: str, mark: str, suffix: str, room: int
) -> str:
    """name, cut in the middle so that its button (showing it now) fits room.

    Only a name too long for a whole line is cut (a cut "tri….json" cannot
    be told apart from another); the middle goes, the start and the
    extension stay.
    """
    needed = button.sizeHint().width()
    metrics = button.fontMetrics()
    frame = needed - metrics.horizontalAdvance(f"{mark} {name}{suffix}")
    fixed = metrics.horizontalAdvance(f"{mark} {suffix}")
    return metrics.elidedText(
        name, Qt.TextElideMode.ElideMiddle, max(room - frame - fixed, 0)
    )
