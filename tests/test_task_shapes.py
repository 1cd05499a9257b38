"""Tasks read in every documented shape, and written in one.

The two examples of PEGASUS_API.md §6 (nested and flat `processes`,
`user` and `users`) are read to the same task; the body the app sends is
the nested one; Run now gives the period `back` says, ending this minute.
"""

import datetime as dt
from typing import Any

import pytest

from app.errors import GatewayError, UsageError
from app.schedule.back import Back
from app.task_shapes import (
    LastRun,
    parse_recipients,
    period_fields,
    read_task,
    run_now_args,
    task_body,
    without_fields,
)

CONFIGURATION = {
    "name": "Idling Usage",
    "script": "idling",
    "tz": "UTC",
    "engine": "http://127.0.0.1:9/jobs-engine",
}


def parameters(key: str) -> dict[str, Any]:
    return {
        "vehicles": [5, 6],
        "recipients": ["example@example.com"],
        key: [11],
        "groups": [],
        "back": {"days": 7, "hours": 0},
        "tz": "UTC",
    }


NESTED = {
    "id": 4,
    "name": "Weekly idling",
    "processes": [[CONFIGURATION, parameters("user")]],
    "schedule": [],
}
FLAT = {
    "id": 4,
    "name": "Weekly idling",
    "processes": [CONFIGURATION, parameters("users")],
    "schedule": "0-15 9 * * 1",
}


@pytest.mark.parametrize("data", [NESTED, FLAT], ids=["nested", "flat"])
def test_both_documented_shapes_read_to_one_task(data: dict[str, Any]) -> None:
    task = read_task(data)

    assert (task.id, task.name, task.zone) == (4, "Weekly idling", "UTC")
    assert len(task.processes) == 1
    process = task.first
    assert (process.script, process.engine) == ("idling", CONFIGURATION["engine"])
    assert process.report_name == "Idling Usage"
    assert process.users == [11]
    assert process.recipients == ["example@example.com"]
    assert process.back == Back(days=7, hours=0)
    assert process.report_values == {"vehicles": [5, 6], "groups": [], "tz": "UTC"}


def test_a_schedule_is_a_list_whether_written_as_one_string_or_many() -> None:
    assert read_task(FLAT).schedule == ["0-15 9 * * 1"]
    assert read_task(NESTED).schedule == []
    assert read_task({**NESTED, "schedule": ["@daily", "0 7 * * 1"]}).schedule == [
        "@daily",
        "0 7 * * 1",
    ]


def test_the_last_run_is_read_when_the_gateway_gives_it() -> None:
    task = read_task({**NESTED, "last_run": {"fired_at": 1700000000, "job_id": 9}})

    assert task.last_run == LastRun(1700000000.0, 9)
    assert read_task(NESTED).last_run is None


@pytest.mark.parametrize(
    "processes",
    [None, [], [["not an object"]], [[{}, {}, {}]], "idling"],
)
def test_a_task_without_readable_processes_is_a_gateway_error(
    processes: Any,
) -> None:
    with pytest.raises(GatewayError, match="process"):
        read_task({**NESTED, "processes": processes})


def test_the_body_sent_is_the_nested_shape_with_users() -> None:
    body = task_body(
        name=" Weekly idling ",
        script="idling",
        report_name="Idling Usage",
        engine=CONFIGURATION["engine"],
        tz="Europe/Amsterdam",
        values={"vehicles": [5, 6], "groups": [], "tz": "UTC"},
        recipients=["example@example.com"],
        users=[11],
        back=Back(days=7),
        schedule=["0 7 * * 1"],
    )

    assert body == {
        "name": "Weekly idling",
        "processes": [
            [
                {**CONFIGURATION, "tz": "Europe/Amsterdam"},
                {
                    "vehicles": [5, 6],
                    "groups": [],
                    "recipients": ["example@example.com"],
                    "users": [11],
                    "back": {"days": 7, "hours": 0},
                    "tz": "Europe/Amsterdam",
                },
            ]
        ],
        "schedule": ["0 7 * * 1"],
    }
    # What was sent reads back as what was meant.
    assert read_task(body).first.users == [11]


def test_run_now_reports_the_period_back_gives_ending_this_minute() -> None:
    process = read_task(
        {
            **NESTED,
            "processes": [
                [
                    CONFIGURATION,
                    {**parameters("users"), "back": {"days": 1, "hours": 6}},
                ]
            ],
        }
    ).first
    now = dt.datetime(2024, 10, 27, 11, 42, 31, tzinfo=dt.UTC)

    args = run_now_args(process, "Europe/Amsterdam", now)

    assert args == {
        "vehicles": [5, 6],
        "groups": [],
        "tz": "Europe/Amsterdam",
        # 12:42 in Amsterdam (winter time since 03:00), back 30 hours on
        # the wall clock, across the change.
        "from": "2024-10-26T06:42:00",
        "to": "2024-10-27T12:42:00",
    }


def test_run_now_without_back_says_what_to_do() -> None:
    bare = {k: v for k, v in parameters("users").items() if k != "back"}
    process = read_task({**NESTED, "processes": [[CONFIGURATION, bare]]}).first

    with pytest.raises(UsageError, match="no period"):
        run_now_args(process, "UTC", dt.datetime.now(dt.UTC))


def test_recipients_are_checked_one_by_one() -> None:
    assert parse_recipients(
        "ops@example.com, a.b@fleet.example.org;ops@example.com"
    ) == [
        "ops@example.com",
        "a.b@fleet.example.org",
    ]
    assert parse_recipients("  ") == []
    with pytest.raises(UsageError, match="'ops@example' is not an email address"):
        parse_recipients("boss@example.com ops@example")
    with pytest.raises(UsageError, match="'ops' is not"):
        parse_recipients("ops")


def test_the_task_form_leaves_out_the_period_and_the_zone() -> None:
    schema = {
        "type": "object",
        "required": ["from", "to", "min_idle"],
        "properties": {
            "from": {"type": "string", "peg_type": "$from"},
            "to": {"type": "string", "peg_type": "$to"},
            "tz": {"type": "string", "peg_type": "$tz"},
            "min_idle": {"type": "integer"},
        },
    }

    names = period_fields(schema)
    trimmed = without_fields(schema, names)

    assert names == {"from", "to", "tz"}
    assert trimmed["required"] == ["min_idle"]
    assert list(trimmed["properties"]) == ["min_idle"]
    assert list(schema["properties"]) == ["from", "to", "tz", "min_idle"]
