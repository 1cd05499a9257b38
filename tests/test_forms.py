"""Which field each property of a real manifest becomes, without Qt."""

import datetime as dt
import logging
import zoneinfo
from pathlib import Path

import pytest

from app.forms import (
    FIELD_KINDS,
    FieldKind,
    FieldSpec,
    FormContext,
    describe_subpath,
    form_fields,
    initial_values,
    period_range,
    title_from_name,
    today_in,
    wall_time_text,
)
from app.manifest import Script, load_manifest

CORPUS = Path(__file__).parent / "data" / "manifests"

# (kind, title, required, resource) of every field of every corpus script.
FROM = ("datetime", "From", True, None)
TO = ("datetime", "To", True, None)
VEHICLES = ("resources", "Vehicles", False, "vehicles")
GROUPS = ("resources", "Groups", False, "groups")
PREFS = {
    "prefs": ("object", "Units and language", False, None),
    "prefs/distance": ("choice", "Distance", False, None),
    "prefs/speed": ("choice", "Speed", False, None),
    "prefs/volume": ("choice", "Volume", False, None),
    "prefs/language": ("choice", "Language", False, None),
}
TZ = ("choice", "Time zone", False, None)
FORMATS = ("multi_choice", "Files to produce", False, None)
EXPECTED = {
    ("gateway-default.json", "idling"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "groups": GROUPS,
        "min_idle": ("integer", "Minimum idle (minutes)", False, None),
        **PREFS,
        "tz": TZ,
        "formats": FORMATS,
    },
    ("gateway-default.json", "trips"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "groups": GROUPS,
        "min_distance": ("number", "Ignore trips shorter than (km)", False, None),
        **PREFS,
        "tz": TZ,
    },
    ("gateway-default.json", "speeding"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "groups": GROUPS,
        "assets": ("resources", "Drivers", False, "assets"),
        "speed_limit": ("number", "Speed limit", True, None),
        "min_duration": ("integer", "Minimum duration (seconds)", False, None),
        "bands": ("array", "Severity bands", False, None),
        **PREFS,
        "tz": TZ,
    },
    ("gateway-default.json", "geofence_visits"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "groups": GROUPS,
        "geofences": ("resources", "Geofences", True, "geofences"),
        "min_stay": ("integer", "Minimum stay (minutes)", False, None),
        "tz": TZ,
    },
    ("gateway-default.json", "fleet_status"): {
        "vehicles": VEHICLES,
        "groups": GROUPS,
        "stale_after": ("choice", "Flag vehicles silent for more than", False, None),
        **PREFS,
    },
    ("gateway-default.json", "live_positions"): {"groups": GROUPS},
    ("gateway-default.json", "fuel_level"): {
        "from": FROM,
        "to": TO,
        "vehicles": ("resources", "Vehicles", True, "vehicles"),
        "sensor": ("choice", "Fuel source", False, None),
        "tank_capacity": ("number", "Tank capacity", False, None),
        "drop_threshold": ("integer", "Drop alert threshold (%)", False, None),
        **PREFS,
        "tz": TZ,
    },
    ("gateway-default.json", "mileage"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "groups": GROUPS,
        **PREFS,
        "tz": TZ,
        "formats": FORMATS,
    },
    ("gateway-default.json", "ignition_events"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "include_address": ("boolean", "Include street address", False, None),
        "tz": TZ,
    },
    ("gateway-default.json", "temperature"): {
        "from": FROM,
        "to": TO,
        "vehicles": ("resources", "Vehicles", True, "vehicles"),
        "range": ("object", "Allowed range", True, None),
        "range/low": ("number", "Lowest", True, None),
        "range/high": ("number", "Highest", True, None),
        "range/unit": ("choice", "Unit", False, None),
        "notify": ("array", "Alert emails", False, None),
        "tz": TZ,
    },
    ("doc-quirks.json", "my_report"): {
        "from": FROM,
        "to": TO,
        "bases": ("resources", "Bases", False, "geofences"),
    },
    ("doc-quirks.json", "trigger_log"): {
        "from": FROM,
        "to": TO,
        "vehicles": VEHICLES,
        "triggers": ("resources", "Triggers", False, "triggers"),
    },
    ("doc-quirks.json", "no_params"): {},
}


def corpus_script(manifest: str, name: str) -> Script:
    path = CORPUS / manifest
    script = load_manifest(path.read_text(), source=str(path)).script(name)
    assert script is not None, f"{name} is not in {manifest}"
    return script


