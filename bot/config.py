"""Settings from the environment (and an optional ``.env``), validated once at start-up.

Names follow what operators expect: ``DATABASE_URL`` and the ``SLACK_*`` variables Slack's own
docs use; everything else is prefixed ``CRISISBOT_``. Tokens are ``SecretStr`` so that printing
the settings, or a traceback that contains them, never shows a token.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_PATH = Path(".crisisbot") / "crisisbot.db"
DEFAULT_PLAN_PATH = Path("playbooks") / "plan.yaml"
DEFAULT_FRAMEWORKS_PATH = Path("message_frameworks")
TEAMS_CLOUDS = ("public", "usgov", "usgovdod", "china")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRISISBOT_", env_file=".env", extra="ignore")

    plan_path: Path = Field(default=DEFAULT_PLAN_PATH, validation_alias=AliasChoices("CRISISBOT_PLAN", "plan_path"))
    frameworks_path: Path = Field(
        default=DEFAULT_FRAMEWORKS_PATH, validation_alias=AliasChoices("CRISISBOT_FRAMEWORKS", "frameworks_path")
    )
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CRISISBOT_DATABASE_URL", "database_url")
    )
    db_path: Path = Field(default=DEFAULT_DB_PATH, validation_alias=AliasChoices("CRISISBOT_DB_PATH", "db_path"))
    log_level: str = "WARNING"
    # names this process in leases: a restart under the same name takes its unfinished work over
    # at once (other replicas wait for the lease to expire). The host name, unless set.
    replica_id: str = Field(default_factory=socket.gethostname, validation_alias=AliasChoices("CRISISBOT_REPLICA_ID"))

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL"))
    teams_app_id: str | None = Field(default=None, validation_alias=AliasChoices("TEAMS_APP_ID"))
    teams_app_password: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TEAMS_APP_PASSWORD"))
    teams_tenant_id: str | None = Field(default=None, validation_alias=AliasChoices("TEAMS_TENANT_ID"))
    teams_cloud: str = Field(default="Public", validation_alias=AliasChoices("TEAMS_CLOUD"))
    teams_login_url: str | None = Field(default=None, validation_alias=AliasChoices("TEAMS_LOGIN_URL"))
    teams_openid_metadata_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TEAMS_OPENID_METADATA_URL")
    )
    teams_graph_url: str | None = Field(default=None, validation_alias=AliasChoices("TEAMS_GRAPH_URL"))
    # with Slack and Teams in one process: where the listening alerts (possible-crisis cards) go
    listening_platform: str | None = Field(default=None, validation_alias=AliasChoices("CRISISBOT_LISTENING_PLATFORM"))
    # on SIGTERM: how long requests and background work under way get to finish before they are
    # cancelled and their leases handed to the other replicas (keep it under the orchestrator's
    # grace period: Kubernetes kills after 30 s by default)
    shutdown_timeout: float = Field(default=20.0, gt=0, le=600)
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("CRISISBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def platforms(self) -> list[str]:
        """The chat platforms ``serve`` runs, in the order they are set up."""
        return [name for name, on in (("slack", self.slack_configured), ("teams", self.teams_configured)) if on]

    def listening_problems(self) -> list[str]:
        chosen = (self.listening_platform or "").strip().lower()
        if chosen and chosen not in self.platforms:
            served = " or ".join(self.platforms) or "a configured platform"
            return [f"CRISISBOT_LISTENING_PLATFORM must be {served} (a platform this process serves), not {chosen!r}."]
        return []

    @property
    def listening_on(self) -> str:
        """Where the possible-crisis cards go: the platform chosen, else the first one served."""
        chosen = (self.listening_platform or "").strip().lower()
        return chosen if chosen in self.platforms else (self.platforms or ["slack"])[0]

    def slack_problems(self) -> list[str]:
        """What stops ``serve`` from starting, each naming the variable and the fix."""
        problems = []
        bot = self.slack_bot_token.get_secret_value().strip() if self.slack_bot_token else ""
        if not bot:
            problems.append("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) of your Slack app.")
        elif not bot.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb- (not a user or app token).")
        app = self.slack_app_token.get_secret_value().strip() if self.slack_app_token else ""
        if app and not app.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).")
        secret = self.slack_signing_secret.get_secret_value().strip() if self.slack_signing_secret else ""
        if not app and not secret:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your app's Basic Information."
            )
        if not self.slack_api_url.startswith(("https://", "http://")):
            problems.append("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/.")
        return problems

    @property
    def slack_configured(self) -> bool:
        """Any SLACK_* credential set: the operator means Slack, so its problems are named."""
        return any(
            v is not None and v.get_secret_value().strip()
            for v in (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret)
        )

    @property
    def teams_configured(self) -> bool:
        """Any TEAMS_* credential set: the operator means Teams (and only then is its SDK imported)."""
        password = self.teams_app_password.get_secret_value().strip() if self.teams_app_password else ""
        return bool((self.teams_app_id or "").strip() or password or (self.teams_tenant_id or "").strip())

    def teams_problems(self) -> list[str]:
        """What stops ``serve`` from starting for Teams, each naming the variable and the fix."""
        problems = []
        if not _GUID.match((self.teams_app_id or "").strip()):
            problems.append(
                "TEAMS_APP_ID must be the Microsoft App ID (a GUID) of the Azure Bot's Entra app registration."
            )
        if not (self.teams_app_password.get_secret_value().strip() if self.teams_app_password else ""):
            problems.append("TEAMS_APP_PASSWORD is not set: create a client secret in the app registration.")
        if not _GUID.match((self.teams_tenant_id or "").strip()):
            problems.append(
                "TEAMS_TENANT_ID must be your Entra tenant id (a GUID): crisisbot is a single-tenant bot "
                "(its war rooms are made through your tenant's Graph)."
            )
        if self.teams_cloud.strip().lower() not in TEAMS_CLOUDS:
            problems.append("TEAMS_CLOUD must be Public, USGov, USGovDoD or China.")
        for name, url in (
            ("TEAMS_LOGIN_URL", self.teams_login_url),
            ("TEAMS_OPENID_METADATA_URL", self.teams_openid_metadata_url),
            ("TEAMS_GRAPH_URL", self.teams_graph_url),
        ):
            if url is not None and not url.startswith(("https://", "http://")):
                problems.append(f"{name} must be an http(s) URL.")
        metadata = self.teams_openid_metadata_url
        if metadata is not None and not metadata.rstrip("/").endswith("/openidconfiguration"):
            problems.append(
                "TEAMS_OPENID_METADATA_URL must end with /openidconfiguration "
                "(the keys are read beside it, at .../keys)."
            )
        if self.teams_graph_url is not None and self.teams_graph_url.rstrip("/").endswith("/v1.0"):
            problems.append("TEAMS_GRAPH_URL is Graph's base without /v1.0, such as https://graph.microsoft.com.")
        return problems

    def db_url(self) -> str:
        """The database to use: ``DATABASE_URL`` if set, else the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.db_path}"

    @property
    def uses_default_sqlite(self) -> bool:
        return self.database_url is None
