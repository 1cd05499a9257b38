"""How much of a text from outside the app the window shows.

Titles, descriptions, names and error messages come from manifests,
gateways and engines, and nothing bounds their length: a 4 MB title would
be measured again at every repaint of the catalog, a 1 MB error laid out
again at every resize of the banner, each time for a second or more. What
is shown is cut to a length a person reads, with "…" where it was cut; the
text itself (a file name, a value) is kept whole wherever it is used.
"""

ELLIPSIS = "…"

# A report's or a field's title, a job's name, a choice, a vehicle's name.
TITLE_LIMIT = 200
# A report's or a field's description.
DESCRIPTION_LIMIT = 500
# A message in the banner, the sign-in dialog or under a field.
MESSAGE_LIMIT = 1000
MESSAGE_LINES = 30
# A line of the status bar.
STATUS_LIMIT = 300
# A tooltip, which may say a little more than the text it explains.
TOOLTIP_LIMIT = 1500
TOOLTIP_LINES = 40


def clipped(text: str, limit: int, *, lines: int = 0) -> str:
    """text cut to at most limit characters (and lines, if given), with "…".

    Text within both limits comes back unchanged.
    """
    cut = len(text) > limit
    if cut:
        text = text[: limit - len(ELLIPSIS)]
    if lines:
        parts = text.split("\n", lines)
        if len(parts) > lines:
            text = "\n".join(parts[:lines])
            cut = True
    return text.rstrip() + ELLIPSIS if cut else text


def clipped_middle(text: str, limit: int) -> str:
    """text cut in its middle to at most limit characters, keeping both ends.

    For names whose end matters as much as their start, like a file's
    extension.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = (room + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (room - head) :]


def one_line(text: str, limit: int) -> str:
    """text on one line (line breaks as spaces), cut to limit characters."""
    shown = clipped(text, limit)
    return " ".join(shown.splitlines()) if "\n" in shown or "\r" in shown else shown


def quoted(text: str, limit: int = TITLE_LIMIT) -> str:
    """text in quotes, safe to print on a terminal or in a one-line message.

    Line breaks, terminal escapes and other characters that do not print
    are written as escapes, as Python's repr() does; a long text is cut.
    """
    return clipped(repr(text), limit)


def shown_name(name: str, limit: int = TITLE_LIMIT) -> str:
    """A name as it is when it prints plainly on one line, else quoted()."""
    if name.isprintable() and len(name) <= limit:
        return name
    return quoted(name, limit)
