"""The choice of variant of an object described by oneOf or anyOf.

A drop-down of the variants' titles ("Option 1", ... for untitled ones);
choosing one swaps the fields below it (widgets/fields/logic_rows.py).
"""

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QVBoxLayout, QWidget

from app.form_conditions import Variants
from widgets.fields.choices import narrow_combo

VARIANT_LABEL = "Variant"


class VariantChoice(QWidget):
    """A list of an object's variants.

    Signals:
        chosen(int): the user picked the variant at this index.
    """

    chosen = Signal(int)

    def __init__(self, variants: Variants, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.variants = variants
        self.combo = QComboBox(self)
        narrow_combo(self.combo)
        self.combo.addItems(list(variants.labels))
        self.combo.setAccessibleName(VARIANT_LABEL)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._on_combo_index_changed)

    def index(self) -> int:
        return self.combo.currentIndex()

    def labels(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def show_index(self, index: int) -> None:
        """Show a variant as chosen, without telling anyone."""
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(index)

    def _on_combo_index_changed(self, index: int) -> None:
        if index >= 0:
            self.chosen.emit(index)
