"""The user's saved preferences as the starting units of a report form.

A `$prefs` field offers units and a language as its schema lists them
("km", "mile"; "C", "F"; "en", "es"). The gateway's user record saves them
under other names and spellings (PEGASUS_API.md §8.2, §9.31): the app reads
distance, speed, volume and language into job prefs (app.runs), and this
module adds the temperature unit and matches a saved value to the spelling
a schema offers, so that a user who saved "kilometers" starts on "km".
"""

from typing import Any

# For each preference, the words that mean each of its values.
UNIT_WORDS: dict[str, dict[str, frozenset[str]]] = {
    "distance": {
        "km": frozenset({"km", "kilometer", "kilometers", "kilometre", "kilometres"}),
        "mile": frozenset({"mile", "miles", "mi"}),
        "meter": frozenset({"meter", "meters", "metre", "metres", "m"}),
    },
    "speed": {
        "kph": frozenset({"kph", "km/h", "kmh", "kmph"}),
        "mph": frozenset({"mph", "mi/h"}),
    },
    "volume": {
        "liter": frozenset({"liter", "liters", "litre", "litres", "l"}),
        "gallon": frozenset({"gallon", "gallons", "gal"}),
    },
    "temperature": {
        "C": frozenset({"c", "celsius", "°c", "centigrade"}),
        "F": frozenset({"f", "fahrenheit", "°f"}),
    },
}
# Where a user record may keep its temperature unit: the documents name
# none, so the job prefs' own key and the `...units` pattern of the others.
TEMPERATURE_KEYS = ("temperature", "temperatureunits", "tempunits")


def form_prefs(user: dict[str, Any], job_prefs: dict[str, str]) -> dict[str, str]:
    """The preferences a form starts from: job_prefs and the saved temperature."""
    raw = user.get("prefs")
    saved = raw if isinstance(raw, dict) else {}
    prefs = dict(job_prefs)
    for key in TEMPERATURE_KEYS:
        unit = _meaning("temperature", saved.get(key))
        if unit is not None:
            prefs["temperature"] = unit
            break
    return prefs


def pref_choice(name: str, wanted: Any, allowed: list[Any]) -> Any | None:
    """The value among allowed that means wanted ("kilometers" -> "km").

    With no list of allowed values, wanted itself; None when nothing fits.
    """
    if wanted is None:
        return None
    if not allowed or wanted in allowed:
        return wanted
    meaning = _meaning(name, wanted)
    if meaning is None:
        return None
    for value in allowed:
        if _meaning(name, value) == meaning:
            return value
    return None


def _meaning(name: str, value: Any) -> str | None:
    """The canonical value a word stands for, e.g. "Celsius" -> "C"."""
    if not isinstance(value, str):
        return None
    word = value.strip().casefold()
    for canonical, words in UNIT_WORDS.get(name, {}).items():
        if word in words:
            return canonical
    if name == "language" and word:
        # "es-MX" and "es_MX" are Spanish, which is what a report can use.
        return word.replace("_", "-").split("-")[0]
    return None
