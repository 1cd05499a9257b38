"""A run's arguments: built from form values, user prefs and time zone."""

from pathlib import Path

import pytest

from app.errors import UsageError
from app.manifest import Script, load_manifest
from app.runs import (
    build_args,
    check_args,
    folder_problem,
    local_zone,
    user_job_prefs,
    user_tz,
)

CORPUS = Path(__file__).parent / "data" / "manifests"
PERIOD = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}


def default_script(name: str) -> Script:
    path = CORPUS / "gateway-default.json"
    manifest = load_manifest(path.read_text(), source=str(path), engine_url="http://e")
    script = manifest.script(name)
    assert script is not None
    return script


def strict_script() -> Script:
    """A script whose schema forbids anything but from and to."""
    manifest = load_manifest(
        {
            "scripts": [
                {
                    "script": "strict",
                    "title": "Strict",
                    "parameters_schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["from", "to"],
                        "properties": {
                            "from": {"type": "string", "format": "date-time"},
                            "to": {"type": "string", "format": "date-time"},
                        },
                    },
                }
            ]
        },
        source="inline",
    )
    return manifest.scripts[0]


def test_tz_and_prefs_are_added_when_the_form_lacks_them() -> None:
    script = default_script("trips")
    prefs = {"distance": "mile", "speed": "mph", "language": "es"}

    args = build_args(
        script, {**PERIOD, "vehicles": [1]}, tz="America/Bogota", prefs=prefs
    )

    assert args == {
        **PERIOD,
        "vehicles": [1],
        "tz": "America/Bogota",
        "prefs": prefs,
    }
    check_args(script, args)


def test_values_from_the_form_win_over_the_defaults() -> None:
    script = default_script("trips")
    values = {**PERIOD, "vehicles": [1], "tz": "UTC", "prefs": {"distance": "km"}}

    args = build_args(script, values, tz="Europe/Paris", prefs={"distance": "mile"})

    assert args["tz"] == "UTC"
    assert args["prefs"] == {"distance": "km"}


def test_a_schema_that_forbids_extras_gets_neither_tz_nor_prefs() -> None:
    script = strict_script()

    args = build_args(script, dict(PERIOD), tz="UTC", prefs={"distance": "km"})

    assert args == PERIOD
    check_args(script, args)


def test_a_pref_the_script_does_not_take_is_dropped_alone() -> None:
    script = default_script("trips")
    prefs = {"distance": "mile", "speed": "mph", "language": "fr"}

    args = build_args(script, {**PERIOD, "vehicles": [1]}, prefs=prefs)

    assert args["prefs"] == {"distance": "mile", "speed": "mph"}
    check_args(script, args)


def test_build_args_does_not_change_the_form_values() -> None:
    values = {**PERIOD, "vehicles": [1]}

    build_args(default_script("trips"), values, tz="UTC", prefs={"distance": "km"})

    assert values == {**PERIOD, "vehicles": [1]}


def test_check_args_names_each_bad_field() -> None:
    script = default_script("trips")
    bad = {"from": "yesterday", "to": "2026-11-03T00:00:00", "vehicles": ["one"]}

    with pytest.raises(UsageError) as caught:
        check_args(script, bad)

    message = str(caught.value)
    assert "'trips'" in message
    assert "'from' must be a date and time" in message
    assert "'vehicles/0' must be a whole number" in message


def test_check_args_refuses_a_name_the_script_does_not_list() -> None:
    args = {"frm": PERIOD["from"], "to": PERIOD["to"], "vehicles": [1]}

    with pytest.raises(UsageError) as caught:
        check_args(default_script("trips"), args)

    assert str(caught.value) == (
        "unknown parameter 'frm'; this report takes: from, to, vehicles, groups, "
        "min_distance, prefs, tz"
    )


def test_check_args_names_every_unknown_parameter() -> None:
    args = {**PERIOD, "vehicle": [1], "groups": [2], "minimum": 3}

    with pytest.raises(UsageError, match="^unknown parameters 'vehicle', 'minimum';"):
        check_args(default_script("trips"), args)


def script_with_schema(schema: dict[str, object]) -> Script:
    manifest = load_manifest(
        {"scripts": [{"script": "s", "title": "S", "parameters_schema": schema}]},
        source="inline",
    )
    return manifest.scripts[0]


