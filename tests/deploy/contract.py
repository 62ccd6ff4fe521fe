"""The names of the environment variables crisisbot reads: what a deployment file may set.

A variable the code does not read is worse than useless in a deployment: ``CRISISBOT_LOGLEVEL``
looks configured and is silently ignored (Settings ignores unknown names). The names come from
the code itself: Settings' fields (an alias if it has one, else the ``CRISISBOT_`` prefix and the
field's name), the log format that :mod:`bot.observability.logs` reads, and the intake secrets'
prefix.
"""

from __future__ import annotations

from pydantic import AliasChoices

from bot.adapters.http.intake import SECRET_ENV
from bot.config import Settings
from bot.observability.logs import FORMAT_ENV

# what a deployment hands over by reference only, never as a value in a file
SECRET_NAMES = frozenset(
    {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TEAMS_APP_PASSWORD"}
)


def settings_names() -> frozenset[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(c for c in alias.choices if isinstance(c, str) and c.isupper())
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field_name}".upper())
    return frozenset(names)


def read_by_crisisbot(name: str) -> bool:
    return name in settings_names() or name == FORMAT_ENV or (name.startswith(SECRET_ENV) and name != SECRET_ENV)
