"""Read the listening sources beside the plan (``sources/*.yaml``): each maps a tool's JSON to ours.

Checked at start-up and by ``check-plan`` like every other data file, each problem with its file,
line, key and fix: a mapping found broken when the first storm of mentions arrives has lost them.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from bot.core.plan.sources import GENERIC, REQUIRED, SOURCE_NAME, SourceMapping
from bot.datafiles.validation import validation_issues
from bot.datafiles.yaml import DataFileError, DataIssue, YamlDocument, load_yaml

SOURCES_DIR = "sources"


def load_sources(plan_path: Path, issues: list[DataIssue]) -> dict[str, SourceMapping]:
    """Every mapping in the plan's ``sources/`` folder by name (its file name); problems go to ``issues``."""
    folder = plan_path.parent / SOURCES_DIR
    found: dict[str, SourceMapping] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.yaml")):
        try:
            found[path.stem] = load_source(path)
        except DataFileError as exc:
            issues.extend(exc.issues)
    return found


def load_source(path: Path) -> SourceMapping:
    doc = load_yaml(path)
    name_issues = _name(doc, path.stem)
    if not isinstance(doc.data, dict):
        fix = "start from sources/flat.yaml"
        raise DataFileError([*name_issues, doc.issue((), "a source mapping must be a mapping of keys", fix)])
    issues: list[DataIssue] = list(name_issues)
    mapping: SourceMapping | None = None
    try:
        mapping = SourceMapping.model_validate(doc.data)
    except ValidationError as exc:
        issues += validation_issues(doc, exc, model=SourceMapping)
    issues += _required(doc)
    if issues or mapping is None:
        raise DataFileError(issues)
    return mapping


def _name(doc: YamlDocument, name: str) -> list[DataIssue]:
    if name == GENERIC:
        return [doc.issue((), "'generic' is built in and takes the generic JSON as is", "rename this file")]
    if not re.match(SOURCE_NAME, name):
        fix = "rename the file: a lowercase letter first, then a-z, 0-9, '-' or '_' (at most 40)"
        return [doc.issue((), f"'{name}' cannot name a source (it becomes part of the URL /intake/{name})", fix)]
    return []


def _required(doc: YamlDocument) -> list[DataIssue]:
    """A mapping that cannot fill a required field refuses every item: say so on a calm day."""
    fields = doc.data.get("fields") if isinstance(doc.data.get("fields"), dict) else {}
    constants = doc.data.get("set") if isinstance(doc.data.get("set"), dict) else {}
    return [
        doc.issue(
            ("fields",),
            f"nothing fills '{target}', which every mention needs",
            f"add '{target}: <its path in the tool's item>' under fields (or a fixed value under set)",
        )
        for target in REQUIRED
        if target not in fields and target not in constants
    ]
