"""The catalog: the gateway's reports in a tree, grouped by category.

Each report shows its icon, title and description; a report whose manifest
entry has errors is shown disabled with the problems as its tooltip, and an
engine that could not be loaded is listed with its error. Icons arrive later
from the controller (fetched in the background); until then, and when one
cannot be had, the category's icon stands in. Titles, descriptions and
errors are cut to a readable length (app/display_text.py): the delegate
measures them at every repaint.
"""

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPen,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QLineEdit,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
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
from widgets.icons import WARNING_ICON, category_icon, icon, icon_from_bytes
from widgets.plain_text import plain_label, tooltip
from widgets.theme import ACCENT, DISABLED_TEXT, ERROR_TEXT, MUTED, TEXT

# app.manifest (and jsonschema under it) is loaded with the first catalog,
# not to show the empty view.
if TYPE_CHECKING:
    from app.manifest import Script

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
SCRIPT_ROLE = Qt.ItemDataRole.UserRole + 2
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4
ICON_URL_ROLE = Qt.ItemDataRole.UserRole + 5

CATEGORY, REPORT, ENGINE_ERROR = "category", "report", "engine_error"
UNAVAILABLE_LABEL = "Unavailable engines"
ICON_SIZE = 28


class CatalogView(QWidget):
    """A searchable tree of reports.

    Signals:
        script_selected(Script): the user picked a usable report.
    """

    script_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

        self.model = QStandardItemModel(self)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self.model)
        self._proxy.setRecursiveFilteringEnabled(True)
        self._proxy.setFilterRole(SEARCH_ROLE)
        self._proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search reports")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_search_return_pressed)

        self.tree = QTreeView()
        self.tree.setModel(self._proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setUniformRowHeights(False)
        self.tree.setItemDelegate(_CatalogDelegate(self.tree))
        self.tree.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)
        self.tree.selectionModel().currentChanged.connect(self._on_tree_current_changed)

        self._message = plain_label()
        self._message.setObjectName("muted")
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._message)
        self._stack.addWidget(self.tree)

        title = plain_label("Reports")
        title.setObjectName("cardTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self._stack, 1)
        self.show_message("Not signed in.")

    # -- what the controller tells the view ---------------------------------

    def show_message(self, text: str) -> None:
        """Replace the tree by a message (loading, not signed in, failed)."""
        self._message.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self._stack.setCurrentWidget(self._message)

    def show_catalog(
        self, groups: "list[tuple[str, list[Script]]]", engine_errors: list[str]
    ) -> None:
        """Fill the tree: one header per category, a row per report."""
        self.model.clear()
        root = self.model.invisibleRootItem()
        for label, scripts in groups:
            header = _header_item(label, len(scripts))
            for script in scripts:
                header.appendRow(_report_item(script))
            root.appendRow(header)

        if engine_errors:
            header = _header_item(UNAVAILABLE_LABEL, len(engine_errors))
            for error in engine_errors:
                header.appendRow(_engine_error_item(error))
            root.appendRow(header)

        self.tree.expandAll()
        if groups or engine_errors:
            self._stack.setCurrentWidget(self.tree)
        else:
            self.show_message("This gateway offers no reports.")

    def set_report_icon(self, url: str, data: bytes) -> bool:
        """Give every report whose icon is url the downloaded picture."""
        picture = icon_from_bytes(data)
        if picture is None:
            return False
        for item in self._report_items():
            if item.data(ICON_URL_ROLE) == url:
                item.setIcon(picture)
        return True

    def select_script(self, name: str) -> bool:
        """Select the report with that script name, as a click would."""
        for item in self._report_items():
            script = item.data(SCRIPT_ROLE)
            if script.script == name and item.isEnabled():
                index = self._proxy.mapFromSource(item.index())
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)
                return True
        return False

    def index_of(self, category_label: str, title: str) -> QModelIndex:
        """The tree index of a report, by its category header and title."""
        for row in range(self._proxy.rowCount()):
            header = self._proxy.index(row, 0)
            if header.data(Qt.ItemDataRole.DisplayRole) != category_label:
                continue
            for child_row in range(self._proxy.rowCount(header)):
                child = self._proxy.index(child_row, 0, header)
                if child.data(Qt.ItemDataRole.DisplayRole) == title:
                    return child
        return QModelIndex()

    def shown_reports(self) -> list[QModelIndex]:
        """The usable reports the tree shows now (after the search)."""
        found = []
        for row in range(self._proxy.rowCount()):
            header = self._proxy.index(row, 0)
            for child_row in range(self._proxy.rowCount(header)):
                child = self._proxy.index(child_row, 0, header)
                usable = child.flags() & Qt.ItemFlag.ItemIsEnabled
                if child.data(KIND_ROLE) == REPORT and usable:
                    found.append(child)
        return found

    def report_icon_urls(self) -> set[str]:
        return {
            url for item in self._report_items() if (url := item.data(ICON_URL_ROLE))
        }

    # -- internals ----------------------------------------------------------

    def _report_items(self) -> list[QStandardItem]:
        items = []
        root = self.model.invisibleRootItem()
        for row in range(root.rowCount()):
            header = root.child(row)
            for child_row in range(header.rowCount()):
                child = header.child(child_row)
                if child.data(KIND_ROLE) == REPORT:
                    items.append(child)
        return items

    def _on_search_text_changed(self, text: str) -> None:
        self._proxy.setFilterFixedString(text.strip())
        self.tree.expandAll()

    def _on_search_return_pressed(self) -> None:
        # Enter opens the report the search has narrowed down to.
        shown = self.shown_reports()
        if len(shown) == 1:
            self.tree.setCurrentIndex(shown[0])
            self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_tree_current_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        from app.manifest import Script

        if current.data(KIND_ROLE) != REPORT:
            return
        script = current.data(SCRIPT_ROLE)
        if isinstance(script, Script) and script.usable:
            self.script_selected.emit(script)