def flatten(specs: list[FieldSpec]) -> dict[str, FieldSpec]:
    found: dict[str, FieldSpec] = {}
    for spec in specs:
        found[spec.path] = spec
        found.update(flatten(spec.children))
    return found


def fields_of(manifest: str, name: str) -> dict[str, FieldSpec]:
    return flatten(form_fields(corpus_script(manifest, name).schema))


@pytest.mark.parametrize(("manifest", "name"), list(EXPECTED))
def test_every_corpus_field_gets_its_kind_title_and_resource(manifest, name):
    fields = fields_of(manifest, name)

    described = {
        path: (spec.kind, spec.title, spec.required, spec.resource)
        for path, spec in fields.items()
    }
    assert described == EXPECTED[(manifest, name)]


def test_every_corpus_script_is_covered_by_the_table():
    scripts = {
        (path.name, script.script)
        for path in CORPUS.glob("*.json")
        for script in load_manifest(path.read_text(), source=path.name).scripts
    }
    assert scripts == set(EXPECTED)


def test_number_bounds_come_from_the_schema():
    idling = fields_of("gateway-default.json", "idling")
    speeding = fields_of("gateway-default.json", "speeding")
    fuel = fields_of("gateway-default.json", "fuel_level")
    trips = fields_of("gateway-default.json", "trips")

    assert (idling["min_idle"].minimum, idling["min_idle"].maximum) == (1, 1440)
    assert idling["min_idle"].default == 5
    assert (speeding["speed_limit"].minimum, speeding["speed_limit"].maximum) == (
        1,
        300,
    )
    assert (trips["min_distance"].minimum, trips["min_distance"].maximum) == (0, None)
    assert fuel["tank_capacity"].exclusive_minimum == 0
    assert fuel["tank_capacity"].minimum is None
    assert not fuel["tank_capacity"].has_default


def test_choices_come_from_enums_and_from_titled_constants():
    fleet = fields_of("gateway-default.json", "fleet_status")
    idling = fields_of("gateway-default.json", "idling")

    assert fleet["stale_after"].choices == [
        ("PT1H", "1 hour"),
        ("PT6H", "6 hours"),
        ("P1D", "1 day"),
        ("P7D", "1 week"),
    ]
    assert idling["prefs/distance"].choices == [("km", "km"), ("mile", "mile")]
    assert idling["formats"].choices == [
        ("json", "json"),
        ("csv", "csv"),
        ("xlsx", "xlsx"),
        ("pdf", "pdf"),
    ]


def test_time_zone_is_a_choice_of_every_iana_zone():
    zone = fields_of("gateway-default.json", "idling")["tz"]

    values = [value for value, _ in zone.choices]
    assert zone.peg_type == "$tz"
    assert {"UTC", "America/Mexico_City", "Europe/Madrid"} <= set(values)
    assert values == sorted(zoneinfo.available_timezones())


def test_from_and_to_written_as_dates_are_date_times():
    fields = fields_of("doc-quirks.json", "my_report")

    assert fields["from"].schema["format"] == "date"
    assert fields["from"].kind == "datetime"
    assert fields["to"].kind == "datetime"


def test_what_has_no_editor_yet_is_json_and_says_what_is_missing():
    speeding = fields_of("gateway-default.json", "speeding")
    pair = {"type": "array", "items": [{"type": "string"}, {"type": "number"}]}
    either = {"type": ["string", "integer"]}
    fields = form_fields({"properties": {"pair": pair, "either": either}})

    assert [(spec.kind, spec.unsupported) for spec in fields] == [
        ("json", "a list with its own kind of value at each position"),
        ("json", "a field that takes several types (string, integer)"),
    ]
    assert speeding["speed_limit"].unsupported == ""


