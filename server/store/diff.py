"""A field-level diff of two policy documents, for the version history and the audit log.

Small and recursive on purpose: policy documents are plain JSON (dicts, lists, scalars) a few
kilobytes long, and the console wants one row per changed field with its path. The diff libraries
(deepdiff, jsondiff) answer a harder question with their own output formats that we would have to
translate back into exactly this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class Change(TypedDict):
    path: list[str]  # keys from the top, e.g. ["rules", "large-audience", "threshold"]
    before: object  # None when the field was absent
    after: object  # None when the field is gone


def diff_documents(before: Mapping | None, after: Mapping | None) -> list[Change]:
    """Every field whose value differs, sorted by path.

    Mappings are compared key by key; anything else (lists included) as a whole value, because
    an element-wise list diff misreads an inserted phrase as every later phrase changing.
    """
    changes: list[Change] = []
    _diff(before or {}, after or {}, [], changes)
    return changes


def _diff(before: object, after: object, path: list[str], changes: list[Change]) -> None:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            _diff(before.get(key), after.get(key), [*path, str(key)], changes)
    elif before != after or type(before) is not type(after):
        changes.append({"path": path, "before": before, "after": after})
