"""App tokens by a direct client-credentials request to the Entra token endpoint.

MSAL (the SDK's default) refuses an authority that is not https and discovers the authority
online, so it can serve neither offline tests nor a custom cloud's endpoint. The request itself
is one form POST, made here for every cloud: ``POST {login}/{tenant}/oauth2/v2.0/token`` with
``grant_type=client_credentials``, the app's id and secret, and ``scope=<resource>/.default``.
Tokens are kept until shortly before they expire; concurrent callers share the request in flight.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import quote

import aiohttp

from bot.core.model.errors import ChatPlatformError

log = logging.getLogger(__name__)
EARLY_S = 300  # renew this long before expiry: a token must outlive the call it is sent with


class ClientCredentialTokens:
    """Implements the SDK's ``TokenProviderProtocol`` (``get_app_token``) and serves the adapter's
    own Bot Connector and Graph calls."""

    def __init__(
        self, session: aiohttp.ClientSession, login_url: str, app_id: str, password: str, tenant_id: str
    ) -> None:
        self.session = session
        self.login_url = login_url.rstrip("/")
        self.app_id = app_id
        self._password = password
        self.tenant_id = tenant_id
        self._held: dict[tuple[str, str], tuple[str, float]] = {}
        self._pending: dict[tuple[str, str], asyncio.Task[tuple[str, float]]] = {}

    async def get_app_token(self, scope: str, tenant_id: str | None = None) -> str:
        key = (scope, tenant_id or self.tenant_id)
        held = self._held.get(key)
        if held is not None and held[1] > time.monotonic():
            return held[0]
        task = self._pending.get(key)
        if task is None or task.done():
            task = self._pending[key] = asyncio.ensure_future(self._request(*key))
        token, until = await asyncio.shield(task)
        self._held[key] = (token, until)
        return token

    async def _request(self, scope: str, tenant: str) -> tuple[str, float]:
        url = f"{self.login_url}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        form = {"grant_type": "client_credentials", "client_id": self.app_id, "client_secret": self._password}
        form["scope"] = scope
        try:
            async with self.session.post(url, data=form) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ChatPlatformError(f"Teams sign-in failed (no answer: {type(exc).__name__}).") from None
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str):
            why = body.get("error") if isinstance(body, dict) else None
            log.error("token request to %s refused: HTTP %s %s", url, status, why)
            raise ChatPlatformError(
                f"Teams sign-in failed ({why or status}): check TEAMS_APP_ID and TEAMS_APP_PASSWORD."
            )
        lifetime = body.get("expires_in", 3600)
        seconds = float(lifetime) if isinstance(lifetime, int | float | str) and str(lifetime).isdigit() else 3600.0
        return token, time.monotonic() + max(seconds - EARLY_S, 30.0)
