"""The forms of the reports opened lately, kept built for a quick way back.

Building a large form takes a good fraction of a second; showing one
already built takes a few milliseconds, and keeps what the user typed and
where the form was scrolled. The last KEPT_FORMS reports keep theirs; a
form is built again when its report's schema or the user's zone or units
have changed since, so a kept form never shows an outdated schema.
"""

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QStackedWidget

from app.forms import FormContext
from widgets.form import ReportForm

log = logging.getLogger(__name__)

KEPT_FORMS = 10

FormKey = tuple[str, str]


@dataclass
class KeptForm:
    """A built form, what it was built from, and the lists it was given."""

    form: ReportForm
    schema: dict[str, Any]
    context: FormContext
    # resource kind -> the very list object last given to the form's pickers.
    given: dict[str, object] = field(default_factory=dict)


class KeptForms:
    """The last `limit` forms built, each a page of stack, newest last."""

    def __init__(self, stack: QStackedWidget, limit: int = KEPT_FORMS) -> None:
        self._stack = stack
        self._limit = limit
        self._forms: OrderedDict[FormKey, KeptForm] = OrderedDict()

    def __len__(self) -> int:
        return len(self._forms)

    def find(
        self, key: FormKey, schema: dict[str, Any], context: FormContext
    ) -> KeptForm | None:
        """The form kept for key, if built from this schema and context."""
        kept = self._forms.get(key)
        if kept is None:
            return None
        if kept.schema != schema or kept.context != context:
            log.debug("the kept form of %s is outdated; built again", key[1])
            self._drop(key)
            return None
        self._forms.move_to_end(key)
        return kept

    def add(
        self,
        key: FormKey,
        form: ReportForm,
        schema: dict[str, Any],
        context: FormContext,
    ) -> KeptForm:
        """Keep a new form (already in the stack); the oldest goes past the limit."""
        if key in self._forms:
            self._drop(key)
        kept = KeptForm(form, schema, context)
        self._forms[key] = kept
        while len(self._forms) > self._limit:
            self._drop(next(iter(self._forms)))
        return kept

    def clear(self) -> None:
        for key in list(self._forms):
            self._drop(key)

    def _drop(self, key: FormKey) -> None:
        kept = self._forms.pop(key)
        self._stack.removeWidget(kept.form)
        kept.form.hide()
        kept.form.deleteLater()
