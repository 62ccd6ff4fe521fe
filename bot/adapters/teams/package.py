"""The Teams app package: ``deploy/teams/manifest.json`` with the app's id filled in, and its icons,
zipped as Teams Admin Center and "Upload a custom app" take it. Imports nothing of the SDK."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
MANIFEST_DIR = Path(__file__).resolve().parents[3] / "deploy" / "teams"


def build_package(app_id: str, out: Path, source: Path = MANIFEST_DIR) -> Path:
    """Write the zip; every occurrence of the placeholder id (the app, the bot, the message
    action, the Entra app behind them) becomes ``app_id``."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest, indent=2, ensure_ascii=False).replace(PLACEHOLDER_ID, app_id)
    icons = manifest["icons"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", text)
        for name in (icons["color"], icons["outline"]):
            package.write(source / name, name)
    return out