def _header_item(label: str, count: int) -> QStandardItem:
    label = one_line(label, TITLE_LIMIT)
    item = QStandardItem(label)
    item.setData(CATEGORY, KIND_ROLE)
    item.setData(f"{count}", DETAIL_ROLE)
    item.setData(label, SEARCH_ROLE)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
    return item


def _report_item(script: "Script") -> QStandardItem:
    title = one_line(script.title, TITLE_LIMIT)
    desc = one_line(script.desc, DESCRIPTION_LIMIT)
    item = QStandardItem(category_icon(script.category), title)
    item.setData(REPORT, KIND_ROLE)
    item.setData(script, SCRIPT_ROLE)
    item.setData(desc, DETAIL_ROLE)
    # Searched at every key typed in the search line: what is shown.
    name = clipped(script.script, TITLE_LIMIT)
    item.setData(f"{title} {desc} {name}", SEARCH_ROLE)
    item.setData(script.icon or "", ICON_URL_ROLE)

    if script.usable:
        item.setToolTip(tooltip(script.desc or script.title))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    else:
        problems = "\n".join(str(p) for p in script.problems)
        item.setToolTip(tooltip(f"This report cannot be used:\n{problems}"))
        item.setData("Cannot be used: see the tooltip", DETAIL_ROLE)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
    return item


def _engine_error_item(error: str) -> QStandardItem:
    item = QStandardItem(icon(WARNING_ICON), "An engine could not be loaded")
    item.setData(ENGINE_ERROR, KIND_ROLE)
    item.setData(one_line(error, DESCRIPTION_LIMIT), DETAIL_ROLE)
    item.setData(one_line(error, DESCRIPTION_LIMIT), SEARCH_ROLE)
    item.setToolTip(tooltip(error))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
    return item


class _CatalogDelegate(QStyledItemDelegate):
    """Draws headers as small captions and reports as icon, title and detail."""

    def sizeHint(  # noqa: N802 (Qt's name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        height = 30 if index.data(KIND_ROLE) == CATEGORY else 50
        return QSize(option.rect.width(), height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        if index.data(KIND_ROLE) == CATEGORY:
            self._paint_header(painter, option, index)
        else:
            self._paint_report(painter, option, index)
        painter.restore()

    def _paint_header(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setCapitalization(QFont.Capitalization.AllUppercase)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        painter.setFont(font)
        painter.setPen(QColor(MUTED))
        text_rect = option.rect.adjusted(8, 8, -8, 0)
        text = (
            f"{index.data(Qt.ItemDataRole.DisplayRole)}  ·  {index.data(DETAIL_ROLE)}"
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, text)

    def _paint_report(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        enabled = bool(index.flags() & Qt.ItemFlag.ItemIsEnabled)
        problem = index.data(KIND_ROLE) == ENGINE_ERROR
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect.adjusted(4, 2, -4, -2)
        if selected:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e6edfe"))
            painter.drawRoundedRect(rect, 6, 6)
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#f3f5f9"))
            painter.drawRoundedRect(rect, 6, 6)

        if option.state & QStyle.StateFlag.State_HasFocus:
            # Keyboard focus on this row: a ring, on top of the selection.
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(ACCENT), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)

        picture = index.data(Qt.ItemDataRole.DecorationRole)
        icon_rect = QRect(
            rect.left() + 6,
            rect.top() + (rect.height() - ICON_SIZE) // 2,
            ICON_SIZE,
            ICON_SIZE,
        )
        if picture is not None:
            painter.setOpacity(1.0 if enabled else 0.45)
            picture.paint(painter, icon_rect)
            painter.setOpacity(1.0)

        text_left = icon_rect.right() + 10
        width = rect.right() - text_left - 4
        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(QColor(TEXT if enabled else DISABLED_TEXT))
        title_rect = QRect(text_left, rect.top() + 6, width, rect.height() // 2 - 4)
        title = painter.fontMetrics().elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole)),
            Qt.TextElideMode.ElideRight,
            width,
        )
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft, title)

        detail_font = QFont(option.font)
        detail_font.setPointSizeF(detail_font.pointSizeF() * 0.88)
        painter.setFont(detail_font)
        painter.setPen(
            QColor(ERROR_TEXT if problem else MUTED if enabled else DISABLED_TEXT)
        )
        detail_rect = QRect(text_left, rect.center().y() + 2, width, rect.height() // 2)
        detail = painter.fontMetrics().elidedText(
            str(index.data(DETAIL_ROLE) or ""), Qt.TextElideMode.ElideRight, width
        )
        painter.drawText(detail_rect, Qt.AlignmentFlag.AlignLeft, detail)
