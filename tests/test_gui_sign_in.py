"""The sign-in dialog's layout, offscreen: errors and the two ways in."""

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from widgets.sign_in import SignInDialog

LONG_ERROR = (
    "Could not sign in to http://127.0.0.1:46751: the gateway refused the user "
    "name or password. Check them, or ask your gateway's administrator whether "
    "this account may sign in."
)


def make_dialog(qtbot: QtBot) -> SignInDialog:
    dialog = SignInDialog()
    qtbot.addWidget(dialog)
    dialog.set_values("http://127.0.0.1:46751/api", "demo")
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def inputs(dialog: SignInDialog) -> list[QLineEdit]:
    edits = [dialog.url_edit, dialog.user_edit, dialog.password_edit]
    return [e for e in [*edits, dialog.token_edit] if e.isVisible()]


def top(widget: QWidget, dialog: SignInDialog) -> int:
    return widget.mapTo(dialog, QPoint(0, 0)).y()


def test_an_error_goes_below_the_inputs_without_squashing_them(qtbot):
    dialog = make_dialog(qtbot)
    heights = {edit: edit.height() for edit in inputs(dialog)}

    dialog.show_error(LONG_ERROR)
    label = dialog.error_label
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))

    for edit in inputs(dialog):
        assert edit.height() == heights[edit]
        assert edit.height() >= edit.sizeHint().height()
    assert top(label, dialog) > top(dialog.password_edit, dialog)
    assert top(dialog.sign_in_button, dialog) >= top(label, dialog) + label.height()
    assert dialog.rect().contains(dialog.sign_in_button.geometry())


def test_the_token_takes_the_place_of_user_and_password_with_no_gap(qtbot):
    dialog = make_dialog(qtbot)
    first_row = top(dialog.user_edit, dialog)
    url_row = top(dialog.url_edit, dialog)

    dialog.token_choice.setChecked(True)
    qtbot.waitUntil(dialog.token_edit.isVisible)
    qtbot.waitUntil(lambda: top(dialog.token_edit, dialog) == first_row)

    assert top(dialog.url_edit, dialog) == url_row
    below_token = top(dialog.token_edit, dialog) + dialog.token_edit.height()
    assert top(dialog.sign_in_button, dialog) - below_token < 40


def test_switching_the_way_in_clears_the_old_error(qtbot):
    dialog = make_dialog(qtbot)
    dialog.show_error(LONG_ERROR)
    assert dialog.error_label.isVisible()

    dialog.token_choice.setChecked(True)

    assert not dialog.error_label.isVisible()
    assert dialog.error_label.text() == ""
