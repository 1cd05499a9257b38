"""Tokens of the sandbox: user sessions with sliding expiry, and job tokens.

A user token lives `ttl` seconds after its last use, as on a gateway, and
no longer than the session limit from its sign-in when one is set (the
--token-ttl fault, faults.py; read at each check, so a change applies to
tokens already given). A job
token is made for one job when it is dispatched: its engine may read with
it, and update that job only, and only while the job is open (created or
running); it stops working when the job is done or in error, or expires.
Tokens are 56 lowercase hex characters, and only their SHA-256 is stored.
"""

import hashlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from app.sandbox.store import OPEN_STATES, Store
from app.sandbox.web import ApiError

log = logging.getLogger(__name__)

TOKEN_BYTES = 28  # 56 hex characters, like a gateway's tokens


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: a user, or an engine working on one job."""

    user_id: int
    job_id: int | None = None

    @property
    def is_job(self) -> bool:
        return self.job_id is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Issues and checks tokens against the store."""

    def __init__(
        self,
        store: Store,
        default_ttl: float,
        limit: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.store = store
        self.default_ttl = default_ttl
        # Seconds from sign-in a user's token may live, if limited.
        self.limit = limit

    def sign_in(self, user_id: int, ttl: float | None = None) -> str:
        """A new user token that expires `ttl` seconds after its last use."""
        token = secrets.token_hex(TOKEN_BYTES)
        ttl = ttl or self.default_ttl
        now = time.time()
        self.store.purge_sessions(now)
        self.store.add_session(
            token_hash(token),
            user_id,
            job_id=None,
            ttl=ttl,
            expires_at=now + ttl,
            now=now,
        )
        log.info("user %s signed in (session of %.0f s)", user_id, ttl)
        return token

    def job_token(self, user_id: int, job_id: int, expires_at: float) -> str:
        """A token for the engine of one job, valid until the job expires."""
        token = secrets.token_hex(TOKEN_BYTES)
        self.store.add_session(
            token_hash(token),
            user_id,
            job_id=job_id,
            ttl=None,
            expires_at=expires_at,
            now=time.time(),
        )
        return token

    def sign_out(self, request: Request) -> None:
        token = _token_of(request)
        if token:
            self.store.delete_session(token_hash(token))

    def check(self, request: Request, *, write: bool = False) -> Principal:
        """The principal behind a request's token; ApiError 401 if there is none.

        With write=True a job token is refused: engines may only read, and
        update their own job (which the job routes check themselves).
        """
        token = _token_of(request)
        if not token:
            raise ApiError(
                401, "this call needs a token in the Authenticate header; sign in first"
            )

        hashed = token_hash(token)
        row = self.store.session(hashed)
        now = time.time()
        if row is None:
            raise ApiError(401, "the token is not valid on this gateway; sign in again")
        if row["expires_at"] < now or self._past_limit(row, now):
            self.store.delete_session(hashed)
            raise ApiError(401, "the session has expired; sign in again")

        if row["job_id"] is not None:
            state = self.store.job_state(row["job_id"])
            if state not in OPEN_STATES:
                raise ApiError(
                    401,
                    f"job {row['job_id']} is {state or 'gone'}; "
                    "its token works only while the job is open",
                )
        if row["ttl"] is not None:
            self.store.extend_session(hashed, now + row["ttl"])
        principal = Principal(user_id=row["user_id"], job_id=row["job_id"])
        if write and principal.is_job:
            raise ApiError(401, "a job's token may read, and update its own job only")
        return principal

    def is_job_token(self, request: Request) -> bool:
        """Whether the request carries a job's token (an engine's call)."""
        token = _token_of(request)
        if not token:
            return False
        row = self.store.session(token_hash(token))
        return row is not None and row["job_id"] is not None

    def _past_limit(self, row: sqlite3.Row, now: float) -> bool:
        # Job tokens live as long as their job is open: an engine's work
        # must not fail because a user's session was made short.
        limit = self.limit()
        if limit is None or row["job_id"] is not None:
            return False
        return bool(now >= row["created_at"] + limit)


def _token_of(request: Request) -> str:
    return (
        request.headers.get("authenticate") or request.query_params.get("auth") or ""
    ).strip()
