"""An in-process fake of the Slack Web API, served over real HTTP on 127.0.0.1.

Tests point slack_sdk's `base_url` at it so the real client code (serialisation, retry handlers,
error mapping) runs unchanged; only Slack's side is faked. State rules live in `slack_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeAlias

from aiohttp import web

from tests.fakes.slack_files import receive_upload
from tests.fakes.slack_state import JSON, METHODS, SlackError, Workspace, decode_json_args

DEFAULT_TOKEN = "xoxb-valid"


@dataclass(frozen=True)
class Call:
    """One API request as the app sent it (token excluded from ``args``); `at` is `time.monotonic()`.
    ``token``: the token it was sent with ("" for posts to a response_url, which carry none), so a
    hook can tell which of several processes, each with its own token, made the call."""

    method: str
    args: JSON
    at: float
    token: str = ""


# What ``FakeSlack.on_call`` runs; returning True before a call is handled drops the call.
CallHook: TypeAlias = Callable[[Call], "bool | None"]
RESPONSE_URL = "response_url"  # the method name ``on_call`` gives posts to a response_url


@dataclass
class _Hook:
    method: str
    callback: CallHook
    nth: int
    after: bool
    match: Callable[[JSON], bool] | None
    seen: int = 0


@dataclass
class _Fault:
    error: str | None
    status: int
    retry_after: int | None
    remaining: int
    text: str | None = None
    hang: bool = False
    lost: bool = False


class FakeSlack(Workspace):
    """The workspace plus its HTTP face. Runs in whichever event loop calls `start()`."""

    def __init__(
        self,
        *,
        valid_tokens: tuple[str, ...] = (DEFAULT_TOKEN,),
        latency: float = 0.0,
        chat_write_public: bool = False,
        team_id: str = "T0001",
    ) -> None:
        super().__init__(team_id=team_id, chat_write_public=chat_write_public)
        self.valid_tokens = set(valid_tokens)
        # Added to every API call with asyncio.sleep, so concurrent calls overlap like real I/O.
        self.latency = latency
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._responses: dict[str, list[Any]] = {}
        self._response_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._origin = ""
        self._closing = asyncio.Event()  # what hung calls wait for
        self._hooks: list[_Hook] = []
        self._hooks_lock = threading.Lock()  # hooks may be added from another thread
        self._answered = threading.Condition()  # what ``wait_responses`` waits on, from any thread

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        """Binds a free port so parallel test runs never collide; returns the slack_sdk base_url."""
        app = web.Application()
        app.router.add_post("/response_url/{rid}", self._handle_response_url)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._origin = f"http://{host}:{port}"
        self.upload_base = f"{self._origin}/upload"
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Trailing slash matters: slack_sdk joins method names onto it with urljoin."""
        if not self._origin:
            raise RuntimeError("FakeSlack is not started")
        return f"{self._origin}/api/"

    # ---- recording and fault injection ---------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method]

    def count(self, method: str) -> int:
        return len(self.calls(method))

    def clear_calls(self) -> None:
        self._calls.clear()

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        text: str | None = None,
        hang: bool = False,
        lost: bool = False,
    ) -> None:
        """Queue failures for the next `times` calls of `method`, ahead of any real handling.

        A 429 always carries Retry-After (default 1s) because real Slack always sends it and
        slack_sdk's rate-limit handler keys off it. ``text``: answer with this body (an HTML
        page from a proxy, say) instead of Slack's JSON. ``hang``: never answer (until the fake
        closes), as a Slack that accepted the connection and then went silent. ``lost``: Slack does
        the work, and only its answer is replaced by the failure (a proxy timing out on a slow
        Slack): the caller cannot tell it from a call that never happened.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.setdefault(method, []).append(_Fault(error, status, retry_after, times, text, hang, lost))

    def on_call(
        self,
        method: str,
        callback: CallHook,
        *,
        nth: int = 1,
        after: bool = False,
        match: Callable[[JSON], bool] | None = None,
    ) -> None:
        """Run ``callback(call)`` once, when the ``nth`` call of ``method`` counted from now (only
        calls whose arguments ``match`` accepts count) arrives: before it is handled, or with
        ``after=True`` once the workspace handled it and before it is answered.

        This is how a process that talks to the fake is killed at an exact point of its work
        (a ``kill -9`` of the bot, say), and how a caller waits for a call without polling.
        ``method`` ``"response_url"`` stands for posts to a response_url (the JSON body as
        arguments). The callback runs on the fake's own loop, so in ``ThreadedFakeSlack``'s
        thread, and blocks the fake while it runs. A callback run before the call is handled
        that returns True drops the call: it is not recorded, not handled and never answered
        (until the fake stops), as a request whose sender died before it reached Slack. Faults
        queued with ``fail_next`` and refused tokens answer before any ``after`` hook would run.
        Safe to call from another thread.
        """
        if nth < 1:
            raise ValueError("nth counts from 1")
        with self._hooks_lock:
            self._hooks.append(_Hook(method, callback, nth, after, match))

    def _run_hooks(self, call: Call, *, after: bool) -> bool:
        """Count ``call`` for the hooks it matches and run those it completes; True: drop it."""
        with self._hooks_lock:
            due: list[_Hook] = []
            waiting: list[_Hook] = []
            for hook in self._hooks:
                if hook.method == call.method and hook.after == after and (hook.match is None or hook.match(call.args)):
                    hook.seen += 1
                (due if hook.seen == hook.nth else waiting).append(hook)
            self._hooks = waiting
        dropped = [bool(hook.callback(call)) for hook in due]  # every due hook runs
        return any(dropped) and not after

    def response_url(self) -> str:
        """A fresh URL that records whatever the app posts to it, as Bolt's respond() does."""
        rid = str(next(self._response_ids))
        self._responses[rid] = []
        return f"{self._origin}/response_url/{rid}"

    def wait_responses(self, url: str, count: int = 1, timeout: float = 120.0) -> list[Any]:
        """Block until ``count`` bodies were posted to ``url`` (``timeout``: a hang detector);
        all its bodies so far. Thread-safe: how a test waits for the app's answer without
        polling (from a loop, through ``asyncio.to_thread``)."""
        with self._answered:
            if not self._answered.wait_for(lambda: len(self.responses(url)) >= count, timeout):
                raise TimeoutError(f"{url} got {len(self.responses(url))} answer(s) of {count} in {timeout:g} s")
            return self.responses(url)

    def responses(self, url: str | None = None) -> list[Any]:
        """Bodies posted to one response_url (or to all, in order of URL creation)."""
        if url is not None:
            return list(self._responses.get(url.rstrip("/").rsplit("/", 1)[-1], []))
        return [body for bodies in self._responses.values() for body in bodies]

    # ---- HTTP ----------------------------------------------------------------------------

    async def _read_args(self, request: web.Request) -> JSON:
        """Slack accepts query, form and JSON arguments interchangeably; slack_sdk uses all three."""
        args: JSON = dict(request.query)
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        elif request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
            if not isinstance(body, dict):
                raise SlackError("json_not_object")
            args.update(body)
        return decode_json_args(args)

    def _auth_error(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return "not_authed"
        return None if header[7:].strip() in self.valid_tokens else "invalid_auth"

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in METHODS:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        bad_body: str | None = None
        try:
            args = await self._read_args(request)
        except ValueError:
            args, bad_body = {}, "invalid_json"
        except SlackError as exc:
            args, bad_body = {}, exc.error
        token = str(args.pop("token", "") or "")
        header = request.headers.get("Authorization", "")
        call = Call(method, args, time.monotonic(), header[7:].strip() if header.startswith("Bearer ") else token)
        if self._run_hooks(call, after=False):
            await self._closing.wait()  # dropped: it never reached Slack
            return web.Response(status=503)
        self._calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        # Bolt reads the granted scopes from this header after auth.test
        headers = {"X-OAuth-Scopes": ",".join(sorted(self.scopes))}
        if auth_error := self._auth_error(request):
            return web.json_response({"ok": False, "error": auth_error}, headers=headers)
        if bad_body:
            return web.json_response({"ok": False, "error": bad_body}, headers=headers)
        if fault := self._take_fault(method):
            if fault.lost:
                with contextlib.suppress(SlackError):
                    METHODS[method](self, args)
            if fault.hang:
                await self._closing.wait()
            if fault.text is not None:
                content = "text/html" if fault.text.lstrip().startswith("<") else "text/plain"
                return web.Response(text=fault.text, status=fault.status, content_type=content, headers=headers)
            default = {429: "ratelimited"}.get(fault.status, "internal_error" if fault.status >= 500 else "fatal_error")
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            body = {"ok": False, "error": fault.error or default}
            return web.json_response(body, status=fault.status, headers=headers)
        try:
            result = {"ok": True, **METHODS[method](self, args)}
        except SlackError as exc:
            result = {"ok": False, "error": exc.error, **exc.extra}
        self._run_hooks(call, after=True)
        return web.json_response(result, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        status = receive_upload(self, request.match_info["file_id"], await request.read())
        return web.Response(status=status, text="OK" if status == 200 else "upload refused")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        if rid not in self._responses:
            return web.Response(status=404, text="no_service")
        body: Any = await request.json() if request.content_type == "application/json" else await request.text()
        call = Call(RESPONSE_URL, body if isinstance(body, dict) else {"text": body}, time.monotonic())
        if self._run_hooks(call, after=False):
            await self._closing.wait()  # dropped: it never reached Slack
            return web.Response(status=503)
        with self._answered:
            self._responses[rid].append(body)
            self._answered.notify_all()
        self._run_hooks(call, after=True)
        return web.Response(text="ok")


class ThreadedFakeSlack:
    """Runs a FakeSlack on its own loop in a daemon thread, for apps or sync clients that would
    otherwise block the loop serving them. Seed `.fake` before starting or between calls."""

    def __init__(self, fake: FakeSlack | None = None) -> None:
        self.fake = fake or FakeSlack()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> ThreadedFakeSlack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
