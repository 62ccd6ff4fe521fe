"""Mentions from an export file, for ``crisisbot intake import``: CSV (a header row, then one
mention per row) or JSON Lines (one mention object per line), read in batches.

Files are streamed: a backfill of millions of rows never sits in memory. Each batch says where
its first item is, so a rejected row is named by its line in the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = (".csv", ".jsonl", ".ndjson")


@dataclass
class Batch:
    lines: list[int]  # the file line of each item
    items: list[object]
    from_text: bool  # CSV: every value is text, to convert
    not_json: list[int]  # JSON Lines lines that are not JSON: reported, never sent
    done_bytes: int = 0  # how far into the file, for the progress bar


def batches(path: Path, size: int) -> Iterator[Batch]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path.name}: expected a .csv or .jsonl file")
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        batch = Batch([], [], suffix == ".csv", [])
        for line, item in _csv(text) if suffix == ".csv" else _jsonl(text):
            if item is None:
                batch.not_json.append(line)
            else:
                batch.lines.append(line)
                batch.items.append(item)
            if len(batch.items) + len(batch.not_json) == size:
                batch.done_bytes = raw.tell()
                yield batch
                batch = Batch([], [], batch.from_text, [])
        if batch.items or batch.not_json:
            batch.done_bytes = raw.tell()
            yield batch


def _csv(text: io.TextIOWrapper) -> Iterator[tuple[int, object]]:
    reader = csv.DictReader(text)
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def _jsonl(text: io.TextIOWrapper) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError:
            yield number, None
