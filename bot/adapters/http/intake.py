"""``POST /intake/{source}``: mentions from listening tools, signed, on the shared HTTP server.

The contract outside tools rely on (README, Listening):

- ``X-Crisisbot-Request-Timestamp`` (unix seconds) and ``X-Crisisbot-Signature: v0=<hex>``, the
  HMAC-SHA256 of ``v0:{timestamp}:{raw body}`` keyed with the source's secret, read from
  ``CRISISBOT_INTAKE_SECRET_<SOURCE>``. A missing, wrong or over-five-minutes-old signature is
  answered 401 and nothing is read further; an unknown source 404.
- The answer is ``{"accepted": n, "duplicates": n, "rejected": [{"index", "field", "message"}]}``.
  A refused request is a 4xx whose JSON names the field (``{"error": ..., "field": ...}``).

The signature is checked on the raw bytes before the body is parsed, as for Slack: an unsigned
caller learns nothing from how its body fails. The body is read with a cap, so an oversized
request is refused without being held in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Collection, Mapping

from aiohttp import web

from bot.adapters.http.bodies import MalformedBody, json_object, utf8
from bot.adapters.http.server import Endpoint
from bot.core.model.mentions import IntakeRefused
from bot.core.service import CrisisService

log = logging.getLogger(__name__)
INTAKE_PATH = "/intake/{source}"
TIMESTAMP_HEADER = "X-Crisisbot-Request-Timestamp"
SIGNATURE_HEADER = "X-Crisisbot-Signature"
SECRET_ENV = "CRISISBOT_INTAKE_SECRET_"
MAX_BODY = 2 * 1024 * 1024
MAX_AGE_S = 5 * 60
# a listening tool retries what timed out; a batch that has not committed by then rolls back whole
DEADLINE = 10.0


def secret_variable(source: str) -> str:
    return SECRET_ENV + source.upper().replace("-", "_")


def intake_secrets(environ: Mapping[str, str], sources: Collection[str]) -> dict[str, str]:
    """Each source's signing secret from the environment; a source without one refuses everything
    (said once in the log at start-up, not at every refused request). Not a warning: most
    deployments take mentions from one tool, or none."""
    found = {s: environ[secret_variable(s)].strip() for s in sources if environ.get(secret_variable(s), "").strip()}
    off = sorted(set(sources) - set(found))
    log.info("intake sources with a secret: %s; refused: %s", ", ".join(sorted(found)) or "none", ", ".join(off))
    return found


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a sender computes (tests, the benchmark and the README's example use it)."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def intake_endpoint(
    service: CrisisService,
    secrets: Mapping[str, str],
    *,
    now: Callable[[], float] = time.time,
    deadline: float | None = DEADLINE,
) -> Endpoint:
    return Endpoint("POST", INTAKE_PATH, _Intake(service, dict(secrets), now).answer, deadline)


def _refuse(status: int, field: str, message: str) -> web.Response:
    return web.json_response({"error": message, "field": field}, status=status)


class _Intake:
    def __init__(self, service: CrisisService, secrets: dict[str, str], now: Callable[[], float]) -> None:
        self.service = service
        self.secrets = secrets
        self.now = now

    async def answer(self, request: web.Request) -> web.Response:
        source = request.match_info["source"]
        if source not in self.service.intake_sources:
            return _refuse(404, "source", f"there is no intake source '{source}'")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._too_large()
        raw = await _read_capped(request)
        if raw is None:
            return self._too_large()
        if refused := self._unsigned(source, request, raw):
            return refused
        try:
            body = json_object(utf8(raw))
        except MalformedBody as exc:
            return _refuse(400, "body", str(exc))
        try:
            report = await self.service.take_in(source, body)
        except IntakeRefused as exc:
            return _refuse(404 if exc.unknown_source else 400, exc.field, exc.message)
        return web.json_response(report.as_json())

    def _unsigned(self, source: str, request: web.Request, raw: bytes) -> web.Response | None:
        """Why the request is not from the source's tool, or None when it is."""
        secret = self.secrets.get(source)
        if secret is None:
            return _refuse(401, SIGNATURE_HEADER, f"intake from '{source}' is not set up on this server (no secret)")
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not stamp.isdigit():
            return _refuse(401, TIMESTAMP_HEADER, "missing, or not unix seconds")
        if abs(self.now() - int(stamp)) > MAX_AGE_S:
            return _refuse(401, TIMESTAMP_HEADER, "more than 5 minutes away from now: sign the request again")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given:
            return _refuse(401, SIGNATURE_HEADER, "missing")
        if not hmac.compare_digest(given.encode(), sign(secret, stamp, raw).encode()):
            return _refuse(401, SIGNATURE_HEADER, "does not match the body signed with this source's secret")
        return None

    @staticmethod
    def _too_large() -> web.Response:
        return _refuse(413, "body", f"the body is over {MAX_BODY // 1024 // 1024} MiB: send fewer mentions per request")


async def _read_capped(request: web.Request) -> bytes | None:
    """The body, or None past ``MAX_BODY`` (a chunked request gives no length to check first)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
