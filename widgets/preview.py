"""A script's form drawn offscreen as a PNG, for `python -m app preview`.

The form is the window's own ReportForm, with the description and the
errors the window would show for the values. No gateway is asked anything:
each picker of gateway resources (vehicles, groups, ...) lists a few sample
names, so that the picture shows a list rather than "Loading…".
"""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMessageLogContext,
    QRect,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.display_text import (
    DESCRIPTION_LIMIT,
    MESSAGE_LINES,
    TITLE_LIMIT,
    clipped,
    one_line,
)
from app.forms import FormContext
from app.manifest import Script
from app.plurals import counted
from app.runs import local_zone
from app.validation import field_errors
from widgets.form import ReportForm
from widgets.plain_text import plain_label
from widgets.theme import apply_theme

log = logging.getLogger(__name__)

WIDTH = 760
MARGIN = 16
# A form taller than this is cut: a picture of metres is no use to anyone.
MAX_HEIGHT = 8000
SAMPLE_COUNT = 5
# Rounds of events a form gets to lay itself out: a level of nesting or two
# each, far more than any form nests.
SETTLE_ROUNDS = 40


def render_form(
    script: Script, values: dict[str, Any] | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The PNG of script's form, filled with values; and the values it sends."""
    with drawn_form(script, values) as (card, form):
        return _png_of(card), form.values()


@contextmanager
def drawn_form(
    script: Script, values: dict[str, Any] | None = None
) -> Iterator[tuple[QWidget, ReportForm]]:
    """The card of script's form as the picture shows it: filled with values,
    laid out offscreen at the picture's size. Gone once the block ends."""
    _application()
    with _qt_messages_logged():
        card, form = _card(script)
        try:
            _fill(form, script, values)
            _lay_out(card, form)
            yield card, form
        finally:
            card.close()
            card.deleteLater()


@contextmanager
def _qt_messages_logged() -> Iterator[None]:
    """Qt's notes (an offscreen platform that cannot do this or that) go to
    the debug log, not to the terminal of someone reading a one-line error."""

    def note(kind: QtMsgType, _where: QMessageLogContext, text: str) -> None:
        log.debug("Qt (%s): %s", kind.name, text)

    previous = qInstallMessageHandler(note)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def _card(script: Script) -> tuple[QWidget, ReportForm]:
    """The report's title over its form, on the window's card background."""
    card = QWidget()
    card.setObjectName("card")
    card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    card.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    title = plain_label(one_line(script.title, TITLE_LIMIT))
    title.setObjectName("reportTitle")
    form = ReportForm()
    # Drawn as in the window's report page.
    form.setObjectName("reportForm")
    # The card is as tall as the form: the picture needs no scroll bar.
    form.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    layout = QVBoxLayout(card)
    layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
    layout.addWidget(title)
    layout.addWidget(form, 1)
    return card, form


def _application() -> QApplication:
    """The running application, or a new one styled like the window."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    return app


def _fill(form: ReportForm, script: Script, values: dict[str, Any] | None) -> None:
    form.set_schema(script.schema, context=FormContext(tz=local_zone()))
    form.set_intro(clipped(script.desc, DESCRIPTION_LIMIT, lines=MESSAGE_LINES))
    for kind in sorted(form.resources_needed()):
        noun = kind.rstrip("s") or kind
        samples = [(n, f"Sample {noun} {n}") for n in range(1, SAMPLE_COUNT + 1)]
        form.set_resource_choices(kind, samples)
    if values is not None:
        form.set_values(values)

    # What the window would say of these values, at their fields.
    schema = script.validation_schema or script.schema
    errors = field_errors(schema, form.values())
    errors.update(form.input_problems())
    form.set_errors(errors)
    if errors:
        problems = counted(len(errors), "problem")
        log.info("the values of %s have %s", script.script, problems)


def _settle(card: QWidget) -> None:
    """Let Qt finish laying out the card before it is measured or drawn.

    A window does this between events; here no event loop runs. Until
    every nested layout has passed its new size up (a level per round of
    events), a list inside a list item keeps the height it had before it
    was filled, and its items are drawn crushed.
    """
    for _ in range(SETTLE_ROUNDS):
        before = _geometries(card)
        QApplication.processEvents()
        if _geometries(card) == before:
            return
    log.debug("the form's layout still moved after %d rounds", SETTLE_ROUNDS)


def _geometries(card: QWidget) -> list[QRect]:
    return [w.geometry() for w in [card, *card.findChildren(QWidget)]]


def _lay_out(card: QWidget, form: ReportForm) -> None:
    """Size the card to show the whole form, unscrolled."""
    # Styled before the first layout: a widget polished later changes size,
    # which a window's event loop would pass up through the nested layouts.
    card.ensurePolished()
    card.resize(WIDTH, 400)
    card.show()
    _settle(card)
    content, layout = form.scroll_area.widget(), card.layout()
    if content is None or layout is None:
        raise RuntimeError("the form has no fields' area to draw")
    inner = WIDTH - 2 * MARGIN
    height = content.heightForWidth(inner) if content.hasHeightForWidth() else -1
    height = max(height, content.sizeHint().height())
    # Around the fields: the title, the margins, the error line if shown.
    around = card.sizeHint().height() - form.sizeHint().height()
    around += form.sizeHint().height() - form.scroll_area.sizeHint().height()
    card.resize(WIDTH, min(height + max(around, 0) + MARGIN, MAX_HEIGHT))
    layout.activate()
    _settle(card)
    # Size hints leave out a little (a wrapped line, the area's frame): grow
    # by what the scroll area still hides, once.
    hidden = content.height() - form.scroll_area.viewport().height()
    if hidden > 0:
        card.resize(WIDTH, min(card.height() + hidden, MAX_HEIGHT))
        layout.activate()
        _settle(card)


def _png_of(card: QWidget) -> bytes:
    """The card as PNG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not card.grab().save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode the form as PNG")
    buffer.close()
    return bytes(data.data())
