"""The log's safety net: secrets masked in whatever text reaches it."""

import logging

import pytest

from app.logs import redact, setup_logging

HEX_TOKEN = "0123456789abcdef" * 3 + "01234567"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("sandbox --password hunter2 --db x", "sandbox --password *** --db x"),
        ("run --token=abc123 --script trips", "run --token=*** --script trips"),
        ("run --token  abc123", "run --token  ***"),
        ('engine --password "two words" --port 1', "engine --password *** --port 1"),
        ('password="my secret pw" user=ana', "password=*** user=ana"),
        ("{'password': 'a b c', 'user': 'ana'}", "{'password': ***, 'user': 'ana'}"),
        (f"token {HEX_TOKEN.upper()} used", "token *** used"),
        (f"session {HEX_TOKEN} used", "session *** used"),
        ("Authorization: Bearer eyJhbGciOi.x.y done", "Authorization: Bearer *** done"),
        ("bearer abc", "bearer ***"),
        (
            "GET http://alice:S3cret@127.0.0.1:8000/api/user",
            "GET http://alice:***@127.0.0.1:8000/api/user",
        ),
        ('{"Authenticate": "abc"}', '{"Authenticate": ***}'),
        ("PEGASUS_TOKEN=xyz", "PEGASUS_TOKEN=***"),
        ('{"access_token": "abc", "n": 1}', '{"access_token": ***, "n": 1}'),
        ("GET /x?token=abc&page=2", "GET /x?token=***&page=2"),
        ("'passwd': 'pw' and more", "'passwd': *** and more"),
        ("db_password: hunter2 (from env)", "db_password: *** (from env)"),
    ],
)
def test_each_form_of_secret_is_masked(line: str, shown: str) -> None:
    assert redact(line) == shown


@pytest.mark.parametrize(
    "line",
    [
        "author: bob",
        "GET http://127.0.0.1:8000/api/user -> 200 in 3 ms",
        "job 12 trips: running 40%",
        "--passwords-file is not an option",
        "field tz cannot show '../../etc/passwd': not one of the choices",
        'cannot open "C:\\etc\\token": no such file',
        "cannot read /etc/passwd: permission denied",
    ],
)
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_the_log_handler_masks_secrets_in_formatted_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    loggers = [
        logging.getLogger(name) for name in ("", "httpx", "httpcore", "uvicorn.access")
    ]
    saved = [(logger, logger.handlers[:], logger.level) for logger in loggers]
    setup_logging(logging.INFO)
    try:
        logging.getLogger("app.test").info("starting %s", "x --password 'a b' y")
    finally:
        for logger, handlers, level in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)

    err = capsys.readouterr().err
    assert "x --password *** y" in err
    assert "a b" not in err
