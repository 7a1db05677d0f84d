"""The rule docs (`docs/rules/<id>.md`) as HTML, for the pages that link a finding to its rule.

Rendered with markdown-it-py's "js-default" preset: CommonMark plus tables, with raw HTML turned
off (it is escaped, never passed through) and links limited to safe schemes, so a docs page can
carry no script. Links between rule pages (`large-audience.md`) are pointed at their HTML pages.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs" / "rules"
RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SIBLING_PAGE = re.compile(r"^(?:\./)?(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\.md(?P<anchor>#[\w-]*)?$")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default")

    def link_open(renderer, tokens, idx, options, env):
        href = str(tokens[idx].attrGet("href") or "")
        sibling = _SIBLING_PAGE.match(href)
        if sibling:
            tokens[idx].attrSet("href", f"{sibling['id']}{sibling['anchor'] or ''}")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


_MD = _markdown()


def rule_doc(rule_id: str, docs_dir: Path = DOCS_DIR) -> tuple[str, str] | None:
    """(title, HTML) of a rule's docs page, or None when there is none (or the id is not one)."""
    if not RULE_ID.fullmatch(rule_id):
        return None
    return _render(docs_dir / f"{rule_id}.md")


@cache
def _render(path: Path) -> tuple[str, str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    title = first.lstrip("#").strip() or path.stem
    return title, render_markdown(text)


def render_markdown(text: str) -> str:
    return _MD.render(text)