def test_tz_and_prefs_are_never_unknown_where_the_schema_lets_them_in() -> None:
    script = script_with_schema({"type": "object", "properties": {"day": {}}})

    args = build_args(script, {"day": "2026-11-02"}, tz="UTC", prefs={"speed": "mph"})

    assert set(args) == {"day", "tz", "prefs"}
    check_args(script, args)


def test_a_schema_that_takes_names_of_its_own_has_no_unknown_ones() -> None:
    patterns = script_with_schema(
        {"type": "object", "patternProperties": {"^sensor_": {"type": "number"}}}
    )
    any_name = script_with_schema(
        {"type": "object", "additionalProperties": {"type": "string"}}
    )

    check_args(patterns, {"sensor_1": 4.5})
    check_args(any_name, {"label": "north"})


def test_a_report_without_parameters_says_so_for_any_value() -> None:
    script = script_with_schema({"type": "object"})

    with pytest.raises(UsageError) as caught:
        check_args(script, {"from": PERIOD["from"]})

    assert str(caught.value) == (
        "unknown parameter 'from'; this report takes no parameters"
    )


def test_check_args_wants_vehicles_or_groups_for_trips() -> None:
    with pytest.raises(UsageError, match="needs one of: vehicles, groups"):
        check_args(default_script("trips"), dict(PERIOD))


def test_check_args_refuses_a_script_whose_manifest_is_broken() -> None:
    manifest = load_manifest(
        {"scripts": [{"script": "x y", "title": "Broken"}]}, source="inline"
    )

    with pytest.raises(UsageError, match="cannot be run.*contains a space"):
        check_args(manifest.scripts[0], {})


@pytest.mark.parametrize(
    ("user_prefs", "expected"),
    [
        ({"distanceunits": "km"}, {"distance": "km", "speed": "kph"}),
        ({"distanceunits": "mile", "fuelunits": "gallon"},
         {"distance": "mile", "speed": "mph", "volume": "gallon"}),
        ({"distance": "mile", "speed": "kph", "language": "es-CO"},
         {"distance": "mile", "speed": "kph", "language": "es"}),
        ({"distanceunits": "furlong", "fuelunits": "liter"}, {"volume": "liter"}),
        ({}, {}),
    ],
)  # fmt: skip
def test_user_prefs_become_job_prefs(
    user_prefs: dict[str, str], expected: dict[str, str]
) -> None:
    assert user_job_prefs({"username": "ana", "prefs": user_prefs}) == expected


def test_a_user_without_prefs_gets_no_job_prefs() -> None:
    assert user_job_prefs({"username": "ana"}) == {}
    assert user_job_prefs({"username": "ana", "prefs": None}) == {}


def test_the_users_time_zone_is_used_when_it_is_a_real_zone() -> None:
    assert user_tz({"prefs": {"tz": "America/Mexico_City"}}) == "America/Mexico_City"
    assert user_tz({"prefs": {"timezone": "Europe/Madrid"}}) == "Europe/Madrid"


def test_an_unknown_user_time_zone_falls_back_to_this_computers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")

    assert local_zone() == "Asia/Tokyo"
    assert user_tz({"prefs": {"tz": "Mars/Olympus"}}) == "Asia/Tokyo"
    assert user_tz({}) == "Asia/Tokyo"


@pytest.mark.parametrize("odd", [float("nan"), float("inf"), float("-inf")])
def test_check_args_refuses_numbers_json_cannot_carry(odd: float) -> None:
    args = {**PERIOD, "vehicles": [1], "speed_limit": odd}

    with pytest.raises(UsageError) as caught:
        check_args(default_script("speeding"), args)

    assert str(caught.value) == (
        "the parameters of 'speeding' are not valid: parameter 'speed_limit' must "
        "be a finite number"
    )


def test_a_folder_that_can_be_made_passes_and_is_not_left_behind(
    tmp_path: Path,
) -> None:
    place = tmp_path / "place"
    place.mkdir()
    folder = place / "reports" / "2026" / "november"

    assert folder_problem(folder) is None

    assert list(place.iterdir()) == []


def test_an_existing_folder_passes_and_keeps_what_it_holds(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "old.csv").write_text("kept")

    assert folder_problem(folder) is None

    assert [p.name for p in folder.iterdir()] == ["old.csv"]


def test_a_file_or_a_path_through_a_file_is_no_folder(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")

    assert folder_problem(a_file) == "it is a file, not a folder"
    assert folder_problem(a_file / "sub") == (
        "the folder cannot be made there (Not a directory)"
    )
