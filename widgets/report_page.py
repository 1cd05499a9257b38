"""The page of the selected report: what it is, its form, and Run.

The form is generated from the script's parameters schema (widgets/form.py);
the forms of the last reports opened are kept built (widgets/report_forms.py),
so going back to one shows it at once, as it was left. A report with its own
web page (app_url) shows that page in a tab before the form
(widgets/app_page.py). Above Run a line names the fields that need
attention, and beside it a line says why Run is disabled, or what Run will
do; the controller decides both from the values. "JSON body" shows the very
body Run would send (widgets/request_body.py). Run is also on Ctrl+Return.
The manifest's title and description are shown cut to a readable length.
The form code, and the schema code under it, is imported when the first
form is built, so that it does not delay showing the window.
"""

import functools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
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
from widgets.app_page import AppPage
from widgets.icons import (
    FALLBACK_REPORT_ICON,
    category_icon,
    icon,
    icon_from_bytes,
)
from widgets.plain_text import plain_label, tooltip
from widgets.request_body import RequestBodyView

if TYPE_CHECKING:
    from app.forms import FormContext, FormState
    from app.manifest import Script
    from widgets.form import ReportForm
    from widgets.report_forms import KeptForm, KeptForms

ICON_SIZE = 36
APP_TAB = "Report page"
FORM_TAB = "Form"
BODY_MINIMUM_HEIGHT = 120
# What the JSON body gets when shown: enough lines to read a body, but at
# most half of the room, the form being what the user fills in; a height
# the user dragged it to is kept instead.
BODY_SHOWN_HEIGHT = 360


