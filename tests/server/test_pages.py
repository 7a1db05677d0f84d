"""The rule docs pages: Markdown from docs/rules/ as HTML, with nothing executable in it."""

import pytest

from server.docs_pages import render_markdown, rule_doc


def test_a_rule_page_renders_its_markdown(client):
    response = client.get("/docs/rules/content-free-reply-all")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>content-free-reply-all</h1>" in html
    assert "<table>" in html and "<code>min_audience</code>" in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("rule_id", ["no-such-rule", "..%2F..%2Fpyproject", "Content-Free"])
def test_an_unknown_rule_page_is_a_404_problem(client, rule_id):
    response = client.get(f"/docs/rules/{rule_id}")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_the_rules_index_lists_the_registry(client):
    html = client.get("/docs/rules/").get_data(as_text=True)

    assert "test-says-word" in html  # the test registry's one rule; it has no docs page
    assert 'href="/docs/rules/test-says-word"' not in html


def test_markdown_can_carry_no_html_or_script_links():
    html = render_markdown(
        '<script>alert(1)</script> <img src=x onerror="y"> [a](javascript:alert(1)) [b](x.md)'
    )

    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="x">b</a>' in html  # a sibling rule page, pointed at its HTML page


def test_rule_doc_refuses_ids_that_are_not_ids():
    assert rule_doc("../../pyproject") is None
    assert rule_doc("content-free-reply-all") is not None
