"""The Teams app manifest: valid against the v1.25 schema, its command menu the parser's commands,
its permissions pinned (the schema does not check their names), and the package command."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from typer.testing import CliRunner

from bot.cli import app
from bot.core.commands import USAGE

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "teams" / "manifest.json"
SCHEMA = ROOT.parent / "shared" / "contracts" / "teams-app-manifest-v1.25.schema.json"
# Resource-specific permissions, granted when the app is installed in the crisis team; each one's
# reason is in deploy/README.md. A new one is a conscious change: every team re-consents.
EXPECTED_RSC = {
    "Channel.Create.Group": "Application",  # war-room channels
    "ChannelSettings.Read.Group": "Application",  # find a war room or the announcements channel by name
    "TeamMember.Read.Group": "Application",  # who is in the crisis team already
}

# Graph application permissions of the Entra app registration (they cannot be in a manifest): the
# list in deploy/README.md, each with its reason. Group-chat war rooms need the last five.
EXPECTED_GRAPH = {
    "User.Read.All",  # a person known by e-mail only
    "TeamMember.ReadWrite.All",  # add people to the crisis team
    "ChannelMember.ReadWrite.All",  # private-channel war rooms
    "Chat.Create",  # group-chat war rooms
    "ChatMember.ReadWrite.All",  # who is in the chat, add people to it
    "AppCatalog.Read.All",  # crisisbot's catalog id and the permissions its package asks
    "TeamsAppInstallation.ReadWriteAndConsentSelfForChat.All",  # crisisbot into the chat
    "Chat.ReadBasic.All",  # find the chat again after a crash
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_manifest_is_valid_v1_25() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(manifest())
    assert manifest()["manifestVersion"] == "1.25"


def test_the_permissions_are_pinned() -> None:
    granted = manifest()["authorization"]["permissions"]["resourceSpecific"]
    assert {p["name"]: p["type"] for p in granted} == EXPECTED_RSC
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED_RSC:
        assert name in readme, f"deploy/README.md must give the reason for {name}"


def test_the_graph_application_permissions_are_pinned() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Graph application permissions**", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\s*- `([A-Za-z.]+)`: \S", section, flags=re.MULTILINE))
    assert listed == EXPECTED_GRAPH


def test_the_command_menu_lists_real_commands() -> None:
    [bot] = manifest()["bots"]
    for command_list in bot["commandLists"]:
        for command in command_list["commands"]:
            word, verb = command["title"].split(" ", 1)
            assert word == "crisis"
            assert verb in USAGE, verb


def test_the_message_action_is_offered_on_messages() -> None:
    [extension] = manifest()["composeExtensions"]
    [command] = extension["commands"]
    assert command["type"] == "action"
    assert command["context"] == ["message"]


def test_the_package_has_the_app_id_and_icons(tmp_path: Path) -> None:
    app_id = "12345678-1234-4234-8234-123456789abc"
    out = tmp_path / "crisisbot.zip"
    result = CliRunner().invoke(app, ["teams-package", "--app-id", app_id, "--output", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packed = json.loads(package.read("manifest.json"))
    assert packed["id"] == packed["bots"][0]["botId"] == packed["webApplicationInfo"]["id"] == app_id
    assert "00000000-0000-0000-0000-000000000000" not in json.dumps(packed)
