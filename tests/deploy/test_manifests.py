"""The Slack app manifests (the container and Kubernetes files: test_container, test_kubernetes).

The manifests are validated against Slack's manifest JSON schema (shared with the other projects
at ``../shared/contracts/``), and the bot scopes are pinned: a new scope is a conscious change,
since every workspace must re-approve the app when the list grows.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA_PATH = ROOT.parent / "shared" / "contracts" / "slack-app-manifest.schema.json"
HTTP_MANIFEST = DEPLOY / "slack" / "manifest.yaml"
SOCKET_MANIFEST = DEPLOY / "slack" / "manifest.socket-mode.yaml"
MANIFESTS = [HTTP_MANIFEST, SOCKET_MANIFEST]
SLACK_SOURCES = ROOT / "bot" / "adapters" / "slack"

EVENTS_PATH = "/slack/events"

# Every Slack Web API method the bot calls, with the bot scopes it needs (Slack's method docs).
# Conversations methods need the scope of the channel type: channels:* public, groups:* private.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "views.open": frozenset(),  # needs a trigger_id, no scope
    "views.publish": frozenset(),  # the Home tab
    "chat.getPermalink": frozenset(),  # links in timeline notes
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),  # a page card loses its button once answered
    "conversations.create": frozenset({"channels:manage", "groups:write"}),
    "conversations.invite": frozenset({"channels:manage", "groups:write"}),
    "conversations.setTopic": frozenset({"channels:manage", "groups:write"}),
    "conversations.setPurpose": frozenset({"channels:manage", "groups:write"}),
    "conversations.join": frozenset({"channels:join"}),
    "conversations.list": frozenset({"channels:read", "groups:read"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),  # adopting a war room on resume
    "pins.add": frozenset({"pins:write"}),
    # a declaration resumed after a crash looks for what it may have posted already
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.open": frozenset({"im:write"}),  # the DM channel of a page, to look in it
    # users:read.email is only granted together with users:read
    "users.lookupByEmail": frozenset({"users:read", "users:read.email"}),
    # slack_sdk's wrapper of files.getUploadURLExternal + files.completeUploadExternal
    "files.upload.v2": frozenset({"files:write"}),
}
# The exact bot scopes of both manifests. Adding one here is a conscious change: every workspace
# has to re-approve the app when the list grows.
EXPECTED_BOT_SCOPES = frozenset(
    {
        "commands",  # the /crisis slash command (no Web API method)
        "chat:write",
        "channels:manage",
        "groups:write",
        "channels:join",
        "channels:read",
        "groups:read",
        "pins:write",
        "channels:history",
        "groups:history",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "files:write",
    }
)


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: expected a mapping at the top level"
    return data


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"Slack manifest schema not found at {SCHEMA_PATH} (the shared contracts are not checked out)")
    data = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def http_manifest() -> dict[str, Any]:
    return load_yaml(HTTP_MANIFEST)


@pytest.fixture(scope="module")
def socket_manifest() -> dict[str, Any]:
    return load_yaml(SOCKET_MANIFEST)


def crisis_command(manifest: dict[str, Any]) -> dict[str, Any]:
    commands = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/crisis"]
    assert len(commands) == 1, "exactly one /crisis slash command"
    command = commands[0]
    assert isinstance(command, dict)
    return command


def all_urls(value: Any, path: str = "") -> dict[str, str]:
    """Every string that looks like a URL, by its dotted path in the manifest."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(all_urls(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(all_urls(item, f"{path}[{index}]"))
    elif isinstance(value, str) and re.match(r"^https?://", value):
        found[path] = value
    return found


# -- the schema ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_matches_slack_schema(path: Path, schema: dict[str, Any]) -> None:
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(load_yaml(path)), key=lambda e: list(e.absolute_path))
    problems = [f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]
    assert not problems, f"{path.name} does not match the Slack manifest schema:\n" + "\n".join(problems)


