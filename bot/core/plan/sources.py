"""Where a listening tool's JSON puts each field of a mention: ``playbooks/sources/NAME.yaml``.

Listening tools all send mentions, each in its own shape. A mapping names, for each field of the
generic mention (``author.handle``, ``metrics.reach`` ...), the path of that value in the tool's
item (``user.screen_name``, ``stats.0.impressions``): a new tool needs a file, not code. ``set``
gives fields every item of the source shares (a source that only ever sends one network).
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import Field, model_validator

from bot.core.model.base import Strict

Target = Literal[
    "network",
    "id",
    "url",
    "author.handle",
    "author.name",
    "author.followers",
    "author.verified",
    "text",
    "lang",
    "created_at",
    "metrics.reach",
    "metrics.likes",
    "metrics.reposts",
    "metrics.replies",
    "in_reply_to",
    "deleted",
]
TARGETS: tuple[str, ...] = get_args(Target)
REQUIRED: tuple[str, ...] = ("network", "id", "text", "created_at")
GENERIC = "generic"
PATH = r"^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$"
SOURCE_NAME = r"^[a-z][a-z0-9_-]{0,39}$"


class SourceMapping(Strict):
    description: str = ""
    # where a request body keeps its list of mentions; a body without it is one mention
    batch: str = Field(default="mentions", pattern=PATH)
    fields: dict[Target, str] = Field(default_factory=dict)
    set: dict[Target, str | int | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _paths_are_paths(self) -> SourceMapping:
        for target, path in self.fields.items():
            if not re.match(PATH, path):
                raise ValueError(f"fields.{target}: '{path}' is not a path like user.screen_name or stats.0.views")
        return self

    def path_of(self, target: str) -> str:
        """Where the sender put ``target``: named in errors, so the sender recognises its own field."""
        paths: dict[str, str] = {str(key): path for key, path in self.fields.items()}
        return paths.get(target, target)


def generic() -> SourceMapping:
    """The shipped source: the generic mention JSON, taken as is."""
    return SourceMapping.model_validate(
        {
            "description": "The generic mention JSON of the intake contract (README, Listening)",
            "fields": {target: target for target in TARGETS},
        }
    )
