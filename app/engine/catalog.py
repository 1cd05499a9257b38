"""The engine's own manifest: served as written, and read to check jobs.

manifest.json beside this module is the one source of the scripts the
engine offers. It is loaded with the app's manifest code, so the engine
checks a job's parameters against exactly the schema a form was built from.
"""

import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any

from app.engine.reports import REPORTS, Report
from app.errors import ManifestError
from app.manifest import Script, load_manifest

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Entry:
    """One script of the manifest and the report that makes it."""

    script: Script
    report: Report


class Catalog:
    """The manifest document and its scripts by name."""

    def __init__(self, document: dict[str, Any]) -> None:
        manifest = load_manifest(document, source="embedded engine manifest")
        errors = [p for p in manifest.all_problems if p.severity == "error"]
        if errors:
            raise ManifestError(
                "the engine's own manifest is broken: "
                + "; ".join(str(p) for p in errors)
            )

        self.document = document
        self._entries: dict[str, Entry] = {}
        for script in manifest.scripts:
            report = REPORTS.get(script.script)
            if report is None:
                raise ManifestError(
                    f"the engine's manifest offers {script.script!r}, "
                    "which no report makes"
                )
            self._entries[script.script] = Entry(script, report)

    @classmethod
    def load(cls) -> "Catalog":
        """The catalog of manifest.json shipped with the engine."""
        text = resources.files(__package__).joinpath(MANIFEST_FILE).read_text("utf-8")
        return cls(json.loads(text))

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name)

    @property
    def names(self) -> list[str]:
        return list(self._entries)
