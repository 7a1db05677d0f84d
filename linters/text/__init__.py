"""Text extraction: HTML or plain body in, the author's new text (with offsets) out."""

from __future__ import annotations

from dataclasses import replace

from ..model import Address, Body, BodyType
from .closings import Author
from .html import html_to_text
from .plain import segment_text
from .segmentation import NEW_KINDS, Block, Kind, Segmentation

__all__ = ["NEW_KINDS", "Block", "Kind", "Segmentation", "segment"]


def segment(body: Body, *, author: Address | None = None) -> Segmentation:
    """Cut a draft body into greeting, body, sign-off, signature and quote blocks.

    `author` (the draft's sender) lets a sign-off that is only the author's first name or initials
    ("m", "gg") be recognised as such.
    """
    who = Author.of(author)
    if body.type is BodyType.HTML:
        extracted = html_to_text(body.content)
        segmentation = segment_text(
            extracted.text, cut=extracted.cut, quotes=extracted.quotes, author=who
        )
        if extracted.thread_html is None:
            return segmentation
        return replace(segmentation, thread=extracted.thread)
    text = body.content.replace("\r\n", "\n").replace("\r", "\n")
    return segment_text(text, author=who)
