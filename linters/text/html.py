"""HTML to plain text with selectolax (lexbor). Placeholder until the full extractor lands."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser


def html_to_text(html: str) -> tuple[str, int | None]:
    """Return the visible text and the offset where quoted content starts (None if none)."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return "", None
    return root.text(separator="\n"), None
