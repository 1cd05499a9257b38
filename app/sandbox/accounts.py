"""Signing in and out, and the signed-in user: /api/login, /logout, /user.

Only the demo account (user 1, named and passworded by the command line)
can sign in; the fleet's other users exist to be listed and to receive
scheduled reports.
"""

import hmac
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.context import Sandbox
from app.sandbox.fleet import DEMO_USER_ID, USERS, user_record
from app.sandbox.listing import page_of
from app.sandbox.web import ApiError, json_or_form

log = logging.getLogger(__name__)

MAX_SESSION = 366 * 86_400


class AccountRoutes:
    """Login, logout and the current user, for one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        return [
            Route("/api/login", self.login, methods=["POST"]),
            Route("/api/logout", self.logout, methods=["GET", "POST"]),
            Route("/api/user", self.user, methods=["GET"]),
            Route("/api/users", self.users, methods=["GET"]),
            Route("/api/users/{user_id:int}", self.one_user, methods=["GET"]),
        ]

    def user_records(self) -> list[dict[str, Any]]:
        """The fleet's users, the sign-in account under its configured name."""
        settings = self.sandbox.settings
        return [
            user_record(u, settings.username, settings.user_prefs)
            if u["id"] == DEMO_USER_ID
            else user_record(u)
            for u in USERS
        ]

    async def login(self, request: Request) -> Response:
        body = await json_or_form(request)
        username = str(body.get("username") or "")
        password = str(body.get("password") or "")
        settings = self.sandbox.settings
        same_user = hmac.compare_digest(username.encode(), settings.username.encode())
        same_password = hmac.compare_digest(
            password.encode(), settings.password.encode()
        )
        if not (same_user and same_password):
            log.info("refused a sign-in for user %r", username)
            raise ApiError(401, "wrong user name or password")

        ttl = _session_length(body)
        token = self.sandbox.sessions.sign_in(DEMO_USER_ID, ttl)
        return JSONResponse(
            {
                "message": "User successfully authenticated",
                "app": body.get("app") or None,
                "auth": token,
            }
        )

    async def logout(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request)
        self.sandbox.sessions.sign_out(request)
        log.info("user %s signed out", principal.user_id)
        return JSONResponse({"message": "Session terminated"})

    async def user(self, request: Request) -> Response:
        principal = self.sandbox.sessions.check(request)
        record = next(u for u in self.user_records() if u["id"] == principal.user_id)
        return JSONResponse(record)

    async def users(self, request: Request) -> Response:
        self.sandbox.sessions.check(request)
        return JSONResponse(page_of(request, self.user_records()))

    async def one_user(self, request: Request) -> Response:
        self.sandbox.sessions.check(request)
        user_id = request.path_params["user_id"]
        for record in self.user_records():
            if record["id"] == user_id:
                return JSONResponse(record)
        raise ApiError(404, f"there is no user {user_id}")


def _session_length(body: dict[str, Any]) -> float | None:
    """`expires` (or `duration`, as one release calls it) in seconds, if given."""
    for key in ("expires", "duration"):
        value = body.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise ApiError(400, f"{key}: {value!r} is not a number of seconds")
        try:
            seconds = float(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"{key}: {value!r} is not a number of seconds") from exc
        if not 1 <= seconds <= MAX_SESSION:
            raise ApiError(400, f"{key}: must be between 1 and {MAX_SESSION} seconds")
        return seconds
    return None
