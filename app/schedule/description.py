"""A checked cron expression in plain words, in English or Spanish.

The words come from cron-descriptor, with 24-hour times. It takes the
names of days and months from the process's locale (`calendar.day_name`,
`strftime("%B")`) rather than from the language asked for, so a Spanish
description would say "sólo el Monday", and under a Qt app (which sets
the locale from the system) an English one could name German days. The
names it used are swapped here for the language's own.
"""

import calendar
import datetime as dt
import logging
import re

from cron_descriptor import (
    ExpressionDescriptor,
    FormatError,
    MissingFieldError,
    Options,
)

from app.errors import UsageError
from app.schedule.expression import CronExpression

log = logging.getLogger(__name__)

LANGUAGES = {"en": "en_US", "es": "es_ES"}
DAY_NAMES = {  # Monday first, as calendar.day_name
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
    + ("Sunday",),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTH_NAMES = {
    "en": ("January", "February", "March", "April", "May", "June", "July")
    + ("August", "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio")
    + ("agosto", "septiembre", "octubre", "noviembre", "diciembre"),
}


def describe(expression: CronExpression, language: str = "en") -> str | None:
    """The expression in words; None if cron-descriptor cannot word it.

    UsageError for a language other than en or es.
    """
    if language not in LANGUAGES:
        raise UsageError(
            f"no descriptions in {language!r}; choose one of {', '.join(LANGUAGES)}"
        )
    options = Options(locale_code=LANGUAGES[language], use_24hour_time_format=True)
    try:
        words = ExpressionDescriptor(expression.fields, options).get_description()
    except (FormatError, MissingFieldError, ValueError, IndexError) as exc:
        # croniter accepts a few forms cron-descriptor cannot word; the
        # expression is still good, only its description is missing.
        log.warning("no description for %r: %s", expression.fields, exc)
        return None
    return _own_names(words, language)


def _own_names(words: str, language: str) -> str:
    """words with the locale's day and month names in the language's own."""
    # WORKAROUND(cron-descriptor 2.2.1): names come from the process locale.
    used = [calendar.day_name[index] for index in range(7)]
    used += [dt.date(2001, month, 1).strftime("%B") for month in range(1, 13)]
    wanted = [*DAY_NAMES[language], *MONTH_NAMES[language]]
    swaps = dict(zip(used, wanted, strict=True))

    # Longest first, whole words only: "May" must not touch "Mayo".
    names = sorted(swaps, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return pattern.sub(lambda match: swaps[match.group(1)], words)
