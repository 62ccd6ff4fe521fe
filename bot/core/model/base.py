"""The one strict base for data written by hand (plans, playbooks, frameworks, button payloads).

Unknown keys are refused rather than ignored: a misspelt key in a plan must fail on a calm day,
not silently do nothing on the worst one. Frozen, because validated data is never edited in place.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
