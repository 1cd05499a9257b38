"""The catalog: every report the gateway's engines offer, by category.

The gateway lists its engines; each engine's manifest is fetched from the
engine itself, all at once. An engine that cannot be reached, or whose
manifest is broken, becomes an entry with a plain error, and the scripts of
the other engines stay available. Manifests are loaded in worker threads:
one can take up to a second, and the window's event loop must not wait on
it. app.manifest (and the jsonschema stack under it) is imported when the
first manifest is read, not when the window starts.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.errors import PegasusError
from app.gateway import Gateway
from app.plurals import counted

if TYPE_CHECKING:
    from app.manifest import Manifest, Script

log = logging.getLogger(__name__)


@dataclass
class EngineEntry:
    """One engine of the gateway: its manifest, or why there is none."""

    url: str
    manifest: "Manifest | None" = None
    error: str | None = None


@dataclass
class Catalog:
    """The engines of one gateway and the scripts they offer."""

    engines: list[EngineEntry] = field(default_factory=list)

    @property
    def scripts(self) -> "list[Script]":
        """Every script of every loaded manifest, usable or not."""
        return [
            script
            for entry in self.engines
            if entry.manifest is not None
            for script in entry.manifest.scripts
        ]

    def find(self, script: str, engine: str | None = None) -> "Script | None":
        """The script with that name (on that engine, if given); usable first."""
        matches = self.find_all(script, engine)
        return next((s for s in matches if s.usable), matches[0] if matches else None)

    def find_all(self, script: str, engine: str | None = None) -> "list[Script]":
        """Every script with that name, one per engine that offers it."""
        wanted = same_engine_key(engine) if engine else None
        return [
            s
            for s in self.scripts
            if s.script == script
            and (wanted is None or same_engine_key(s.engine_url) == wanted)
        ]

    def groups(self) -> "list[tuple[str, list[Script]]]":
        """The scripts under their category labels, in the catalog's order."""
        from app.manifest import group_by_category

        return group_by_category(self.scripts)

    @property
    def errors(self) -> list[str]:
        """One line per engine that could not be loaded."""
        return [entry.error for entry in self.engines if entry.error]


def same_engine_key(url: str) -> str:
    """An engine URL reduced for comparing: no scheme, no trailing slash.

    Gateways spell the same engine with http or https (PEGASUS_API.md §9.3).
    """
    text = url.strip().rstrip("/").lower()
    return text.split("://", 1)[-1]


async def load_catalog(gateway: Gateway) -> Catalog:
    """The gateway's engines and their manifests, fetched concurrently."""
    urls = await gateway.engines()
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_load_engine(gateway, url)) for url in urls]

    catalog = Catalog(engines=[task.result() for task in tasks])
    log.info(
        "catalog of %s: %s, %s, %s failed",
        gateway.site_url,
        counted(len(catalog.engines), "engine"),
        counted(len(catalog.scripts), "script"),
        counted(len(catalog.errors), "engine"),
    )
    return catalog


async def _load_engine(gateway: Gateway, url: str) -> EngineEntry:
    """One engine's entry; whatever goes wrong stays in this entry."""
    try:
        return await _read_engine(gateway, url)
    except PegasusError as exc:
        log.warning("engine %s left out of the catalog: %s", url, exc)
        return EngineEntry(url=url, error=str(exc))
    except Exception as exc:
        # A bug met on one engine's manifest must not take the whole catalog
        # (and the other engines' reports) down with it; the log keeps the
        # traceback for the report.
        log.warning("engine %s failed unexpectedly", url, exc_info=True)
        return EngineEntry(
            url=url,
            error=f"the manifest of the engine at {url} could not be read "
            f"({type(exc).__name__}: {exc})",
        )


async def _read_engine(gateway: Gateway, url: str) -> EngineEntry:
    text = await gateway.manifest_text(url)
    manifest = await asyncio.to_thread(_parse_manifest, text, url)
    if manifest.problems and not manifest.scripts:
        # The manifest as a whole is unusable (not JSON, no scripts list).
        reason = "; ".join(str(p) for p in manifest.problems)
        log.warning("engine %s has an unusable manifest: %s", url, reason)
        return EngineEntry(
            url=url,
            manifest=manifest,
            error=f"the manifest of the engine at {url} cannot be used: {reason}",
        )
    return EngineEntry(url=url, manifest=manifest)


def _parse_manifest(text: str, url: str) -> "Manifest":
    # Run in a worker thread, import included: the first import of the
    # schema stack takes tens of milliseconds the event loop need not wait.
    from app.manifest import load_manifest

    return load_manifest(text, source=url, engine_url=url)
