"""The author's rules `lint` checks hold in the app too.

What `python -m app lint` calls an error makes that script unusable in the
catalog as well, and only that script; a warning leaves it usable.
"""

import json

from app.manifest import load_manifest


def manifest_with(**fields: object) -> str:
    good = {"script": "good", "title": "Good", "category": "vehicle_metrics"}
    checked = {"script": "checked", "title": "Checked", "category": "vehicle_metrics"}
    checked.update(fields)
    return json.dumps({"definitions": {}, "scripts": [good, checked]})


def test_a_title_longer_than_lint_allows_makes_only_that_script_unusable() -> None:
    manifest = load_manifest(manifest_with(title="T" * 51), source="m.json")

    scripts = {script.script: script for script in manifest.scripts}
    assert scripts["good"].usable
    assert not scripts["checked"].usable
    assert any("50" in str(problem) for problem in scripts["checked"].problems)


def test_a_loopback_http_icon_is_only_a_warning() -> None:
    manifest = load_manifest(
        manifest_with(icon="http://127.0.0.1:8000/icon.svg"), source="m.json"
    )

    checked = next(s for s in manifest.scripts if s.script == "checked")
    assert checked.usable
    assert [p.severity for p in checked.problems] == ["warning"]
