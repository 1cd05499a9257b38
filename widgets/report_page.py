"""The page of the selected report: what it is, its form, and Run.

The form is generated from the script's parameters schema (widgets/form.py).
Below it a line says why Run is disabled, or what Run will do; the controller
decides both from the values. Run is also on Ctrl+Return. The manifest's
title and description are shown cut to a readable length.
"""

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.display_text import (
    DESCRIPTION_LIMIT,
    MESSAGE_LIMIT,
    MESSAGE_LINES,
    TITLE_LIMIT,
    clipped,
    one_line,
)
from app.forms import FormContext, FormState
from app.manifest import Script
from widgets.form import ReportForm
from widgets.icons import (
    FALLBACK_REPORT_ICON,
    category_icon,
    icon,
    icon_from_bytes,
)
from widgets.plain_text import plain_label

ICON_SIZE = 36


class ReportPage(QWidget):
    """Shows one report at a time, or a hint to pick one.

    Signals:
        values_changed(dict): the form's values, on every edit.
        run_requested(): the user asked to run the report as filled in.
        resource_reload_requested(str): load a resource list again (Retry).
        form_rebuilt(): a new form is shown (its controls are new).
        page_changed(): a report, or the hint to pick one, is now shown.
    """

    values_changed = Signal(object)
    run_requested = Signal()
    resource_reload_requested = Signal(str)
    form_rebuilt = Signal()
    page_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.script: Script | None = None
        self._icons: dict[str, QIcon] = {}

        self.run_action = QAction("R&un report", self)
        self.run_action.setShortcuts(
            [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")]
        )
        self.run_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.run_action.setEnabled(False)
        self.run_action.triggered.connect(self._on_run_action_triggered)
        self.addAction(self.run_action)

        self.form = ReportForm()
        self.form.setObjectName("reportForm")
        self.form.values_changed.connect(self.values_changed)
        self.form.resource_reload_requested.connect(self.resource_reload_requested)

        self._stack = QStackedWidget()
        self._stack.addWidget(self._build_empty())
        self._stack.addWidget(self._build_report())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    def _build_empty(self) -> QWidget:
        page = QWidget()
        picture = plain_label()
        picture.setPixmap(icon(FALLBACK_REPORT_ICON).pixmap(48, 48))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label = plain_label("Choose a report from the catalog.")
        self.empty_label.setObjectName("muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(page)
        layout.addStretch()
        layout.addWidget(picture)
        layout.addWidget(self.empty_label)
        layout.addStretch()
        return page

    def _build_report(self) -> QWidget:
        self.icon_label = plain_label()
        self.title_label = plain_label()
        self.title_label.setObjectName("reportTitle")
        self.category_label = plain_label()
        self.category_label.setObjectName("reportCategory")
        self.description_label = self.form.intro

        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title_label)
        titles.addWidget(self.category_label)
        header = QHBoxLayout()
        self._header = header
        header.setSpacing(10)
        header.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(titles, 1)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("separator")

        self.reason_label = plain_label()
        self.reason_label.setObjectName("runReason")
        self.reason_label.setWordWrap(True)
        self.run_button = QPushButton("Run report")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run the report (Ctrl+Return)")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.run_action.trigger)
        footer = QHBoxLayout()
        footer.addWidget(self.reason_label, 1)
        footer.addWidget(self.run_button)

        page = QWidget()
        layout = QVBoxLayout(page)
        self._report_layout = layout
        layout.setContentsMargins(16, 12, 16, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.form, 1)
        layout.addWidget(line)
        layout.addLayout(footer)
        return page

    # -- what the controller tells the page ---------------------------------

    def show_script(self, script: Script, context: FormContext) -> None:
        """Show the report and a fresh form for its parameters."""
        self.script = script
        picture = self._icons.get(script.icon or "") or category_icon(script.category)
        self.icon_label.setPixmap(picture.pixmap(ICON_SIZE, ICON_SIZE))
        self.title_label.setText(one_line(script.title, TITLE_LIMIT))
        self.category_label.setText(one_line(script.category_label, TITLE_LIMIT))
        self.set_run_state(False, "")
        # TODO(report-page): a script with an app_url gets the generated form,
        # not the web page it names, so such reports may miss their own help.
        self.form.set_schema(script.schema, context=context)
        self.form.set_intro(
            clipped(script.desc, DESCRIPTION_LIMIT, lines=MESSAGE_LINES)
        )
        self._stack.setCurrentIndex(1)
        self.form_rebuilt.emit()
        self.page_changed.emit()

    def show_nothing(self, message: str = "Choose a report from the catalog.") -> None:
        self.script = None
        self.empty_label.setText(message)
        self.set_run_state(False, "")
        self._stack.setCurrentIndex(0)
        self.page_changed.emit()

    def banner_top(self) -> int:
        """How far down a message may float: below the report's title.

        Read from the size hints, not from geometries that a page just
        shown has not been given yet.
        """
        if self._stack.currentIndex() != 1:
            return 0
        margins = self._report_layout.contentsMargins()
        return margins.top() + self._header.sizeHint().height() + 2

    def remember_icon(self, url: str, data: bytes) -> None:
        """A report icon fetched in the background, shown when it applies."""
        picture = icon_from_bytes(data)
        if picture is None:
            return
        self._icons[url] = picture
        if self.script is not None and self.script.icon == url:
            self.icon_label.setPixmap(picture.pixmap(ICON_SIZE, ICON_SIZE))

    def values(self) -> dict[str, Any]:
        return self.form.values()

    def form_state(self) -> FormState:
        return self.form.state()

    def restore_form_state(self, state: FormState) -> None:
        self.form.restore(state)

    def resources_needed(self) -> set[str]:
        return set(self.form.resources_needed())

    def set_resource_choices(self, kind: str, choices: list[tuple[Any, str]]) -> None:
        self.form.set_resource_choices(kind, choices)

    def set_resource_failed(self, kind: str, message: str) -> None:
        self.form.set_resource_failed(kind, message)

    def set_resource_loading(self, kind: str) -> None:
        self.form.set_resource_loading(kind)

    def clear_resource_choices(self) -> None:
        """Forget the lists of the gateway signed out of."""
        self.form.clear_resource_choices()

    def set_errors(self, errors: dict[str, str]) -> None:
        self.form.set_errors(errors)

    def input_problems(self) -> dict[str, str]:
        """Fields whose typed text is not a value (see ReportForm)."""
        return self.form.input_problems()

    def set_run_state(self, ready: bool, reason: str) -> None:
        """Enable Run or not, with the line saying why (or what Run does)."""
        self.run_action.setEnabled(ready)
        self.run_button.setEnabled(ready)
        self.reason_label.setText(clipped(reason, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.reason_label.setProperty("blocked", not ready and bool(reason))
        self.reason_label.style().unpolish(self.reason_label)
        self.reason_label.style().polish(self.reason_label)

    # -- user actions ---------------------------------------------------------

    def _on_run_action_triggered(self) -> None:
        if self.script is not None and self.run_action.isEnabled():
            self.run_requested.emit()
