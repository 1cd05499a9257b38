"""app.form_start holds a form's start values and periods; app.forms re-exports them."""

import subprocess
import sys

import pytest

import app.form_start
import app.forms


@pytest.mark.parametrize("first", ["app.form_start", "app.forms", "widgets.form"])
def test_either_module_may_be_imported_first(first: str) -> None:
    code = (
        f"import {first}\n"
        "from app.forms import initial_values, period_range, FormContext\n"
        "from app.form_start import initial_values as again\n"
        "assert initial_values is again\n"
        "print(FormContext().tz)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "UTC\n"


def test_the_names_moved_are_the_same_objects_in_both_modules() -> None:
    for name in ("initial_values", "today_in", "FormState", "CUSTOM_PERIOD"):
        assert getattr(app.forms, name) is getattr(app.form_start, name)
