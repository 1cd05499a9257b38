"""Safe local names for report files, whatever name the server gives.

A file name in a job's `result.files` comes from an engine we do not
control. It is never used as a path: it is reduced to one plain file name
that is valid on Windows, macOS and Linux, and placed in the chosen folder
under a name that does not overwrite anything already there. The bytes go
to a temporary `.part` file first, which gets its final name only once
complete.

On Windows a complete file is then marked as downloaded from the internet
(a `Zone.Identifier` stream, the "Mark of the Web"), as browsers do, so
that Office opens a report in Protected View and Windows warns before
running anything in it: the file comes from a server we do not control.
"""

import logging
import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import IO

from app.addresses import without_user_info
from app.errors import UsageError

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 200
# Room under the usual 255-byte limit for " (99)" and a temporary suffix.
MAX_NAME_BYTES = 200
MAX_EXTENSION_CHARS = 16
FALLBACK_NAME = "download"

_RESERVED_WINDOWS = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
    "CONIN$",
    "CONOUT$",
}
_INVALID_CHARS = re.compile(r'[<>:"|?*\x00-\x1f\x7f-\x9f]')
# Windows reads COM¹ like COM1, so superscript digits count as digits there.
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_DRIVE = re.compile(r"^[A-Za-z]:")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9_-]+$")
# The Internet zone of Windows' security zones: files from the internet.
INTERNET_ZONE = 3
ZONE_STREAM = "Zone.Identifier"

# Writes text to a named stream ("C:\\...\\report.csv:Zone.Identifier").
StreamWriter = Callable[[str, str], None]


def safe_filename(name: str) -> str:
    """A plain, non-empty file name made from name; never a path."""
    text = unicodedata.normalize("NFC", str(name))

    # Keep only the last path component, whichever separator was used.
    text = _DRIVE.sub("", text)
    text = re.split(r"[/\\]", text)[-1]

    # Control and format characters are dropped (a right-to-left override
    # makes "rlo\u202ecod.exe" show as "rloexe.doc"); characters Windows
    # refuses become "_".
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = _INVALID_CHARS.sub("_", text)
    text = re.sub(r"\s+", " ", text)

    # A leading dot hides a file (or is "." / ".."); Windows drops trailing ones.
    text = text.strip(" .")
    if not text:
        return FALLBACK_NAME

    stem, extension = _split_extension(text)
    # Windows ignores trailing dots and spaces: "CON .csv" is the device CON.
    stem = stem.rstrip(" .") or FALLBACK_NAME
    if _is_reserved(stem):
        stem = "_" + stem
    return _shorten(stem, extension)


def unique_path(folder: Path, name: str) -> Path:
    """folder/name made safe, or "name (2).ext" and so on if that is taken."""
    safe = safe_filename(name)
    candidate = folder / safe
    if not _taken(candidate):
        return candidate

    stem, extension = _split_extension(safe)
    number = 2
    while True:
        candidate = folder / _shorten(stem, f" ({number}){extension}")
        if not _taken(candidate):
            return candidate
        number += 1


def open_part(folder: Path, filename: str) -> tuple[Path, IO[bytes]]:
    """A new temporary `.part` file in folder, open for writing."""
    path = folder / f"{safe_filename(filename)}.{secrets.token_hex(4)}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return path, path.open("xb")
    except OSError as exc:
        raise UsageError(f"cannot write files in {folder}: {exc.strerror}") from exc


def claim_final_name(part_path: Path, folder: Path, filename: str) -> Path:
    """Give the complete file its name, never replacing an existing file."""
    for _attempt in range(100):
        final = unique_path(folder, filename)
        try:
            # A hard link fails if the name was taken meanwhile; rename would not.
            os.link(part_path, final)
        except FileExistsError:
            continue
        except OSError:
            # Some file systems have no hard links; the name was free just now.
            part_path.rename(final)
            return final
        part_path.unlink()
        return final
    raise UsageError(f"could not find a free file name for {filename} in {folder}")


def mark_downloaded(
    path: Path,
    referrer: str,
    *,
    host_url: str | None = None,
    platform: str = sys.platform,
    writer: StreamWriter | None = None,
) -> bool:
    """Mark a downloaded file as coming from the internet; whether it was.

    Only on Windows, which keeps the mark in the file's `Zone.Identifier`
    alternate data stream; elsewhere nothing is done. The addresses in it
    never carry a user name or password. A file system without such
    streams (FAT, some network shares) leaves the file unmarked, with a
    warning in the log, as browsers do.
    """
    if platform != "win32":
        return False

    lines = ["[ZoneTransfer]", f"ZoneId={INTERNET_ZONE}"]
    lines.append(f"ReferrerUrl={_one_line(without_user_info(referrer))}")
    if host_url:
        lines.append(f"HostUrl={_one_line(without_user_info(host_url))}")
    text = "\r\n".join(lines) + "\r\n"
    try:
        (writer or _write_stream)(f"{path}:{ZONE_STREAM}", text)
    except OSError as exc:
        log.warning("could not mark %s as downloaded: %s", path, exc)
        return False
    return True


def _write_stream(name: str, text: str) -> None:
    with open(name, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)


def _one_line(text: str) -> str:
    """text on one line: a line break would start another key of the mark."""
    return re.sub(r"[\r\n]+", "", text)


def _taken(path: Path) -> bool:
    """Whether anything has that name, a link to nowhere included."""
    return os.path.lexists(path)


def _is_reserved(stem: str) -> bool:
    """Whether Windows reads stem as a device name (CON, COM1, LPT¹...)."""
    base = stem.split(".")[0].rstrip(" .")
    return base.translate(_SUPERSCRIPT_DIGITS).upper() in _RESERVED_WINDOWS


def _split_extension(name: str) -> tuple[str, str]:
    """("report", ".csv") for "report.csv"; no extension if it looks odd."""
    stem, _dot, extension = name.rpartition(".")
    suffix = "." + extension
    if stem and _EXTENSION.match(suffix) and len(suffix) <= MAX_EXTENSION_CHARS:
        return stem, suffix
    return name, ""


def _shorten(stem: str, extension: str) -> str:
    """stem + extension cut to the name limits, the extension kept whole."""
    limit_chars = MAX_NAME_CHARS - len(extension)
    limit_bytes = MAX_NAME_BYTES - len(extension.encode())
    stem = stem[:limit_chars]
    while len(stem.encode()) > limit_bytes:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or FALLBACK_NAME
    return stem + extension
