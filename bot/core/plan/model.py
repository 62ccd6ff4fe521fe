"""The crisis plan: people, chain of command, severities and scenarios, as validated data.

The plan is the company's written crisis plan turned into a file that the bot can act on. The
shapes live here; reading the file and checking every reference inside it (a role naming a
person, a severity naming a role) is :mod:`bot.datafiles.plan`'s job, at start-up, so a typo
shows up on a calm day rather than mid-crisis.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.core.model.base import Strict
from bot.core.model.permissions import DEFAULT_RULES, Permission, Rule
from bot.core.plan.drills import DrillScript, DrillSettings
from bot.core.plan.monitoring import Monitoring
from bot.core.plan.playbook import Playbook
from bot.core.plan.sources import SourceMapping

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
SEVERITY_ID = re.compile(r"^sev[1-9]$")
GUID = r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"


class Person(Strict):
    """Someone the plan can call on. At least one contact is required to reach them."""

    name: str = Field(min_length=1)
    title: str = ""
    email: str | None = None
    slack_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    # the person's Entra object id (a GUID): Teams mentions and pages them by it
    teams_id: str | None = Field(default=None, pattern=GUID)


class Group(Strict):
    """A team of people that roles can name as a whole (a Slack user group, say)."""

    name: str = Field(min_length=1)
    members: list[Id] = Field(default_factory=list)
    slack_usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]{2,}$")


class Role(Strict):
    """A seat in the chain of command; ``people`` are in order: primary first, then backups."""

    name: str = Field(min_length=1)
    description: str = ""
    people: list[Id] = Field(default_factory=list)
    groups: list[Id] = Field(default_factory=list)
    # whose page an unacknowledged page climbs to once this role's people are exhausted
    escalates_to: Id | None = None


class SeverityLevel(Strict):
    """How bad it is, and who that brings into the war room (``invite``) and pages (``page``)."""

    name: str = Field(min_length=1)
    description: str = ""
    invite: list[Id] = Field(min_length=1)
    page: list[Id] = Field(min_length=1)
    # who approves public replies at this level; none: the social team's own call
    approver: Id | None = None
    # a page nobody acknowledges within this many minutes goes to the next person up
    ack_timeout_minutes: int = Field(default=15, ge=1, le=1440)
    # stakeholders expect a status update this often; none: no cadence at this level
    update_every_minutes: int | None = Field(default=None, ge=5, le=10080)


class Scenario(Strict):
    """A common problem the team has planned for, with its playbook and usual severity."""

    name: str = Field(min_length=1)
    description: str = ""
    aliases: list[Id] = Field(default_factory=list)
    playbook: str = Field(min_length=1)
    default_severity: str
    extra_roles: list[Id] = Field(default_factory=list)
    # HR, legal, an executive: its war room is always private, the announcement names no
    # details, and only its own people, its lead and ``visible_to`` roles see it anywhere
    restricted: bool = False
    visible_to: list[Id] = Field(default_factory=list)


class UpdateField(StrEnum):
    """Facts a status update can show beside its text."""

    TITLE = "title"
    SEVERITY = "severity"
    STATUS = "status"
    LEAD = "lead"
    NEXT_UPDATE = "next_update"
    WAR_ROOM = "war_room"
    AUTHOR = "author"


class UpdateSettings(Strict):
    """Two audiences for status updates: the war room gets the internal detail, stakeholders
    (executives, the wider company) a short plain summary in their own channel."""

    # where stakeholders read updates; none: the announcements channel
    stakeholder_channel: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,80}$")
    # severities at which every update must carry a stakeholder summary
    summary_required_at: list[str] = Field(default_factory=list)
    stakeholder_fields: list[UpdateField] = Field(
        default_factory=lambda: [UpdateField.SEVERITY, UpdateField.LEAD, UpdateField.NEXT_UPDATE]
    )
    war_room_fields: list[UpdateField] = Field(
        default_factory=lambda: [UpdateField.SEVERITY, UpdateField.NEXT_UPDATE, UpdateField.AUTHOR]
    )


class WarRoomSettings(Strict):
    prefix: str = Field(default="crisis", pattern=r"^[a-z0-9_-]{0,20}$")
    private: bool = True


class TeamsWarRoom(StrEnum):
    """Where a Teams war room lives. A standard channel is the safe default: every member of the
    crisis team can see it, and bots post in it everywhere. A private channel keeps it to those
    invited, but Microsoft has documented both that bots cannot post in private channels and that
    they can: check your tenant first. A group chat needs no team, has no channel to find later,
    and its name (topic) need not be unique."""

    STANDARD_CHANNEL = "standard_channel"
    PRIVATE_CHANNEL = "private_channel"
    GROUP_CHAT = "group_chat"


class TeamsSettings(Strict):
    """The plan's Teams section: which team holds the war rooms (its Graph id, a GUID; unset: the
    team the app was installed in) and what kind of room a war room is."""

    team_id: str | None = Field(default=None, pattern=GUID)
    war_room: TeamsWarRoom = TeamsWarRoom.STANDARD_CHANNEL


class Plan(Strict):
    """A whole crisis plan. Use :func:`load_plan`; it also checks every cross-reference."""

    company: str = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")
    lead_role: Id
    announcements_channel: str = Field(default="crisis-announcements", pattern=r"^[a-z0-9_-]{1,80}$")
    war_room: WarRoomSettings = WarRoomSettings()
    teams: TeamsSettings = TeamsSettings()
    updates: UpdateSettings = UpdateSettings()
    drills: DrillSettings = DrillSettings()
    # social listening: topics, spike thresholds, virality triggers, the monitoring channel
    monitoring: Monitoring = Monitoring()
    people: dict[Id, Person] = Field(min_length=1)
    groups: dict[Id, Group] = Field(default_factory=dict)
    roles: dict[Id, Role] = Field(min_length=1)
    severities: dict[str, SeverityLevel] = Field(min_length=1)
    scenarios: dict[Id, Scenario] = Field(min_length=1)
    # who may do what (model/permissions.py); a permission left out keeps its default
    permissions: dict[Permission, Rule] = Field(default_factory=dict)
    # who may declare at a severity worse than the scenario's usual one; others still raise the
    # alarm, at the worst level they may (the lead escalates from there)
    declare_at: dict[str, Rule] = Field(default_factory=dict)
    # roles that speak for the company: they may edit and publish any reply draft
    communication_roles: list[Id] = Field(default_factory=list)

    def severity_ids(self) -> list[str]:
        """Severity ids from the most severe (sev1) to the least."""
        return sorted(self.severities, key=severity_rank)

    def rule(self, permission: Permission) -> Rule:
        return self.permissions.get(permission, DEFAULT_RULES[permission])

    def declare_rule(self, severity_id: str) -> Rule | None:
        """Who may declare at this level, when the plan guards it: the worst level is guarded by
        default (only the plan's people), so a stranger never pages the executives."""
        if severity_id in self.declare_at:
            return self.declare_at[severity_id]
        return Rule.PLAN if severity_id == self.severity_ids()[0] else None

    def person_name(self, person_id: str) -> str:
        """Pages and timelines outlive plan edits: someone removed since still has a name to show."""
        person = self.people.get(person_id)
        return person.name if person else person_id

    def role_name(self, role_id: str) -> str:
        role = self.roles.get(role_id)
        return role.name if role else role_id

    def scenario_name(self, scenario_id: str) -> str:
        scenario = self.scenarios.get(scenario_id)
        return scenario.name if scenario else scenario_id

    def scenario_for(self, word: str) -> str | None:
        """The scenario id that ``word`` names, by id or alias, case-insensitively."""
        word = word.lower()
        for sid, scenario in self.scenarios.items():
            if word == sid or word in scenario.aliases:
                return sid
        return None


def severity_rank(severity_id: str) -> int:
    """1 for sev1 (the most severe); lower is worse."""
    return int(severity_id[3:])


class LoadedPlan(BaseModel):
    """The plan and its playbooks, ready for use, and where they came from."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    playbooks: dict[str, Playbook]
    # drill scripts by id (their file name in playbooks/drills/, without .yaml)
    drills: dict[str, DrillScript] = Field(default_factory=dict)
    # listening sources by name (their file in playbooks/sources/): how each tool's JSON maps to ours
    sources: dict[str, SourceMapping] = Field(default_factory=dict)
    path: Path
