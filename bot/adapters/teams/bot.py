"""The Teams adapter assembled from settings: tokens, calls, chat, handlers, keys, the SDK app.

Kept apart from the composition root so that the root imports nothing of Teams (nor its SDK)
unless Teams is configured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment

from bot.adapters.http.server import Endpoint
from bot.adapters.teams.addresses import Addresses
from bot.adapters.teams.calls import CALL_TIMEOUT, Caller, Sleep, Token, make_session
from bot.adapters.teams.chat import TeamsChat
from bot.adapters.teams.connector import Connector
from bot.adapters.teams.graph import Graph
from bot.adapters.teams.handlers import TeamsHandlers
from bot.adapters.teams.keys import HeldKeys, KeyRefresher
from bot.adapters.teams.sdk import DEADLINE, cloud_of, graph_base, keys_url, teams_app
from bot.adapters.teams.tokens import ClientCredentialTokens
from bot.config import Settings
from bot.core.plan.model import Plan
from bot.core.ports import AddressBook, ChatPort

if TYPE_CHECKING:
    from bot.container import Core


@dataclass(frozen=True)
class TeamsConfig:
    """The Teams settings, checked (``Settings.teams_problems()`` is empty) and resolved."""

    app_id: str
    password: str
    tenant_id: str
    cloud: CloudEnvironment

    @classmethod
    def of(cls, settings: Settings) -> TeamsConfig:
        if settings.teams_problems():
            raise ValueError("; ".join(settings.teams_problems()))
        password = settings.teams_app_password.get_secret_value() if settings.teams_app_password else ""
        cloud = cloud_of(
            settings.teams_cloud, settings.teams_login_url, settings.teams_openid_metadata_url, settings.teams_graph_url
        )
        return cls(
            (settings.teams_app_id or "").strip(), password.strip(), (settings.teams_tenant_id or "").strip(), cloud
        )


@dataclass
class TeamsBot:
    config: TeamsConfig
    core: Core
    chat: TeamsChat
    handlers: TeamsHandlers
    keys: KeyRefresher
    session: aiohttp.ClientSession
    endpoints: list[Endpoint] = field(default_factory=list)
    tokens: ClientCredentialTokens | None = None

    @classmethod
    def build(
        cls,
        config: TeamsConfig,
        plan: Plan,
        build_core: Callable[[ChatPort], Core],
        book: AddressBook,
        sleep: Sleep = asyncio.sleep,
        timeout: float = CALL_TIMEOUT,
    ) -> TeamsBot:
        """``book``: where the addresses Teams gives are kept for every replica; ``sleep``: how
        retries wait (tests record the waits instead); ``timeout``: how long one call to Microsoft
        (a key fetch included) may take."""
        session = make_session(timeout)
        tokens = ClientCredentialTokens(
            session, config.cloud.login_endpoint, config.app_id, config.password, config.tenant_id
        )

        def token_for(scope: str) -> Token:
            async def token() -> str:
                return await tokens.get_app_token(scope)

            return token

        chat = TeamsChat(
            Connector(Caller(session, token_for(config.cloud.bot_scope), sleep), config.app_id, config.tenant_id),
            Graph(Caller(session, token_for(config.cloud.graph_scope), sleep), graph_base(config.cloud)),
            plan,
            Addresses(plan.teams.team_id, book),
        )
        core = build_core(chat)
        handlers = TeamsHandlers(core.service, chat, config.app_id)
        keys = KeyRefresher(HeldKeys(keys_url(config.cloud), timeout=timeout))
        return cls(config, core, chat, handlers, keys, session, tokens=tokens)

    async def start(self, deadline: float | None = DEADLINE) -> list[Endpoint]:
        """Load the signing keys (off the loop), set the SDK app up; its routes for the server,
        each answering 503 when a handler is still busy at ``deadline``."""
        await self.keys.start()
        await self.chat.addresses.load()
        _, routes = await teams_app(
            app_id=self.config.app_id,
            password=self.config.password,
            tenant_id=self.config.tenant_id,
            cloud=self.config.cloud,
            keys=self.keys.keys,
            route=self.handlers.route,
        )
        self.endpoints = routes.endpoints(deadline)
        return self.endpoints

    async def drain(self) -> None:
        await self.handlers.drain()

    async def verify(self) -> None:
        """Prove the app id and password by getting the Bot Connector token every reply needs
        (kept, so the first reply does not wait for it); raises ChatPlatformError if refused."""
        assert self.tokens is not None, "built by TeamsBot.build"
        await self.tokens.get_app_token(self.config.cloud.bot_scope)

    async def aclose(self) -> None:
        await self.handlers.drain()
        await self.keys.stop()
        await self.session.close()