@pytest.mark.parametrize(
    ("schema", "kind", "resource"),
    [
        ({"type": "integer", "peg_type": "$spaceships", "minimum": 1}, "integer", None),
        ({"type": "string", "peg_type": "$colour"}, "text", None),
        ({"type": "integer", "peg_type": "$vehicles"}, "integer", None),
        (
            {"type": "array", "items": {"type": "integer"}, "peg_type": "$users"},
            "resources",
            "users",
        ),
        ({"type": "string", "format": "date"}, "date", None),
        ({"type": "string", "format": "email"}, "text", None),
        ({"type": "boolean"}, "boolean", None),
        ({"type": ["integer", "null"]}, "nullable", None),
        ({"enum": [1, 2, 3]}, "choice", None),
        ({"const": "fixed"}, "constant", None),
    ],
)
def test_unknown_peg_types_fall_back_to_the_plain_type(schema, kind, resource):
    (spec,) = form_fields({"type": "object", "properties": {"field": schema}})

    assert (spec.kind, spec.resource) == (kind, resource)
    assert spec.peg_type == schema.get("peg_type")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("min_idle", "Min idle"),
        ("stale_after", "Stale after"),
        ("minIdleTime", "Min idle time"),
        ("tz", "Tz"),
        ("drop-threshold", "Drop threshold"),
    ],
)
def test_titles_are_made_from_names(name, title):
    assert title_from_name(name) == title
    (spec,) = form_fields({"properties": {name: {"type": "string"}}})
    assert spec.title == title


def test_a_new_kind_is_a_new_row_of_the_table():
    colour = FieldKind("colour", lambda s: s.get("format") == "color")
    schema = {"properties": {"paint": {"type": "string", "format": "color"}}}

    assert form_fields(schema)[0].kind == "text"
    assert form_fields(schema, kinds=(colour, *FIELD_KINDS))[0].kind == "colour"


def test_initial_values_are_defaults_with_the_users_zone_and_prefs():
    specs = form_fields(corpus_script("gateway-default.json", "idling").schema)
    context = FormContext(
        tz="America/Mexico_City", prefs={"distance": "mile", "speed": "furlongs"}
    )

    assert initial_values(specs, context) == {
        "min_idle": 5,
        "prefs": {
            "distance": "mile",
            "speed": "kph",
            "volume": "liter",
            "language": "en",
        },
        "tz": "America/Mexico_City",
        "formats": ["json", "csv"],
    }
    assert initial_values(specs)["tz"] == "UTC"


PERIOD_TODAY = dt.date(2026, 3, 8)


@pytest.mark.parametrize(
    ("period", "today", "first", "end"),
    [
        ("today", PERIOD_TODAY, "2026-03-08T00:00:00", "2026-03-09T00:00:00"),
        ("yesterday", PERIOD_TODAY, "2026-03-07T00:00:00", "2026-03-08T00:00:00"),
        ("last_7_days", PERIOD_TODAY, "2026-03-02T00:00:00", "2026-03-09T00:00:00"),
        (
            "last_7_days",
            dt.date(2026, 12, 4),
            "2026-11-28T00:00:00",
            "2026-12-05T00:00:00",
        ),
        ("this_month", PERIOD_TODAY, "2026-03-01T00:00:00", "2026-03-09T00:00:00"),
        ("last_month", PERIOD_TODAY, "2026-02-01T00:00:00", "2026-03-01T00:00:00"),
        (
            "last_month",
            dt.date(2026, 1, 15),
            "2025-12-01T00:00:00",
            "2026-01-01T00:00:00",
        ),
        (
            "yesterday",
            dt.date(2028, 3, 1),
            "2028-02-29T00:00:00",
            "2028-03-01T00:00:00",
        ),
        (
            "this_month",
            dt.date(2026, 12, 31),
            "2026-12-01T00:00:00",
            "2027-01-01T00:00:00",
        ),
    ],
)
def test_periods_end_at_midnight_after_their_last_day(period, today, first, end):
    # `to` is exclusive: the report stops just before this moment.
    start, stop = period_range(period, today)

    assert (wall_time_text(start), wall_time_text(stop)) == (first, end)


def test_wall_time_text_keeps_the_clock_and_drops_the_offset():
    # 02:30 on this day does not exist in New York; it must not move.
    moment = dt.datetime(
        2026, 3, 8, 2, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")
    )

    assert wall_time_text(moment) == "2026-03-08T02:30:00"


def test_today_comes_from_the_context_or_falls_back_to_utc(caplog):
    fixed = FormContext(tz="Asia/Tokyo", today=PERIOD_TODAY)
    assert today_in("Asia/Tokyo", fixed) == PERIOD_TODAY

    with caplog.at_level(logging.WARNING, logger="app.forms"):
        today_in("Mars/Olympus_Mons")
    assert "unknown time zone 'Mars/Olympus_Mons'" in caplog.text


def test_paths_inside_a_field_read_as_words():
    assert describe_subpath("0/label") == "item 1, label"
    assert describe_subpath("low") == "low"