class ReportPage(QWidget):
    """Shows one report at a time, or a hint to pick one.

    Signals:
        values_changed(dict): the form's values, on every edit.
        run_requested(): the user asked to run the report as filled in.
        schedule_requested(): the user asked to schedule the report.
        resource_reload_requested(str): load a resource list again (Retry).
        resources_needed_changed(set): the shown form now has pickers for
            these lists too (shown by a condition, a variant, an Add).
        form_rebuilt(): another form is shown (new, or kept from before).
        page_changed(): a report, or the hint to pick one, is now shown.
        request_body_toggled(bool): the JSON body was shown or hidden.
    """

    values_changed = Signal(object)
    run_requested = Signal()
    schedule_requested = Signal()
    resource_reload_requested = Signal(str)
    resources_needed_changed = Signal(object)
    form_rebuilt = Signal()
    page_changed = Signal()
    request_body_toggled = Signal(bool)

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

        # The forms: an empty one until a report is shown, then the kept ones;
        # each is built when first needed.
        self._forms = QStackedWidget()
        self._blank: ReportForm | None = None
        self._shown: ReportForm | None = None
        self._kept_forms: KeptForms | None = None
        self._current: KeptForm | None = None

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

        self.attention_label = plain_label()
        self.attention_label.setObjectName("runReason")
        self.attention_label.setProperty("blocked", True)
        self.attention_label.setWordWrap(True)
        self.attention_label.setAccessibleName("Fields that need attention")
        self.attention_label.hide()
        self.reason_label = plain_label()
        self.reason_label.setObjectName("runReason")
        self.reason_label.setWordWrap(True)
        self.body_action = QAction("Show the &JSON body", self)
        self.body_action.setCheckable(True)
        self.body_action.setShortcut(QKeySequence("Ctrl+Shift+J"))
        self.body_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.body_action.toggled.connect(self._on_body_action_toggled)
        self.addAction(self.body_action)
        self.body_button = QPushButton("JSON body")
        self.body_button.setCheckable(True)
        self.body_button.setToolTip(
            "Show the JSON body that Run would send (Ctrl+Shift+J)"
        )
        # Reached with Ctrl+Shift+J rather than Tab: Tab goes from Run to
        # the jobs, where the next thing to do is.
        self.body_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.body_button.toggled.connect(self.body_action.setChecked)
        self.run_button = QPushButton("Run report")
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip("Run the report (Ctrl+Return)")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.run_action.trigger)
        footer = QHBoxLayout()
        footer.addWidget(self.reason_label, 1)
        footer.addWidget(self.body_button)
        footer.addWidget(self._build_schedule_button())
        footer.addWidget(self.run_button)

        page = QWidget()
        layout = QVBoxLayout(page)
        self._report_layout = layout
        layout.setContentsMargins(16, 12, 16, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self._build_center(), 1)
        layout.addWidget(line)
        layout.addWidget(self.attention_label)
        layout.addLayout(footer)
        return page

    def _build_center(self) -> QWidget:
        """The form (and the report's own page, if any) over the JSON body."""
        self.app_page = AppPage()
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        # One tab (a report with no page of its own): no tab bar at all.
        self.views.setTabBarAutoHide(True)
        # Its tab bar takes the focus when shown; the tab widget never does.
        self.views.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.views.addTab(self._forms, FORM_TAB)

        self.body_view = RequestBodyView()
        self.body_view.setMinimumHeight(BODY_MINIMUM_HEIGHT)
        self.body_view.hide()
        self.center = QSplitter(Qt.Orientation.Vertical)
        self.center.addWidget(self.views)
        self.center.addWidget(self.body_view)
        self.center.setStretchFactor(0, 3)
        self.center.setStretchFactor(1, 1)
        self.center.setChildrenCollapsible(False)
        # The body's share of the height, once the user dragged the split.
        self._body_share: float | None = None
        self.center.splitterMoved.connect(self._on_center_splitter_moved)
        return self.center

    @property
    def form(self) -> "ReportForm":
        """The form shown: the report's, or an empty one before any report."""
        if self._shown is None:
            self._shown = self._blank_form()
        return self._shown

    def _blank_form(self) -> "ReportForm":
        if self._blank is None:
            self._blank = self._new_form()
        return self._blank

    @property
    def _kept(self) -> "KeptForms":
        if self._kept_forms is None:
            from widgets.report_forms import KeptForms

            self._kept_forms = KeptForms(self._forms)
        return self._kept_forms

    def _new_form(self) -> "ReportForm":
        from widgets.form import ReportForm

        form = ReportForm()
        form.setObjectName("reportForm")
        # Only the shown form speaks for the page: a kept one may change
        # while hidden (a list arriving), and is checked when shown again.
        form.values_changed.connect(functools.partial(self._on_form_changed, form))
        form.resource_reload_requested.connect(self.resource_reload_requested)
        form.resources_needed_changed.connect(
            functools.partial(self._on_form_resources_needed_changed, form)
        )
        self._forms.addWidget(form)
        return form

    # -- what the controller tells the page ---------------------------------

    def show_script(self, script: "Script", context: "FormContext") -> bool:
        """Show the report and a form for its parameters.

        The form kept from the last time the report was shown comes back as
        it was left, if built from the same schema and context; else a new
        one is built. True when a kept form is shown.
        """
        self.script = script
        picture = self._icons.get(script.icon or "") or category_icon(script.category)
        self.icon_label.setPixmap(picture.pixmap(ICON_SIZE, ICON_SIZE))
        self.title_label.setText(one_line(script.title, TITLE_LIMIT))
        self.category_label.setText(one_line(script.category_label, TITLE_LIMIT))
        self.set_run_state(False, "")
        self.set_attention("")

        key = (script.engine_url, script.script)
        kept = self._kept.find(key, script.schema, context)
        reused = kept is not None
        if kept is None:
            form = self._new_form()
            form.set_schema(script.schema, context=context)
            kept = self._kept.add(key, form, script.schema, context)
        kept.form.set_intro(
            clipped(script.desc, DESCRIPTION_LIMIT, lines=MESSAGE_LINES)
        )
        self._show_form(kept)
        self._show_app_url(script.app_url)
        self._stack.setCurrentIndex(1)
        self.form_rebuilt.emit()
        self.page_changed.emit()
        return reused

    def forget_forms(self) -> None:
        """Build every form anew from now on (the gateway or user changed)."""
        self._current = None
        if self._kept_forms is None:
            return
        self._shown = self._blank_form()
        self._forms.setCurrentWidget(self._shown)
        self._kept_forms.clear()

    def focus_chain(self) -> list[QWidget]:
        """The page's controls in the order Tab visits them: the report's
        own page, the form, Run, then the JSON body while it is shown
        (Qt skips hidden ones as Tab moves)."""
        chain: list[QWidget] = []
        # Only while its tab is in the page: Qt chains widgets of one window.
        if self.views.indexOf(self.app_page) >= 0:
            chain += [self.views.tabBar(), self.app_page.open_button]
            if self.app_page.view is not None:
                chain.append(self.app_page.view)
        # No form is built before the first report: none to visit.
        if self._shown is not None:
            chain += self._shown.rows.focus_chain()
        chain += [self.run_button, self.body_view.copy_button, self.body_view.text]
        return chain

    @property
    def description_label(self) -> QLabel:
        return self.form.intro

    @property
    def kept_forms(self) -> int:
        """How many reports' forms are kept built."""
        return len(self._kept)

    def show_nothing(self, message: str = "Choose a report from the catalog.") -> None:
        self.script = None
        self.empty_label.setText(message)
        self.set_run_state(False, "")
        self.set_attention("")
        self._show_app_url(None)
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

    def form_state(self) -> "FormState":
        return self.form.state()

    def restore_form_state(self, state: "FormState") -> None:
        self.form.restore(state)

    def resources_needed(self) -> set[str]:
        return set(self.form.resources_needed())

    def set_resource_choices(self, kind: str, choices: list[tuple[Any, str]]) -> None:
        """Give the shown form a resource list; the same list again is skipped.

        Skipped by identity: a kept form shown again already has the list
        the controller keeps, and refilling a picker of thousands of names
        would cost most of the way back.
        """
        if self._current is not None:
            if self._current.given.get(kind) is choices:
                return
            self._current.given[kind] = choices
        self.form.set_resource_choices(kind, choices)

    def set_resource_failed(self, kind: str, message: str) -> None:
        if self._current is not None:
            self._current.given.pop(kind, None)
        self.form.set_resource_failed(kind, message)

    def set_resource_loading(self, kind: str) -> None:
        if self._current is not None:
            self._current.given.pop(kind, None)
        self.form.set_resource_loading(kind)

    def clear_resource_choices(self) -> None:
        """Forget the lists of the gateway signed out of, and the forms
        that show them."""
        if self._shown is not None:
            self._shown.clear_resource_choices()
        self.forget_forms()

    def set_errors(self, errors: dict[str, str]) -> None:
        self.form.set_errors(errors)

    def input_problems(self) -> dict[str, str]:
        """Fields whose typed text is not a value (see ReportForm)."""
        return self.form.input_problems()

    def set_attention(self, text: str) -> None:
        """The line above Run naming what needs attention ("" for none)."""
        self.attention_label.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.attention_label.setVisible(bool(text))

    def wants_request_body(self) -> bool:
        """Whether the JSON body is shown, and so worth building."""
        return self.body_action.isChecked()

    def set_request_body(self, call: str, body: str) -> None:
        """Show the call Run would make and its JSON body."""
        self.body_view.set_body(call, body)

    def set_schedule_state(self, allowed: bool, reason: str) -> None:
        """Enable Schedule or not; its tooltip says why (or what it does)."""
        self.schedule_button.setEnabled(allowed)
        self.schedule_button.setToolTip(tooltip(reason))
        self.schedule_button.setAccessibleDescription(reason)

    def _build_schedule_button(self) -> QPushButton:
        # Disabled until the controller says the report may be scheduled.
        self.schedule_button = QPushButton("Schedule…")
        self.schedule_button.setEnabled(False)
        self.schedule_button.clicked.connect(self.schedule_requested)
        return self.schedule_button

    def set_run_state(self, ready: bool, reason: str) -> None:
        """Enable Run or not, with the line saying why (or what Run does)."""
        self.run_action.setEnabled(ready)
        self.run_button.setEnabled(ready)
        self.reason_label.setText(clipped(reason, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.reason_label.setProperty("blocked", not ready and bool(reason))
        self.reason_label.style().unpolish(self.reason_label)
        self.reason_label.style().polish(self.reason_label)

    # -- inside the page ------------------------------------------------------

    def _show_form(self, kept: "KeptForm") -> None:
        self._current = kept
        self._shown = kept.form
        self._forms.setCurrentWidget(kept.form)

    def _show_app_url(self, url: str | None) -> None:
        """The report's own page in a tab before the form, or no such tab."""
        index = self.views.indexOf(self.app_page)
        if not url:
            if index >= 0:
                self.views.removeTab(index)
            self.app_page.clear()
            return
        if index < 0:
            self.views.insertTab(0, self.app_page, APP_TAB)
        self.app_page.show_url(url)
        self.views.setCurrentWidget(self.app_page)

    # -- user actions ---------------------------------------------------------

    def _on_form_changed(self, form: "ReportForm", values: dict[str, Any]) -> None:
        if form is self.form:
            self.values_changed.emit(values)

    def _on_form_resources_needed_changed(
        self, form: "ReportForm", kinds: set[str]
    ) -> None:
        if form is self.form:
            self.resources_needed_changed.emit(kinds)

    def _on_body_action_toggled(self, shown: bool) -> None:
        self.body_button.setChecked(shown)
        self.body_view.setVisible(shown)
        if shown:
            # A splitter gives a pane shown late no room: give it its own.
            total = sum(self.center.sizes())
            if self._body_share is not None:
                body = int(total * self._body_share)
            else:
                body = max(BODY_MINIMUM_HEIGHT, min(BODY_SHOWN_HEIGHT, total // 2))
            self.center.setSizes([total - body, body])
        self.body_button.setText("Hide JSON body" if shown else "JSON body")
        self.request_body_toggled.emit(shown)

    def _on_center_splitter_moved(self, _position: int, _index: int) -> None:
        form, body = self.center.sizes()
        if body and form + body:
            self._body_share = body / (form + body)

    def _on_run_action_triggered(self) -> None:
        if self.script is not None and self.run_action.isEnabled():
            self.run_requested.emit()
