"""A signed-in session with a Pegasus Gateway: how each call is sent and read.

Every call goes through httpx with TLS verified: one client for remote
hosts, which follows the environment's proxy settings, and one for loopback
hosts, which never goes through a proxy (a local gateway's sign-in must not
leave the machine). The token travels in the `Authenticate` header
(PEGASUS_API.md §1.2), never in a URL, a log line or an error message.
Every call has an overall deadline, so a server that trickles its answer
cannot hang the caller, and a size limit on its answer counted once
unpacked (MAX_ANSWER_BYTES; a download, which goes to disk, stops at
MAX_DOWNLOAD_BYTES), so a small gzip answer cannot fill the memory.
Whatever goes wrong, the caller gets one of the app's errors naming the
call and what to do about it (app.gateway_errors).

Flaky networks are ridden out (app.retry): a call that may be repeated (a
GET, a download) is tried again after a network failure or a "busy"
answer, with growing random waits, until a deadline. Before the gateway
has answered once, a connection that cannot be made is not retried: the
address may be wrong, and the person should hear so at once.
`on_connection` hears ("reconnecting", reason) when calls start being
retried and ("connected", "") once a call gets its answer again. A 401 to
a call made with a token awaits `reauthenticate` (app.reauth) and tries
the call once more.
"""

import asyncio
import contextlib
import json
import logging
import random
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from app import APP_ID, __version__
from app.addresses import is_loopback_host, normalize_site_url
from app.answers import Answer, message_suffix, ms_since, read_limited
from app.errors import AuthError, GatewayError, NetworkError
from app.gateway_errors import (
    auth_error,
    network_error,
    never_sent,
    stalled_error,
    status_hint,
)
from app.job_lookup import GatewayClock
from app.jsonlimits import JsonLimitError, read_json
from app.reauth import Reauthenticate, Reauthentication
from app.retry import (
    RETRY_STATUSES,
    BusyError,
    ConnectionListener,
    Link,
    RetryPolicy,
    Streak,
    retry_after_seconds,
)

# The session's lines are the gateway client's: one name in support logs
# (and in --debug output) for every request, whichever module sends it.
log = logging.getLogger("app.gateway")

MAX_ANSWER_BYTES = 20 * 1024 * 1024  # once unpacked: far above any real answer
MAX_DOWNLOAD_BYTES = 2 * 1024**3  # a report file, written to disk as it comes

T = TypeVar("T")


