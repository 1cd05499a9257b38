"""Speed follows distance in a `$prefs` group, until speed is chosen by hand.

A report written in miles with speeds in km/h mixes units in one file; the
command line avoids it by taking the speed unit from the distance unit
(app.forms.SPEED_FOR_DISTANCE). The form does the same when the user picks
a distance: the speed moves to its match (km -> kph, mile -> mph), unless
the user has already picked a speed in this form, which is then kept.
"""

import contextlib
import logging

from PySide6.QtCore import QObject

from app.forms import speed_for_distance
from widgets.fields.choices import ChoiceEditor

log = logging.getLogger(__name__)


class UnitsLink(QObject):
    """Keeps the speed editor in step with the distance editor."""

    def __init__(
        self, distance: ChoiceEditor, speed: ChoiceEditor, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.distance, self.speed = distance, speed
        # Set once the user picks a speed: from then on it is theirs.
        self.speed_chosen = False
        # activated() is sent for the user's choices only, not for values
        # the form sets (defaults, preferences, a restored form).
        distance.combo.activated.connect(self._on_distance_activated)
        speed.combo.activated.connect(self._on_speed_activated)

    def unlink(self) -> None:
        """Stop following the editors (they are being built again)."""
        pairs = [
            (self.distance, self._on_distance_activated),
            (self.speed, self._on_speed_activated),
        ]
        for editor, slot in pairs:
            # An editor already deleted has lost its connections with it.
            with contextlib.suppress(RuntimeError):
                editor.combo.activated.disconnect(slot)

    def _on_distance_activated(self, _index: int) -> None:
        if self.speed_chosen:
            return
        wanted = speed_for_distance(self.distance.value())
        if wanted is None or wanted not in self.speed.values:
            return
        if self.speed.value() != wanted:
            log.debug("speed follows distance: %s", wanted)
            self.speed.set_value(wanted)

    def _on_speed_activated(self, _index: int) -> None:
        self.speed_chosen = True
