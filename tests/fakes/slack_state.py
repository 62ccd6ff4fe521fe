"""The workspace behind the fake Slack Web API: plain dicts plus one handler per API method.

Kept free of HTTP so the rules (who may post where, what a valid block looks like) can be read
in one place and so tests can seed and inspect state directly without a round-trip.
Handlers raise `SlackError`; the HTTP layer turns that into Slack's `{"ok": false}` envelope.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]
Handler: TypeAlias = Callable[["Workspace", JSON], JSON]

METHODS: dict[str, Handler] = {}
_NAME_RE = re.compile(r"[a-z0-9_-]+")
# Arguments that form-encoding clients send as JSON strings; decoded once so handlers and
# recorded calls look the same whichever client sent them.
JSON_ARGS = ("blocks", "attachments", "view", "files")
# What the app's manifest asks for; a test removes one to see the app without it.
DEFAULT_SCOPES = frozenset(
    [
        "chat:write",
        "channels:manage",
        "channels:read",
        "channels:history",
        "groups:write",
        "groups:read",
        "groups:history",
        "im:write",
        "im:history",
        "pins:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "commands",
        "files:write",
    ]
)


class SlackError(Exception):
    """A Slack-level failure: the HTTP layer answers 200 with `ok: false` and these fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def api(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = fn
        return fn

    return register


def decode_json_args(args: JSON) -> JSON:
    """Form bodies carry blocks/view as strings; malformed ones stay strings so validation rejects them."""
    out = dict(args)
    for key in JSON_ARGS:
        if isinstance(out.get(key), str):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(out[key])
    return out


def _flag(value: Any) -> bool:
    # slack_sdk turns bools into "1"/"0" for query strings; JSON bodies keep real booleans.
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true")) or value == 1


def _req(args: JSON, key: str, error: str = "invalid_arguments") -> str:
    value = args.get(key)
    if value is None or value == "":
        raise SlackError(error)
    return str(value)


def _id_list(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return [str(u).strip() for u in items if str(u).strip()]


def _page(items: list[Any], args: JSON, default_limit: int = 100) -> tuple[list[Any], str]:
    """Offset cursors, opaque like Slack's: base64 of `offset:N`; an empty next_cursor ends the walk."""
    limit = int(args.get("limit") or default_limit)
    start = 0
    if cursor := args.get("cursor"):
        try:
            start = int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error) as exc:
            raise SlackError("invalid_cursor") from exc
    end = start + max(limit, 1)
    nxt = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], nxt


