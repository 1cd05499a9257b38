"""The sign-in dialog: a gateway address with a user and password or a token.

The dialog only collects what the user typed and says what happened; the
session controller does the signing in. It is shown with open(), so it never
blocks the event loop, and stays open with the error in plain words until a
sign-in succeeds or the user cancels. When a session has expired, a line
above the inputs says so, and why the dialog opened by itself. The dialog
takes the size of what it shows: an error makes it taller, never the inputs
thinner.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from widgets.icons import APP_ICON, icon
from widgets.plain_text import plain_label

INPUT_WIDTH = 300


class SignInDialog(QDialog):
    """Asks where and how to sign in.

    Signals:
        sign_in_requested(url, user, password): sign in with a password.
        token_sign_in_requested(url, token): use an existing token.
        demo_requested(): use the local demo gateway instead.
    """

    sign_in_requested = Signal(str, str, str)
    token_sign_in_requested = Signal(str, str)
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in")

        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://cloud.pegasusgateway.com")
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("you@example.com")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("a session or application token")
        for edit in (
            self.url_edit,
            self.user_edit,
            self.password_edit,
            self.token_edit,
        ):
            edit.setMinimumWidth(INPUT_WIDTH)
            edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.password_choice = QRadioButton("User name and password")
        self.token_choice = QRadioButton("Access token")
        self.password_choice.setChecked(True)
        choices = QButtonGroup(self)
        choices.addButton(self.password_choice)
        choices.addButton(self.token_choice)

        self.error_label = plain_label()
        self.error_label.setObjectName("signInError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.error_label.hide()
        self.reason_label = plain_label()
        self.reason_label.setObjectName("signInReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.hide()
        self.busy_label = plain_label()
        self.busy_label.setObjectName("muted")
        self.busy_label.hide()

        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        self.demo_button = QPushButton("Use the demo")
        self.demo_button.setToolTip(
            "Start a local sandbox gateway with a demo fleet, on this computer"
        )
        self.cancel_button = QPushButton("Cancel")

        self._build_layout()
        self._connect()
        self._on_inputs_changed()

    def _build_layout(self) -> None:
        logo = plain_label()
        logo.setPixmap(icon(APP_ICON).pixmap(48, 48))
        title = plain_label("Sign in to a Pegasus Gateway")
        title.setObjectName("dialogTitle")
        hint = plain_label("Your reports run on your gateway, or try the local demo.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        heading = QVBoxLayout()
        heading.setSpacing(4)
        heading.addWidget(title)
        heading.addWidget(hint)
        heading.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(heading, 1)

        how = QHBoxLayout()
        how.addWidget(self.password_choice)
        how.addWidget(self.token_choice)
        how.addStretch()

        form = QFormLayout()
        form.addRow(_buddy_label("Gateway address", self.url_edit), self.url_edit)
        form.addRow(plain_label("Sign in with"), how)
        form.addRow(_buddy_label("User name", self.user_edit), self.user_edit)
        form.addRow(_buddy_label("Password", self.password_edit), self.password_edit)
        form.addRow(_buddy_label("Token", self.token_edit), self.token_edit)
        self._form = form

        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.sign_in_button)

        layout = QVBoxLayout(self)
        # The dialog is always the size of its contents: it grows for an
        # error and shrinks when the token replaces two inputs.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.reason_label)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.busy_label)
        layout.addLayout(buttons)

    def _connect(self) -> None:
        for edit in (self.url_edit, self.user_edit, self.password_edit):
            edit.textChanged.connect(self._on_inputs_changed)
        self.token_edit.textChanged.connect(self._on_inputs_changed)
        self.token_choice.toggled.connect(self._on_token_choice_toggled)
        self.sign_in_button.clicked.connect(self._on_sign_in_clicked)
        self.demo_button.clicked.connect(self._on_demo_clicked)
        self.cancel_button.clicked.connect(self.reject)

    # -- what the controller tells the dialog --------------------------------

    def set_values(self, url: str, user: str) -> None:
        """Start a new attempt with the remembered gateway and user.

        The last attempt's error and the typed password and token are gone:
        the dialog opens as if for the first time (never with a secret).
        """
        self.error_label.clear()
        self.error_label.hide()
        self.set_reason("")
        self.clear_secrets()
        self.url_edit.setText(url)
        self.user_edit.setText(user)
        (self.password_edit if url and user else self.url_edit).setFocus()

    def set_reason(self, text: str) -> None:
        """Say why the dialog asks (a session that expired); "" hides it."""
        self.reason_label.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.reason_label.setVisible(bool(text))

    def set_busy(self, message: str) -> None:
        """Show what is under way and lock the inputs; "" unlocks them."""
        busy = bool(message)
        self.busy_label.setText(clipped(message, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.busy_label.setVisible(busy)
        for widget in (
            self.url_edit,
            self.user_edit,
            self.password_edit,
            self.token_edit,
            self.password_choice,
            self.token_choice,
            self.demo_button,
        ):
            widget.setEnabled(not busy)
        if busy:
            self.error_label.hide()
        self._on_inputs_changed()

    def show_error(self, message: str) -> None:
        """Show why signing in failed, cut to a readable length."""
        self.set_busy("")
        self.error_label.setText(clipped(message, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.error_label.show()

    def clear_secrets(self) -> None:
        """Forget the typed password and token."""
        self.password_edit.clear()
        self.token_edit.clear()

    # -- user actions ---------------------------------------------------------

    def _on_inputs_changed(self) -> None:
        with_token = self.token_choice.isChecked()
        self._form.setRowVisible(self.user_edit, not with_token)
        self._form.setRowVisible(self.password_edit, not with_token)
        self._form.setRowVisible(self.token_edit, with_token)

        url = self.url_edit.text().strip()
        if with_token:
            complete = bool(url and self.token_edit.text().strip())
        else:
            complete = bool(url and self.user_edit.text().strip())
        self.sign_in_button.setEnabled(complete and not self.busy_label.text())

    def _on_token_choice_toggled(self, checked: bool) -> None:
        # An error about the other way of signing in no longer applies.
        self.error_label.clear()
        self.error_label.hide()
        focused = self.focusWidget()
        self._on_inputs_changed()
        if focused is not None and focused.isHidden():
            # The input typed in is gone: go on in the one that replaced it.
            (self.token_edit if checked else self.user_edit).setFocus()

    def _on_sign_in_clicked(self) -> None:
        url = self.url_edit.text().strip()
        if self.token_choice.isChecked():
            self.token_sign_in_requested.emit(url, self.token_edit.text().strip())
        else:
            self.sign_in_requested.emit(
                url, self.user_edit.text().strip(), self.password_edit.text()
            )

    def _on_demo_clicked(self) -> None:
        self.demo_requested.emit()


def _buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label that belongs to its input (for screen readers and clicks)."""
    label = plain_label(text)
    label.setBuddy(buddy)
    return label
