"""What the task editor holds, checked before anything is sent (check_draft).

The checks run without a window: the report's parameters against its
schema less the period, the recipients, the users typed as ids, `back`,
the zone and each schedule; a good draft gives the body POST /api/tasks
takes.
"""

from dataclasses import replace

import pytest
from support.window import engine_script

from app.controllers.schedules import DraftError, check_draft
from app.task_shapes import TaskDraft

GOOD = TaskDraft(
    name="Morning idling",
    values={"vehicles": [1, 2], "groups": [], "min_idle": 5},
    input_problems={},
    recipients_text="ops@example.com",
    users=[2],
    users_text="",
    users_typed=False,
    back_days=1,
    back_hours=0,
    zone="Europe/Amsterdam",
    schedules=["0 7 * * *"],
)


def test_a_good_draft_is_the_body_of_the_task() -> None:
    script = engine_script("idling")

    body = check_draft(script, GOOD)

    configuration, parameters = body["processes"][0]
    assert body["name"] == "Morning idling"
    assert body["schedule"] == ["0 7 * * *"]
    assert configuration == {
        "name": "Idling Usage",
        "script": "idling",
        "tz": "Europe/Amsterdam",
        "engine": script.engine_url,
    }
    assert parameters == {
        "vehicles": [1, 2],
        "groups": [],
        "min_idle": 5,
        "recipients": ["ops@example.com"],
        "users": [2],
        "back": {"days": 1, "hours": 0},
        "tz": "Europe/Amsterdam",
    }


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": ""}, "Give the task a name."),
        ({"users_typed": True, "users_text": "2, ops"}, "Users: 'ops' is not a user"),
        ({"zone": "Mars/Olympus_Mons"}, "'Mars/Olympus_Mons' is not a time zone"),
        ({"schedules": []}, "Give at least one schedule."),
        ({"schedules": ["@daily", "0 */5 * * * *"]}, "Schedule 2: '0 */5 * * * *'"),
        ({"schedules": ["@reboot"]}, "Schedule 1: @reboot runs when a server"),
    ],
)
def test_a_draft_that_cannot_be_a_task_says_why(
    change: dict[str, object], words: str
) -> None:
    with pytest.raises(DraftError) as refused:
        check_draft(engine_script("idling"), replace(GOOD, **change))  # type: ignore[arg-type]

    assert str(refused.value).startswith(words)


def test_report_parameters_are_checked_without_the_period() -> None:
    draft = replace(GOOD, values={**GOOD.values, "min_idle": 0})

    with pytest.raises(DraftError) as refused:
        check_draft(engine_script("idling"), draft)

    assert str(refused.value) == (
        "1 report parameter needs attention (shown at the fields)."
    )
    # from and to are required by the report, but a task's `back` gives them.
    assert list(refused.value.errors) == ["min_idle"]
