"""Preview, publish, history (diff and rollback), the audit log and statistics pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from server import store
from server.admin import charts
from server.store import Role

CANARY = "canary-7f3c9e zebra-umbrella"
TWENTY_ONE = ", ".join(f"p{n}@corp.example" for n in range(21))
REPLY_ALL = {
    "compose_type": "reply_all",
    "from": "Peter <peter@corp.example>",
    "to": "boss@corp.example",
    "cc": TWENTY_ONE,  # 22 people: below large-audience's default threshold of 25
    "subject": "Re: Offsite agenda",
    "body": "OK with me",
    "body_type": "text",
}


def dom(response) -> HTMLParser:
    return HTMLParser(response.get_data(as_text=True))


def set_draft(in_store, document, org=None, actor="owner@corp.example"):
    def run(session, o):
        etag = store.get_draft(session, o).etag
        store.save_draft(session, o, document, if_match=etag, actor=actor)

    in_store(run, **({"org": org} if org else {}))


def publish_draft(in_store, comment="", org=None):
    def run(session, o):
        etag = store.get_draft(session, o).etag
        return store.publish(
            session, o, if_match=etag, actor="owner@corp.example", comment=comment
        ).number

    return in_store(run, **({"org": org} if org else {}))


# --- preview -------------------------------------------------------------------------------------


def test_preview_shows_both_policies_and_what_differs(owner, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 20}}})
    response = owner.client.post("/admin/preview", data=REPLY_ALL | {"csrf_token": owner.csrf()})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = dom(response)
    differences = [li.text(separator=" ") for li in page.css(".difference")]
    assert len(differences) == 1
    assert "large-audience" in differences[0] and "appears" in differences[0]
    columns = page.css(".side-by-side > div")
    draft_rules = [e.text() for e in columns[0].css(".rule-id")]
    published_rules = [e.text() for e in columns[1].css(".rule-id")]
    assert "content-free-reply-all" in draft_rules and "content-free-reply-all" in published_rules
    assert "large-audience" in draft_rules and "large-audience" not in published_rules
    assert "built-in defaults" in columns[1].css_first("h3").text()
    # The form keeps the mail for the next try.
    assert page.css_first("#mail-body").text() == "OK with me"


def test_preview_shows_a_severity_change_and_a_finding_that_disappears(owner, in_store):
    publish_draft(in_store)
    set_draft(
        in_store,
        {
            "rules": {
                "content-free-reply-all": {"severity": "block"},
                "large-audience": {"severity": "off"},
            }
        },
    )
    mail = REPLY_ALL | {"cc": ", ".join(f"p{n}@corp.example" for n in range(40))}
    page = dom(owner.client.post("/admin/preview", data=mail | {"csrf_token": owner.csrf()}))
    differences = {li.css_first("code").text(): li.text() for li in page.css(".difference")}
    assert "warning → block" in differences["content-free-reply-all"]
    assert "disappears" in differences["large-audience"]
    assert "version 1" in page.css(".side-by-side h3")[1].text()


def test_preview_offers_a_sample(owner):
    page = dom(owner.client.get("/admin/preview?sample=reply-all"))
    assert (
        "All Staff <all-staff@corp.example> (412)" in page.css_first("#mail-cc").attributes["value"]
    )
    assert "OK with me" in page.css_first("#mail-body").text()


def test_preview_reads_an_eml_file(owner):
    eml = Path(__file__).parents[1] / "browser" / "samples" / "thanks_all.eml"
    response = owner.client.post(
        "/admin/preview",
        data={"csrf_token": owner.csrf(), "eml": (eml.open("rb"), "thanks_all.eml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = dom(response)
    assert page.css_first("#mail-to").attributes["value"]  # the form shows what was read
    assert page.css(".side-by-side .finding")


def test_preview_names_a_bad_address(owner):
    response = owner.client.post(
        "/admin/preview",
        data=REPLY_ALL
        | {"to": "a@corp.example, " + "x" * 400 + "@corp.example", "csrf_token": owner.csrf()},
    )
    assert response.status_code == 422
    page = dom(response)
    assert page.css_first("#mail-to").attributes["aria-invalid"] == "true"
    assert "Address 2" in page.css_first("#mail-to-error").text()
    assert page.css_first('.error-summary a[href="#mail-to"]')


def test_preview_stores_nothing_of_the_mail(owner, app, in_store, caplog):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 20}}})
    caplog.set_level("DEBUG")
    mail = REPLY_ALL | {"body": f"OK with me {CANARY}", "subject": CANARY}
    assert owner.client.post("/admin/preview", data=mail | {"csrf_token": owner.csrf()}).status_code
    database = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    assert CANARY.encode() not in database.read_bytes()
    assert CANARY not in caplog.text


# --- publish -------------------------------------------------------------------------------------


def test_publish_shows_the_diff_then_publishes_with_the_comment(owner, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 40}}})
    page = dom(owner.client.get("/admin/publish"))
    row = page.css_first("table.diff tbody tr")
    assert row.css_first("th").text() == "rules › large-audience › threshold"
    assert row.css_first("td.after").text().strip() == "40"
    assert row.css_first("td.before").text().strip() == "default (25)"
    etag = page.css_first('input[name="etag"]').attributes["value"]
    response = owner.client.post(
        "/admin/publish",
        data={"csrf_token": owner.csrf(), "etag": etag, "comment": "Fewer hints"},
    )
    assert response.status_code == 303
    version = in_store(lambda s, o: store.current_version(s, o))
    assert (version.number, version.comment, version.author) == (
        1,
        "Fewer hints",
        "owner@corp.example",
    )
    assert "Published version 1" in owner.client.get("/admin/history").get_data(as_text=True)


def test_publish_with_a_stale_etag_publishes_nothing(owner, in_store):
    etag = (
        dom(owner.client.get("/admin/publish")).css_first('input[name="etag"]').attributes["value"]
    )
    set_draft(
        in_store, {"rules": {"large-audience": {"threshold": 40}}}, actor="editor@corp.example"
    )
    response = owner.client.post(
        "/admin/publish", data={"csrf_token": owner.csrf(), "etag": etag, "comment": "keep me"}
    )
    assert response.status_code == 412
    page = dom(response)
    assert "nothing was published" in page.css_first(".error-summary").text()
    assert page.css_first("#comment").text() == "keep me"
    assert "threshold" in page.css_first("table.diff").text()  # the draft as it is now
    assert in_store(lambda s, o: store.current_version(s, o)) is None


def test_viewers_cannot_publish_or_roll_back(sign_in, in_store):
    publish_draft(in_store)
    viewer = sign_in(Role.VIEWER)
    assert viewer.client.get("/admin/publish").status_code == 403
    csrf = viewer.csrf()
    assert (
        viewer.client.post(
            "/admin/publish", data={"csrf_token": csrf, "etag": '"draft-1"'}
        ).status_code
        == 403
    )
    assert viewer.client.get("/admin/history/1/rollback").status_code == 403
    assert (
        viewer.client.post("/admin/history/1/rollback", data={"csrf_token": csrf}).status_code
        == 403
    )
    assert "Roll back to this version" not in viewer.client.get("/admin/history").get_data(
        as_text=True
    )


# --- history and rollback ------------------------------------------------------------------------


def test_history_lists_versions_and_diffs_any_two(owner, in_store):
    assert "Nothing has been published yet" in owner.client.get("/admin/history").get_data(
        as_text=True
    )
    for threshold in (30, 40, 50):
        set_draft(in_store, {"rules": {"large-audience": {"threshold": threshold}}})
        publish_draft(in_store, comment=f"to {threshold}")
    page = dom(owner.client.get("/admin/history"))
    rows = page.css("table.versions tbody tr")
    assert [r.css_first("th").text().split()[0] for r in rows] == ["3", "2", "1"]
    assert "to 50" in rows[0].text() and "owner@corp.example" in rows[0].text()
    # default comparison: the two newest
    assert "50" in page.css_first("table.diff td.after").text()
    compared = dom(owner.client.get("/admin/history?before=1&after=3"))
    cells = compared.css_first("table.diff tbody tr").css("td")
    assert [c.text().strip() for c in cells] == ["30", "50"]
    assert dom(owner.client.get("/admin/history?before=2&after=2")).css_first(".empty")


def test_rollback_confirms_then_publishes_a_copy(owner, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 30}}})
    publish_draft(in_store)
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 60}}})
    publish_draft(in_store)
    confirm = owner.client.get("/admin/history/1/rollback")
    assert confirm.status_code == 200
    page = dom(confirm)
    assert [c.text().strip() for c in page.css_first("table.diff tbody tr").css("td")] == [
        "60",
        "30",
    ]
    etag = page.css_first('input[name="etag"]').attributes["value"]
    response = owner.client.post(
        "/admin/history/1/rollback",
        data={"csrf_token": owner.csrf(), "etag": etag, "comment": "too quiet"},
    )
    assert response.status_code == 303
    version = in_store(lambda s, o: store.current_version(s, o))
    assert (version.number, version.restored_from, version.comment) == (3, 1, "too quiet")
    assert version.document == {"rules": {"large-audience": {"threshold": 30}}}
    assert "restores version 1" in owner.client.get("/admin/history").get_data(as_text=True)


def test_rollback_with_a_stale_etag_or_to_no_version(owner, in_store):
    publish_draft(in_store)
    response = owner.client.post(
        "/admin/history/1/rollback", data={"csrf_token": owner.csrf(), "etag": '"draft-0"'}
    )
    assert response.status_code == 412
    assert owner.client.get("/admin/history/9/rollback").status_code == 404


# --- audit log -----------------------------------------------------------------------------------


def test_the_audit_log_shows_who_what_when_and_the_change(owner, in_store):
    set_draft(in_store, {"rules": {"large-audience": {"threshold": 40}}})
    publish_draft(in_store, comment="louder")
    page = dom(owner.client.get("/admin/audit"))
    rows = page.css("table.audit > tbody > tr")
    actions = [r.css_first("td > code").text() for r in rows]
    assert actions[:2] == ["policy.publish", "policy.draft.save"]
    assert "owner@corp.example" in rows[0].text()
    assert "louder" in rows[0].text()
    assert "rules › large-audience › threshold" in rows[1].css_first("table.diff").text()


def test_the_audit_log_counts_settings_not_sections(owner, in_store):
    set_draft(
        in_store,
        {"rules": {"large-audience": {"threshold": 40, "severity": "warning"}}},
    )
    page = dom(owner.client.get("/admin/audit"))
    summary = page.css_first("table.audit > tbody > tr details > summary").text()
    assert summary == "2 settings changed"


def test_the_audit_log_pages_with_before_id(owner, in_store, monkeypatch):
    from server.admin import pages

    monkeypatch.setattr(pages, "AUDIT_PAGE_SIZE", 2)
    for threshold in (30, 40, 50):
        set_draft(in_store, {"rules": {"large-audience": {"threshold": threshold}}})
    first = dom(owner.client.get("/admin/audit"))
    assert len(first.css("table.audit > tbody > tr")) == 2
    older = first.css_first('a[rel="next"]').attributes["href"]
    second = dom(owner.client.get(older))
    ids = {r.attributes["id"] for r in first.css("table.audit > tbody > tr")}
    assert not ids & {r.attributes["id"] for r in second.css("table.audit > tbody > tr")}
    assert owner.client.get("/admin/audit?before_id=1").status_code == 200


# --- statistics ----------------------------------------------------------------------------------


def seed_counters(in_store, org=None):
    today = datetime.now(UTC).date()

    def run(session, o):
        store.record_events(
            session,
            o,
            [
                (today, "content-free-reply-all", "warning", "shown", 7),
                (today - timedelta(days=1), "content-free-reply-all", "warning", "shown", 3),
                (today - timedelta(days=1), "large-audience", "hint", "shown", 2),
                (today, "content-free-reply-all", "warning", "changed_recipients", 4),
                (today, "content-free-reply-all", "warning", "sent_anyway", 1),
                (today - timedelta(days=90), "missing-attachment", "warning", "shown", 5),
            ],
        )

    in_store(run, **({"org": org} if org else {}))


def test_statistics_empty_state(owner):
    page = dom(owner.client.get("/admin/stats"))
    assert len(page.css(".empty")) == 2
    assert not page.css("svg.chart")


def test_statistics_charts_and_tables(owner, in_store):
    seed_counters(in_store)
    response = owner.client.get("/admin/stats")
    assert response.status_code == 200
    page = dom(response)
    chart = page.css_first("svg.chart")
    assert chart.attributes["role"] == "img" and chart.css_first("title").text()
    assert len(chart.css("rect")) == 3  # two days; the 90-day-old count is outside the range
    legend = [li.text(separator=" ").split() for li in page.css(".legend")[0].css("li")]
    assert legend == [["content-free-reply-all", "10"], ["large-audience", "2"]]
    table = page.css("table.numbers")[0]
    assert table.css_first("tfoot").text(separator=" ").split() == ["Total", "10", "2", "12"]
    outcome_rows = page.css("table.numbers")[1].css("tbody tr")
    cells = [c.text(separator=" ").split() for c in outcome_rows[0].css("td")]
    assert outcome_rows[0].css_first("th").text() == "content-free-reply-all"
    assert cells[0] == ["10"] and cells[1] == ["4", "(40%)"] and cells[3] == ["1", "(10%)"]


def test_statistics_date_range(owner, in_store):
    seed_counters(in_store)
    long_ago = (datetime.now(UTC).date() - timedelta(days=95)).isoformat()
    page = dom(owner.client.get(f"/admin/stats?start={long_ago}"))
    assert "missing-attachment" in page.css_first(".legend").text()
    bad = owner.client.get("/admin/stats?start=yesterday")
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in dom(bad).css_first(".error-summary").text()
    backwards = owner.client.get("/admin/stats?start=2026-05-02&end=2026-05-01")
    assert backwards.status_code == 400


def test_daily_chart_geometry():
    start = date(2026, 1, 1)
    chart = charts.daily_chart(
        [(start, "a", 3), (start, "b", 1), (start + timedelta(days=1), "a", 5)],
        start,
        start + timedelta(days=1),
    )
    assert chart.rules == ["a", "b"] and chart.totals == [8, 1]
    assert [t.label for t in chart.y_ticks] == ["0", "3", "5"] or chart.y_ticks[-1].label == "5"
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.y == charts.TOP  # the biggest day reaches the top of the plot