class GatewaySession:
    """The token, the HTTP clients and the rules every call of a Gateway follows."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        deadline: float | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
        retry: RetryPolicy | None = None,
        on_connection: ConnectionListener | None = None,
    ) -> None:
        """timeout bounds each connect and read; deadline a whole call.

        A download has no overall deadline, but each 64 KB of it must
        arrive within the deadline (twice the timeout unless given).
        Answers are read up to max_answer_bytes, downloads up to
        max_download_bytes, both counted once unpacked. retry says how
        calls are tried again (app.retry.RetryPolicy; NO_RETRY for none);
        on_connection hears the link's state changes.
        """
        self.site_url = normalize_site_url(url)
        self.api_url = self.site_url + "/api"
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else 2 * timeout
        self.max_answer_bytes = max_answer_bytes
        self.max_download_bytes = max_download_bytes
        self.retry = retry if retry is not None else RetryPolicy()
        self._token = token or None
        # Whether the gateway has taken the session yet: a 401 before that is
        # a token given from outside that was never good, not an expiry.
        self._accepted = False
        # Whether the gateway has answered anything yet (see _retry_wait).
        self._reached = False
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._link = Link(self._where, on_connection)
        self._reauth = Reauthentication()
        self._clock = GatewayClock()
        self._rng = random.Random()
        # Jobs this client created or adopted: never adopted a second time.
        self._jobs_held: set[int] = set()
        self._part_locks: dict[Path, asyncio.Lock] = {}

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        """A token from outside: until a call succeeds with it, a 401 says
        the gateway did not accept this token (rather than that the session
        ended)."""
        self._token = value or None
        self._accepted = False
        self._reauth.token_changed()

    @property
    def on_connection(self) -> ConnectionListener | None:
        """Called with ("reconnecting", reason) and ("connected", "")."""
        return self._link.listener

    @on_connection.setter
    def on_connection(self, listener: ConnectionListener | None) -> None:
        self._link.listener = listener

    @property
    def reauthenticate(self) -> Reauthenticate | None:
        """Awaited on a 401 to a call made with a token; True: signed in again.

        One at a time: calls refused meanwhile wait for the same answer.
        True -> each such call is tried once more with the new token;
        False -> they fail with AuthError (and the same token is not
        prompted for again).
        """
        return self._reauth.hook

    @reauthenticate.setter
    def reauthenticate(self, hook: Reauthenticate | None) -> None:
        self._reauth.hook = hook

    def __repr__(self) -> str:
        state = "signed in" if self._token else "not signed in"
        return f"<Gateway {self.site_url} ({state})>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        signing_in: bool = False,
    ) -> Answer:
        """Send a call to the gateway's API and fail unless it succeeded.

        A GET is tried again as app.retry says; other calls are sent once.
        """
        call = self._call(method, path)

        async def once() -> Answer:
            return await self._answer(
                method, path, json=json, params=params, signing_in=signing_in
            )

        if method == "GET":
            return await self._retrying(call, lambda _streak: self._authorized(once))
        try:
            answer = await self._authorized(once, signing_in=signing_in)
        except (NetworkError, BusyError) as exc:
            log.warning("%s", exc)
            raise
        self._link.answered()
        return answer

    async def _answer(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        signing_in: bool = False,
    ) -> Answer:
        """One try at a call to the gateway's API; its answer, if a success."""
        call = self._call(method, path)
        answer = await self._send(
            method,
            self.api_url + path,
            call=call,
            where=self._where,
            limit=self.max_answer_bytes,
            json=json,
            params=params,
            headers={} if signing_in else self._auth_headers(),
            on_headers=self._heard,
        )
        self._fail_unless_ok(answer, call, signing_in=signing_in)
        return answer

    async def _authorized(
        self, once: Callable[[], Awaitable[T]], *, signing_in: bool = False
    ) -> T:
        """once(), and once more if a 401 led to signing in again."""
        sent_with = self._reauth.generation
        with_token = self._token is not None and not signing_in
        try:
            return await once()
        except AuthError:
            if not with_token or not await self._reauth.renew(sent_with):
                raise
        log.debug("trying the call again with the new sign-in")
        return await once()

    async def _retrying(
        self, call: str, attempt: Callable[[Streak], Awaitable[T]]
    ) -> T:
        """attempt() until it works, or until the retry policy gives up."""
        streak = Streak(self.retry, self._rng)
        while True:
            try:
                result = await attempt(streak)
            except (NetworkError, BusyError) as exc:
                wait = self._retry_wait(exc, streak)
                if wait is None:
                    log.warning("%s", exc)
                    raise
                self._link.trouble(str(exc))
            except (GatewayError, AuthError):
                self._link.answered()  # an answer, if not the one hoped for
                raise
            else:
                self._link.answered()
                return result

            log.debug(
                "%s: try %d failed; the next in %.2f s", call, streak.failures, wait
            )
            await asyncio.sleep(wait)

    def _retry_wait(self, error: Exception, streak: Streak) -> float | None:
        """The wait before trying again after error; None: give up now.

        A connection that could not be made, before the gateway ever
        answered, is not retried: the address may be wrong, which waiting
        cannot fix.
        """
        if isinstance(error, NetworkError) and never_sent(error) and not self._reached:
            return None
        asked = error.retry_after if isinstance(error, BusyError) else None
        return streak.next_wait(asked)

    def _heard(self, response: httpx.Response) -> None:
        """Note that the gateway answered (its clock, the link's state)."""
        self._reached = True
        self._clock.note(response.headers.get("date", ""))

    async def _send(
        self,
        method: str,
        url: str,
        *,
        call: str,
        where: str,
        limit: int,
        on_headers: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> Answer:
        """Send a request and read its answer, at most limit bytes unpacked.

        on_headers is told of the answer as soon as its headers arrive.
        """
        client = self._client_for(url)
        started = time.monotonic()
        with self._failures(call, where):
            async with (
                asyncio.timeout(self.deadline),
                client.stream(method, url, **kwargs) as response,
            ):
                if on_headers is not None:
                    on_headers(response)
                body = await read_limited(response, limit=limit, call=call, where=where)

        log.debug("%s -> %s in %.0f ms", call, response.status_code, ms_since(started))
        return Answer(response, body)

    def _client_for(self, url: str) -> httpx.AsyncClient:
        """The client for url: loopback hosts never go through a proxy."""
        direct = is_loopback_host(urllib.parse.urlsplit(url).hostname or "")
        client = self._clients.get(direct)
        if client is None:
            # Redirects are not followed: a custom header would go with them.
            client = httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=not direct,
                headers={
                    "User-Agent": f"{APP_ID}/{__version__}",
                    "Accept": "application/json",
                },
            )
            self._clients[direct] = client
        return client

    @contextlib.contextmanager
    def _failures(self, call: str, where: str) -> Iterator[None]:
        """httpx's errors and our deadlines, raised as the app's NetworkError.

        Not logged here: the caller logs the failure it gives up on.
        """
        try:
            yield
        except httpx.HTTPError as exc:
            raise network_error(exc, call, where, self.timeout) from exc
        except TimeoutError as exc:
            raise stalled_error(call, where, self.deadline) from exc

    def _fail_unless_ok(
        self, answer: Answer, call: str, *, signing_in: bool = False
    ) -> None:
        """Raise the app's error for any answer but a success.

        A "busy" answer (app.retry.RETRY_STATUSES) is a BusyError, logged by
        whoever gives up on it; the others are logged here.
        """
        status = answer.status
        if status < 300:
            self._accepted = self._accepted or not signing_in
            return
        if status == 401:
            raise auth_error(call, signing_in=signing_in, accepted=self._accepted)
        if status < 400:
            location = answer.header("location", "somewhere else")
            raise GatewayError(
                f"{call} was redirected to {location}; use the gateway's final "
                "address (for example https:// instead of http://)",
                status=status,
                call=call,
            )

        message = message_suffix(answer)
        hint = status_hint(
            status, message, accepted=self._accepted, site_url=self.site_url
        )
        text = f"{call} failed with HTTP {status}{message}{hint}"
        if status in RETRY_STATUSES:
            wait = retry_after_seconds(answer.header("retry-after"))
            raise BusyError(text, status=status, call=call, retry_after=wait)
        error = GatewayError(text, status=status, call=call)
        log.warning("%s", error)
        raise error

    def _json(self, answer: Answer) -> Any:
        call = answer.call
        content_type = answer.header("content-type", "no content type")
        try:
            return read_json(answer.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            kind = content_type.split(";")[0].strip()
            if kind.lower().endswith("json"):
                what = f"broken JSON ({kind})"
            else:
                what = (
                    f"something that is not JSON ({kind}); "
                    f"is {self.site_url} a Pegasus Gateway?"
                )
            raise GatewayError(
                f"{call} answered with {what}",
                status=answer.status,
                call=call,
            ) from exc
        except JsonLimitError as exc:
            raise GatewayError(
                f"{call} answered with JSON that cannot be used: {exc}",
                status=answer.status,
                call=call,
            ) from exc

    def _json_object(self, answer: Answer) -> dict[str, Any]:
        data = self._json(answer)
        if not isinstance(data, dict):
            raise self._shape_error(answer, "a JSON object")
        return data

    def _items(self, data: list[Any], answer: Answer) -> list[dict[str, Any]]:
        if not all(isinstance(item, dict) for item in data):
            raise self._shape_error(answer, "a list of objects")
        return data

    def _shape_error(self, answer: Answer, expected: str) -> GatewayError:
        return GatewayError(
            f"{answer.call} answered with JSON of an unexpected shape (expected "
            f"{expected}); is {self.site_url} a Pegasus Gateway?",
            status=answer.status,
            call=answer.call,
        )

    def _call(self, method: str, path: str) -> str:
        """How a call is named in messages: "GET /api/job_manager/5"."""
        return f"{method} {urllib.parse.urlsplit(self.api_url).path}{path}"

    @property
    def _where(self) -> str:
        return f"the gateway at {self.site_url}"

    def _auth_headers(self) -> dict[str, str]:
        return {"Authenticate": self._token} if self._token else {}
