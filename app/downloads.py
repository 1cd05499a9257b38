"""Safe local names for report files, whatever name the server gives.

A file name in a job's `result.files` comes from an engine we do not
control. It is never used as a path: it is reduced to one plain file name
that is valid on Windows, macOS and Linux, and placed in the chosen folder
under a name that does not overwrite anything already there. The bytes go
to a hidden `.part` file first, named after the gateway, job and file so
that a download cut off is resumed by the next try, and which gets its
final name only once complete: a partial file is never shown as a report.

On Windows a complete file is then marked as downloaded from the internet
(a `Zone.Identifier` stream, the "Mark of the Web"), as browsers do, so
that Office opens a report in Protected View and Windows warns before
running anything in it: the file comes from a server we do not control.
"""

import email.message
import hashlib
import logging
import os
import re
import stat
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


def download_key(*parts: object) -> str:
    """A short name for one file of one job of one gateway (for its part file)."""
    text = "\n".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def part_path(folder: Path, filename: str, key: str) -> Path:
    """The hidden file a download grows in until it is complete.

    Its name is the same for every try of the same file (key, from
    download_key), so a later try finds what an earlier one left.
    """
    # TODO(downloads): a leading dot hides the file on Linux and macOS only;
    # on Windows the hidden attribute is not set, so the part shows there.
    # TODO(downloads): parts never resumed (a job expired, a folder left)
    # stay on disk; nothing removes old ones.
    return folder / f".{safe_filename(filename)[:60]}.{key}.part"


def make_folder(folder: Path) -> None:
    """Create folder for downloads; UsageError if that cannot be done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write files in {folder}: {exc.strerror}") from exc


def open_part(path: Path, *, keep: bool) -> IO[bytes]:
    """The part file open for writing: at its end if keep, else emptied.

    A link placed at that name is not followed (where the system allows).
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    flags |= os.O_APPEND if keep else os.O_TRUNC
    flags |= getattr(os, "O_BINARY", 0)
    make_folder(path.parent)
    try:
        return os.fdopen(os.open(path, flags, 0o666), "ab" if keep else "wb")
    except OSError as exc:
        raise UsageError(
            f"cannot write files in {path.parent}: {exc.strerror}"
        ) from exc


def part_size(path: Path) -> int:
    """The bytes a part file holds so far (0 if there is none)."""
    try:
        info = path.lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def drop_part(path: Path) -> None:
    """Remove a part file that cannot be resumed, if it is there."""
    path.unlink(missing_ok=True)


def saved_name(asked: str, disposition: str = "") -> str:
    """The name a downloaded file is saved under, made safe.

    The answer's Content-Disposition `filename*` (RFC 6266, which may carry
    any character, e.g. UTF-8''%E2%82%AC%20rates.csv) when it keeps the
    extension of the name asked for; otherwise the name asked for, as the
    job listed it. A plain `filename=` is not used: its encoding is
    anyone's guess, and it says nothing the job's list does not. Keeping
    the extension means a server cannot turn "trips.csv" into "trips.exe".
    """
    offered = disposition_name(disposition) if disposition else None
    asked_safe = safe_filename(asked)
    if offered is None:
        return asked_safe

    offered_safe = safe_filename(offered)
    same_kind = (
        _split_extension(offered_safe)[1].lower()
        == _split_extension(asked_safe)[1].lower()
    )
    return offered_safe if same_kind and offered_safe != FALLBACK_NAME else asked_safe


def disposition_name(header: str) -> str | None:
    """The decoded `filename*` of a Content-Disposition header, if usable."""
    message = email.message.Message()
    message["content-disposition"] = header
    params = message.get_params([], header="content-disposition")
    for key, value in params:
        # Only the extended form arrives as (charset, language, text).
        if key.lower() != "filename" or not isinstance(value, tuple):
            continue
        charset, _language, text = value
        try:
            return str(text).encode("latin-1").decode(charset or "utf-8")
        except (LookupError, UnicodeError):
            log.debug("a filename* in an unknown or wrong charset was ignored")
            return None
    return None


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
