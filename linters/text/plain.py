"""Plain-text segmentation. Placeholder until the full extractor lands."""

from __future__ import annotations

from .segmentation import Block, Kind, Segmentation


def segment_text(text: str, quoted_from: int | None = None) -> Segmentation:
    end = len(text) if quoted_from is None else quoted_from
    blocks = [Block(Kind.BODY, 0, end)] if text[:end].strip() else []
    if end < len(text):
        blocks.append(Block(Kind.QUOTE, end, len(text)))
    return Segmentation(text, tuple(blocks))