def _metadata(raw: Any) -> JSON:
    """Message metadata as Slack checks it: an event_type and an event_payload object."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict) or not isinstance(value.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}


def _text_len(obj: Any) -> int:
    return len(str(obj.get("text", ""))) if isinstance(obj, dict) else 0


def validate_blocks(blocks: Any, limit: int, error: str) -> None:
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise SlackError(error)
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str) or not block["type"]:
            raise SlackError(error)
        if block["type"] == "section" and _text_len(block.get("text")) > 3000:
            raise SlackError(error)
        if block["type"] == "header" and _text_len(block.get("text")) > 150:
            raise SlackError(error)
        if block["type"] == "rich_text" and not _rich_text_ok(block):
            raise SlackError(error)


def _rich_text_ok(block: JSON) -> bool:
    """Sections, lists, quotes and preformatted runs of elements; text elements need text."""
    kinds = ("rich_text_section", "rich_text_preformatted", "rich_text_quote", "rich_text_list")
    parts = block.get("elements")
    if not isinstance(parts, list) or not parts:
        return False
    for part in parts:
        if not isinstance(part, dict) or part.get("type") not in kinds or not isinstance(part.get("elements"), list):
            return False
        for el in part["elements"]:
            if not isinstance(el, dict) or (el.get("type") == "text" and not isinstance(el.get("text"), str)):
                return False
    return True


class Workspace:
    """One team's state. Dict shapes are the seeding API, so tests may read and poke them directly."""

    def __init__(
        self, *, team_id: str = "T0001", team: str = "crisisbot-test", chat_write_public: bool = False
    ) -> None:
        self.team_id = team_id
        self.team = team
        self.bot_user_id = "UBOT"
        self.bot_id = "B0001"
        # Real Slack lets chat:write.public post to public channels the bot hasn't joined; most
        # production installs lack it, so the default surfaces forgotten joins as `not_in_channel`.
        self.chat_write_public = chat_write_public
        self.users: dict[str, JSON] = {}
        self.channels: dict[str, JSON] = {}
        self.messages: dict[str, list[JSON]] = {}
        self.ephemerals: list[JSON] = []
        self.pins: dict[str, list[str]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.views: dict[str, JSON] = {}
        self.used_triggers: set[str] = set()
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        self.files: dict[str, JSON] = {}  # uploads by file id: name, length, content (bytes), title
        self.upload_base = "http://upload.invalid"  # set by the HTTP layer to its /upload route
        self._seq = 0
        self.add_user(self.bot_user_id, "crisisbot")
        self.users[self.bot_user_id]["is_bot"] = True

    # ---- seeding -------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def next_ts(self) -> str:
        """Monotonic and unique, so ordering and lookups by ts behave like Slack's."""
        micros = 1_700_000_000_000_000 + self._next() * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def add_user(
        self, id: str, name: str, email: str | None = None, deleted: bool = False, real_name: str | None = None
    ) -> str:
        real = real_name or name
        self.users[id] = {
            "id": id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real,
            "deleted": deleted,
            "is_bot": False,
            "profile": {"email": email, "real_name": real, "display_name": name},
        }
        return id

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        *,
        id: str | None = None,
        topic: str = "",
        purpose: str = "",
    ) -> str:
        """Returns the new id. Include `bot_user_id` in members for channels the bot should be in."""
        cid = id or f"C{self._next():08d}"
        self.channels[cid] = {
            "id": cid,
            "name": name,
            "is_private": is_private,
            "is_im": False,
            "topic": topic,
            "purpose": purpose,
            "members": list(dict.fromkeys(members)),
            "created": int(time.time()),
            "creator": self.bot_user_id,
        }
        self.messages.setdefault(cid, [])
        return cid

    def add_usergroup(self, id: str, users: Iterable[str]) -> str:
        self.usergroups[id] = list(users)
        return id

    # ---- lookups shared by handlers -----------------------------------------------------

    def channel_obj(self, ch: JSON) -> JSON:
        """Render stored state in Slack's conversation shape (topic/purpose are objects there)."""
        obj = {k: v for k, v in ch.items() if k not in ("members", "topic", "purpose")}
        obj.update(
            # Post-2021 private channels are C-ids with is_channel true; is_group is legacy-only.
            is_channel=not ch["is_im"],
            is_group=False,
            is_archived=False,
            is_member=self.bot_user_id in ch["members"],
            name_normalized=ch["name"],
            num_members=len(ch["members"]),
        )
        for key in ("topic", "purpose"):
            obj[key] = {"value": ch[key], "creator": ch["creator"] if ch[key] else "", "last_set": ch["created"]}
        return obj

    def find_channel(self, ref: Any, *, by_name: bool = False) -> JSON:
        """Only chat.* take names (with or without '#') or a user id meaning the bot's DM with them."""
        ref = str(ref or "")
        if ref in self.channels:
            return self.channels[ref]
        if by_name and ref in self.users:
            return self.channels[self._open_dm(ref)]
        name = ref.removeprefix("#")
        for ch in self.channels.values():
            if by_name and ch["name"] == name and not ch["is_im"]:
                return ch
        raise SlackError("channel_not_found")

    def visible_channel(self, ref: Any) -> JSON:
        """Private channels the bot is not in do not exist as far as the bot can tell."""
        ch = self.find_channel(ref)
        if ch["is_private"] and self.bot_user_id not in ch["members"]:
            raise SlackError("channel_not_found")
        return ch

    def require_member(self, ch: JSON) -> None:
        if self.bot_user_id not in ch["members"]:
            raise SlackError("not_in_channel")

    def find_user(self, uid: Any) -> JSON:
        if str(uid) not in self.users:
            raise SlackError("user_not_found")
        return self.users[str(uid)]

    def find_message(self, cid: str, ts: Any) -> JSON:
        for msg in self.messages.get(cid, []):
            if msg["ts"] == str(ts):
                return msg
        raise SlackError("message_not_found")

    def _open_dm(self, uid: str) -> str:
        cid = "D" + uid.lstrip("UW")
        if cid not in self.channels:
            self.add_channel(uid, id=cid, members=(self.bot_user_id, uid))
            self.channels[cid]["is_im"] = True
            self.channels[cid]["user"] = uid
        return cid

    def _content(self, args: JSON) -> JSON:
        blocks, text = args.get("blocks"), args.get("text")
        if blocks is None and not text and not args.get("attachments"):
            raise SlackError("no_text")
        out: JSON = {"text": str(text or "")}
        if blocks is not None:
            validate_blocks(blocks, 50, "invalid_blocks")
            out["blocks"] = blocks
        if args.get("attachments") is not None:
            out["attachments"] = args["attachments"]
        return out

    def _writable(self, args: JSON) -> JSON:
        ch = self.find_channel(args.get("channel"), by_name=True)
        if self.bot_user_id not in ch["members"] and (ch["is_private"] or not self.chat_write_public):
            raise SlackError("not_in_channel")
        return ch

    def _view(self, args: JSON, *, home: bool = False, view_id: str | None = None) -> JSON:
        view = args.get("view")
        messages: list[str] = []
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] view must be an object"]})
        kind = view.get("type")
        if kind != ("home" if home else "modal"):
            messages.append(f"[ERROR] unsupported type: {kind!r} [json-pointer:/view/type]")
        try:
            validate_blocks(view.get("blocks", []), 100, "invalid_arguments")
        except SlackError:
            messages.append("[ERROR] blocks must be a list of at most 100 typed blocks [json-pointer:/view/blocks]")
        title = view.get("title")
        if kind == "modal" and (not isinstance(title, dict) or not 0 < _text_len(title) <= 24):
            messages.append("[ERROR] must be less than 25 characters [json-pointer:/view/title/text]")
        if messages:
            raise SlackError("invalid_arguments", response_metadata={"messages": messages})
        vid = view_id or f"V{self._next():08d}"
        stored = {
            "id": vid,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{self._next()}.fakehash",
            "root_view_id": vid,
            "app_id": "A0001",
            "bot_id": self.bot_id,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **view,
        }
        stored["id"] = vid
        self.views[vid] = stored
        return stored

    def _take_trigger(self, args: JSON) -> None:
        trigger = str(args.get("trigger_id") or "")
        if not trigger:
            raise SlackError("invalid_trigger_id")
        if trigger in self.used_triggers:
            raise SlackError("expired_trigger_id")
        self.used_triggers.add(trigger)

    # ---- API methods ---------------------------------------------------------------------

    @api("auth.test")
    def auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{self.team}.slack.test/",
            "team": self.team,
            "user": self.users[self.bot_user_id]["name"],
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    @api("conversations.create")
    def conversations_create(self, args: JSON) -> JSON:
        name = _req(args, "name", "invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not _NAME_RE.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if any(c["name"] == name for c in self.channels.values() if not c["is_im"]):
            raise SlackError("name_taken")
        cid = self.add_channel(name, _flag(args.get("is_private")), [self.bot_user_id])
        return {"channel": self.channel_obj(self.channels[cid])}

    def _invite_error(self, ch: JSON, uid: str) -> str | None:
        user = self.users.get(uid)
        if user is None:
            return "user_not_found"
        if uid == self.bot_user_id:
            return "cant_invite_self"
        if user["deleted"]:
            return "cant_invite"
        return "already_in_channel" if uid in ch["members"] else None

    @api("conversations.invite")
    def conversations_invite(self, args: JSON) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        users = _id_list(args.get("users"))
        if not users:
            raise SlackError("no_user")
        if len(users) > 100:
            raise SlackError("too_many_users")
        self.require_member(ch)
        ok: list[str] = []
        errors: list[dict[str, Any]] = []
        for uid in dict.fromkeys(users):
            error = self._invite_error(ch, uid)
            if error:
                errors.append({"user": uid, "ok": False, "error": error})
            else:
                ok.append(uid)
        # Without force one bad id sinks the whole call; with force the good ids still go in.
        if errors and (not _flag(args.get("force")) or not ok):
            raise SlackError(str(errors[0]["error"]), errors=errors)
        ch["members"].extend(ok)
        result: JSON = {"channel": self.channel_obj(ch)}
        if errors:
            result["errors"] = errors
        return result

    @api("conversations.join")
    def conversations_join(self, args: JSON) -> JSON:
        ch = self.find_channel(args.get("channel"))
        if ch["is_private"] or ch["is_im"]:
            raise SlackError("method_not_supported_for_channel_type")
        result: JSON = {}
        if self.bot_user_id in ch["members"]:
            result["warning"] = "already_in_channel"
        else:
            ch["members"].append(self.bot_user_id)
        return {"channel": self.channel_obj(ch), **result}

    def _set_field(self, args: JSON, key: str) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        self.require_member(ch)
        value = str(args.get(key) or "")
        if len(value) > 250:
            raise SlackError("too_long")
        ch[key] = value
        return {"channel": self.channel_obj(ch)}

    @api("conversations.setTopic")
    def conversations_set_topic(self, args: JSON) -> JSON:
        return self._set_field(args, "topic")

    @api("conversations.setPurpose")
    def conversations_set_purpose(self, args: JSON) -> JSON:
        return self._set_field(args, "purpose")

    @api("conversations.info")
    def conversations_info(self, args: JSON) -> JSON:
        return {"channel": self.channel_obj(self.visible_channel(args.get("channel")))}

    @api("conversations.list")
    def conversations_list(self, args: JSON) -> JSON:
        types = set(_id_list(args.get("types") or "public_channel"))
        chans = []
        for ch in self.channels.values():
            kind = "im" if ch["is_im"] else "private_channel" if ch["is_private"] else "public_channel"
            visible = kind == "public_channel" or self.bot_user_id in ch["members"]
            if kind in types and visible:
                chans.append(self.channel_obj(ch))
        page, nxt = _page(chans, args)
        return {"channels": page, "response_metadata": {"next_cursor": nxt}}

    @api("conversations.members")
    def conversations_members(self, args: JSON) -> JSON:
        page, nxt = _page(list(self.visible_channel(args.get("channel"))["members"]), args)
        return {"members": page, "response_metadata": {"next_cursor": nxt}}

    @api("conversations.open")
    def conversations_open(self, args: JSON) -> JSON:
        if args.get("channel"):
            return {"channel": self.channel_obj(self.visible_channel(args["channel"]))}
        users = _id_list(args.get("users"))
        if len(users) != 1:
            raise SlackError("invalid_arguments" if users else "users_list_not_supplied")
        self.find_user(users[0])
        return {"channel": {"id": self._open_dm(users[0])}}

    @api("chat.postMessage")
    def chat_post_message(self, args: JSON) -> JSON:
        ch = self._writable(args)
        content = self._content(args)
        ts = self.next_ts()
        msg: JSON = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "ts": ts, "team": self.team_id}
        msg.update(content)
        if args.get("thread_ts"):
            msg["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata") is not None:
            msg["metadata"] = _metadata(args["metadata"])
        self.messages.setdefault(ch["id"], []).append(msg)
        return {"channel": ch["id"], "ts": ts, "message": msg}

    @api("conversations.history")
    def conversations_history(self, args: JSON) -> JSON:
        """Newest first, as Slack answers; metadata only with include_all_metadata, as Slack does.
        The bot must be a member (channels:history / groups:history / im:history)."""
        ch = self.find_channel(args.get("channel"))
        if self.bot_user_id not in ch["members"]:
            raise SlackError("not_in_channel")
        with_metadata = _flag(args.get("include_all_metadata"))
        newest_first = [
            {k: v for k, v in m.items() if k != "metadata" or with_metadata}
            for m in reversed(self.messages.get(ch["id"], []))
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"]
        ]
        page, nxt = _page(newest_first, args)
        return {"messages": page, "has_more": bool(nxt), "response_metadata": {"next_cursor": nxt}}

    @api("chat.postEphemeral")
    def chat_post_ephemeral(self, args: JSON) -> JSON:
        ch = self._writable(args)
        user = _req(args, "user", "user_not_found")
        if user not in ch["members"]:
            raise SlackError("user_not_in_channel")
        ts = self.next_ts()
        self.ephemerals.append({"channel": ch["id"], "user": user, "ts": ts, **self._content(args)})
        return {"message_ts": ts}

    @api("chat.update")
    def chat_update(self, args: JSON) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        msg = self.find_message(ch["id"], args.get("ts"))
        if msg.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        msg.update(self._content(args))
        msg["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
        return {"channel": ch["id"], "ts": msg["ts"], "text": msg["text"], "message": msg}

    @api("chat.getPermalink")
    def chat_get_permalink(self, args: JSON) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        ts = self.find_message(ch["id"], args.get("message_ts"))["ts"]
        return {"channel": ch["id"], "permalink": f"https://fake.slack.test/archives/{ch['id']}/p{ts.replace('.', '')}"}

    @api("pins.add")
    def pins_add(self, args: JSON) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        self.require_member(ch)
        ts = self.find_message(ch["id"], args.get("timestamp"))["ts"]
        pinned = self.pins.setdefault(ch["id"], [])
        if ts in pinned:
            raise SlackError("already_pinned")
        pinned.append(ts)
        return {}

    @api("pins.list")
    def pins_list(self, args: JSON) -> JSON:
        ch = self.visible_channel(args.get("channel"))
        items = [
            {"type": "message", "channel": ch["id"], "message": self.find_message(ch["id"], ts)}
            for ts in self.pins.get(ch["id"], [])
        ]
        return {"items": items}

    @api("users.lookupByEmail")
    def users_lookup_by_email(self, args: JSON) -> JSON:
        email = _req(args, "email").lower()
        for user in self.users.values():
            if str(user["profile"].get("email") or "").lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    @api("users.info")
    def users_info(self, args: JSON) -> JSON:
        return {"user": self.find_user(args.get("user"))}

    @api("usergroups.users.list")
    def usergroups_users_list(self, args: JSON) -> JSON:
        group = str(args.get("usergroup") or "")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    @api("views.open")
    def views_open(self, args: JSON) -> JSON:
        self._take_trigger(args)
        return {"view": self._view(args)}

    @api("views.push")
    def views_push(self, args: JSON) -> JSON:
        self._take_trigger(args)
        return {"view": self._view(args)}

    @api("views.update")
    def views_update(self, args: JSON) -> JSON:
        vid, ext = args.get("view_id"), args.get("external_id")
        found = [v for v in self.views.values() if v["id"] == vid or (ext and v.get("external_id") == ext)]
        if not found:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != found[0]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._view(args, home=found[0].get("type") == "home", view_id=found[0]["id"])}

    @api("views.publish")
    def views_publish(self, args: JSON) -> JSON:
        self.find_user(_req(args, "user_id", "user_not_found"))
        return {"view": self._view(args, home=True)}
