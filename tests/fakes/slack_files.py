"""File uploads as Slack runs them since files.upload retired: ask for an upload URL, send the
bytes there, then complete the upload into a channel (or a thread). slack_sdk's
``files_upload_v2`` walks the three steps; the fake refuses what Slack refuses at each one
(``missing_scope`` without ``files:write``, a length that does not match, an unknown file id, a
channel the bot is not in)."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.slack_state import JSON, SlackError, Workspace, api

FILES_WRITE = "files:write"


def _require_scope(ws: Workspace, scope: str) -> None:
    if scope not in ws.scopes:
        raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(ws.scopes)))


@api("files.getUploadURLExternal")
def get_upload_url(ws: Workspace, args: JSON) -> JSON:
    _require_scope(ws, FILES_WRITE)
    filename = str(args.get("filename") or "")
    try:
        length = int(args.get("length") or 0)
    except ValueError:
        length = 0
    if not filename or length <= 0:
        raise SlackError("invalid_arguments")
    file_id = f"F{ws.next_ts().replace('.', '')[-10:]}"
    ws.files[file_id] = {"id": file_id, "name": filename, "length": length, "content": None}
    return {"upload_url": f"{ws.upload_base}/{file_id}", "file_id": file_id}


def receive_upload(ws: Workspace, file_id: str, data: bytes) -> int:
    """The bytes sent to an upload URL; the HTTP status the upload server answers."""
    entry = ws.files.get(file_id)
    if entry is None:
        return 404
    if len(data) != entry["length"]:
        return 400  # Slack checks the announced length
    entry["content"] = data
    return 200


@api("files.completeUploadExternal")
def complete_upload(ws: Workspace, args: JSON) -> JSON:
    _require_scope(ws, FILES_WRITE)
    files = _file_list(args.get("files"))
    uploaded = []
    for item in files:
        entry = ws.files.get(str(item.get("id")))
        if entry is None or entry["content"] is None:
            raise SlackError("file_not_found" if entry is None else "file_upload_not_completed")
        entry["title"] = str(item.get("title") or entry["name"])
        uploaded.append(entry)
    message: JSON = {"files": [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in uploaded]}
    if channel := args.get("channel_id"):
        ch = ws.visible_channel(channel)
        ws.require_member(ch)
        message.update(
            {"type": "message", "user": ws.bot_user_id, "ts": ws.next_ts(), "text": args.get("initial_comment") or ""}
        )
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        ws.messages.setdefault(ch["id"], []).append(message)
    return {"files": [{"id": f["id"], "title": f["title"]} for f in uploaded]}


def _file_list(raw: Any) -> list[JSON]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) and v.get("id") for v in value):
        raise SlackError("invalid_arguments")
    return value


def uploaded_text(ws: Workspace, name: str) -> str:
    """The text of the file uploaded under ``name`` (the last one), for tests to compare."""
    found = [f for f in ws.files.values() if f["name"] == name and f["content"] is not None]
    if not found:
        raise AssertionError(f"no file named {name} was uploaded; files: {sorted(ws.files)}")
    return bytes(found[-1]["content"]).decode("utf-8")
