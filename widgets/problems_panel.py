"""The problems panel: what the linter found in an opened manifest.

One row per problem, in the order they appear in the file, each with its
place (line:column and the JSON pointer of the value concerned). Clicking a
row, or pressing Enter on it, asks the workbench to show the script and
field the problem is about. A line above the list says which file is shown
and how many errors and warnings it has.
"""

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.display_text import MESSAGE_LIMIT, clipped
from widgets.icons import WARNING_ICON, icon
from widgets.plain_text import plain_label, tooltip

if TYPE_CHECKING:
    from app.manifest import Problem

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1
NO_PROBLEMS = "No problems found."


def problem_line(problem: "Problem") -> str:
    """How a problem reads in the list: `3:14 error: message (pointer)`."""
    place = f"{problem.line}:{problem.column} " if problem.line is not None else ""
    pointer = f" ({problem.pointer})" if problem.pointer else ""
    return f"{place}{problem.severity}: {problem.message}{pointer}"


class ProblemsPanel(QWidget):
    """The list of a manifest's problems.

    Signals:
        problem_activated(Problem): the user clicked or chose a problem.
    """

    problem_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsPanel")
        self.summary = plain_label()
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAccessibleName("Problems of the manifest")
        self.list.itemClicked.connect(self._on_list_item_activated)
        self.list.itemActivated.connect(self._on_list_item_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)

    def show_problems(self, summary: str, problems: "list[Problem]") -> None:
        """Replace the list; summary names the file and counts its problems."""
        self.summary.setText(clipped(summary, MESSAGE_LIMIT))
        self.list.clear()
        for problem in problems:
            text = problem_line(problem)
            item = QListWidgetItem(clipped(text, MESSAGE_LIMIT))
            if problem.severity == "error":
                item.setIcon(icon(WARNING_ICON))
            item.setToolTip(tooltip(text))
            item.setData(PROBLEM_ROLE, problem)
            self.list.addItem(item)
        if not problems:
            empty = QListWidgetItem(NO_PROBLEMS)
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)

    def shown_lines(self) -> list[str]:
        """The rows as the list shows them."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        problem = item.data(PROBLEM_ROLE)
        if problem is not None:
            self.problem_activated.emit(problem)