def test_schema_is_draft_7(schema: dict[str, Any]) -> None:
    """The validator is chosen from ``$schema``; if Slack moves to a newer draft, look again."""
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_background_color_is_a_hex_color(path: Path) -> None:
    # The schema spells this constraint "regex", which JSON Schema ignores: check it here.
    color = load_yaml(path)["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color)


# -- what the bot needs ----------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_crisis_command_with_usage_hint(path: Path) -> None:
    command = crisis_command(load_yaml(path))
    hint = command.get("usage_hint", "")
    for sub in ("start", "sev1..sev4", "status", "list", "draft", "escalate", "ack", "lead", "resolve", "help"):
        assert sub in hint, f"the usage hint should mention {sub!r}"
    assert command["description"]
    assert command["should_escape"] is True, "mentions must arrive as user ids for /crisis lead @who"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_bot_scopes_are_exactly_the_expected_ones(path: Path) -> None:
    scopes = load_yaml(path)["oauth_config"]["scopes"]
    bot = scopes["bot"]
    assert len(bot) == len(set(bot)), "a scope is listed twice"
    assert set(bot) == EXPECTED_BOT_SCOPES, (
        f"added: {sorted(set(bot) - EXPECTED_BOT_SCOPES)}, missing: {sorted(EXPECTED_BOT_SCOPES - set(bot))}"
    )
    assert set(scopes) == {"bot"}, "crisisbot asks for no user scopes"


def test_every_scope_is_needed_by_a_call() -> None:
    needed = frozenset({"commands"}).union(*METHOD_SCOPES.values())
    assert needed == EXPECTED_BOT_SCOPES, (
        f"not needed by any call: {sorted(EXPECTED_BOT_SCOPES - needed)}, "
        f"needed but not expected: {sorted(needed - EXPECTED_BOT_SCOPES)}"
    )


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_each_scope_says_why(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for scope in EXPECTED_BOT_SCOPES:
        line = next((ln for ln in lines if re.match(rf"\s*-\s*{re.escape(scope)}\s*(#|$)", ln)), None)
        assert line is not None, f"{scope} not found in {path.name}"
        _, _, comment = line.partition("#")
        assert comment.strip(), f"{path.name}: say in a comment which call needs {scope}"


def test_every_slack_call_of_the_bot_has_its_scopes() -> None:
    """A new Web API call in the Slack adapter must be added to METHOD_SCOPES (and maybe the manifests)."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SLACK_SOURCES.glob("*.py")))
    direct = re.findall(r"\bclient\.([a-z]+(?:_[A-Za-z]+)+)\(", sources)
    by_name = re.findall(r"\b_(?:call|best_effort)\(\s*\"([a-z]+(?:_[A-Za-z]+)+)\"", sources)
    called = {name.replace("_", ".") for name in [*direct, *by_name]}
    assert called, "no Slack Web API call found: has the adapter moved?"
    unknown = sorted(called - set(METHOD_SCOPES))
    assert not unknown, f"add these Slack methods to METHOD_SCOPES with the scopes they need: {unknown}"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_interactivity_home_tab_and_the_one_event(path: Path) -> None:
    manifest = load_yaml(path)
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    shortcuts = {(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]}
    # each one the app listens for (bot/adapters/slack/app.py)
    assert shortcuts == {
        ("message", "add_to_timeline"),
        ("message", "declare_from_message"),
        ("message", "attach_evidence"),
    }
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_bot_user(path: Path) -> None:
    manifest = load_yaml(path)
    assert manifest["display_information"]["name"] == "crisisbot"
    assert manifest["features"]["bot_user"] == {"display_name": "crisisbot", "always_online": True}


# -- HTTP versus Socket Mode ---------------------------------------------------------------------


def test_http_manifest_urls_point_at_slack_events(http_manifest: dict[str, Any]) -> None:
    assert http_manifest["settings"]["socket_mode_enabled"] is False
    command_url = crisis_command(http_manifest)["url"]
    interactivity_url = http_manifest["settings"]["interactivity"]["request_url"]
    for url in (command_url, interactivity_url):
        assert url.startswith("https://"), "Slack only calls HTTPS request URLs"
        assert url.endswith(EVENTS_PATH), f"{url} should end with {EVENTS_PATH} (the bot's only Slack endpoint)"
    assert command_url == interactivity_url
    assert set(all_urls(http_manifest).values()) == {command_url}


def test_socket_mode_manifest_has_no_request_urls(socket_manifest: dict[str, Any]) -> None:
    assert socket_manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in crisis_command(socket_manifest)
    assert "request_url" not in socket_manifest["settings"]["interactivity"]
    assert all_urls(socket_manifest) == {}


def test_both_manifests_describe_the_same_app(http_manifest: dict[str, Any], socket_manifest: dict[str, Any]) -> None:
    def without_transport(manifest: dict[str, Any]) -> dict[str, Any]:
        stripped = copy.deepcopy(manifest)
        for command in stripped["features"]["slash_commands"]:
            command.pop("url", None)
        stripped["settings"]["interactivity"].pop("request_url", None)
        stripped["settings"]["event_subscriptions"].pop("request_url", None)
        stripped["settings"].pop("socket_mode_enabled")
        return stripped

    assert without_transport(http_manifest) == without_transport(socket_manifest)
