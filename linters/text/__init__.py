"""Text extraction: HTML or plain body in, the author's new text (with offsets) out."""

from __future__ import annotations

from ..model import Address, Body, BodyType
from .html import html_to_text
from .plain import segment_text
from .segmentation import NEW_KINDS, Block, Kind, Segmentation

__all__ = ["NEW_KINDS", "Block", "Kind", "Segmentation", "segment"]


def segment(body: Body, author: Address | None = None) -> Segmentation:
    """Cut a draft body into greeting, body, sign-off, signature and quote blocks."""
    if body.type is BodyType.HTML:
        text, quoted_from = html_to_text(body.content)
        return segment_text(text, quoted_from=quoted_from)
    return segment_text(body.content)
