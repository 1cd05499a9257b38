"""app/ stays free of Qt's GUI modules; only the composition root uses them.

import-linter (pyproject.toml) forbids app -> widgets, but it cannot forbid
a part of an external package, so this test reads every module of app/ and
fails on an import of PySide6.QtWidgets or PySide6.QtGui outside app/gui.py
(imports needed only for type checking are allowed).
"""

import ast
from pathlib import Path

import app

FORBIDDEN = ("PySide6.QtWidgets", "PySide6.QtGui")
COMPOSITION_ROOT = "gui.py"
APP_DIR = Path(app.__file__).parent


def gui_imports(path: Path) -> list[str]:
    """The forbidden modules path imports at run time, with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    type_checking_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }

    found = []
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found += [
            f"line {node.lineno}: {name}"
            for name in names
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        ]
    return found


def test_only_the_composition_root_imports_qt_gui_modules() -> None:
    offenders = {
        str(path.relative_to(APP_DIR)): found
        for path in sorted(APP_DIR.rglob("*.py"))
        if path.name != COMPOSITION_ROOT or path.parent != APP_DIR
        if (found := gui_imports(path))
    }
    assert offenders == {}


def test_the_check_sees_a_gui_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from PySide6.QtCore import QObject\n"
        "from PySide6 import QtGui\n"
        "if TYPE_CHECKING:\n"
        "    from PySide6.QtWidgets import QWidget\n",
        encoding="utf-8",
    )

    assert gui_imports(module) == ["line 3: PySide6.QtGui"]
