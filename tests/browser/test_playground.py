"""What a newcomer sees and does at `/`: the sample already linted, editing the e-mail, opening an
.eml, the segmented body, keyboard-only use. Assertions are on visible text and roles."""

from __future__ import annotations

import json
import re
import struct

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

CONTENT_FREE = "content-free-reply-all"
FINDINGS_TIMEOUT_MS = 2_500  # lint-as-you-type waits 400 ms, then one round trip


def findings(page):
    return page.get_by_role("region", name="Findings").get_by_role("listitem")


def finding(page, rule: str):
    return findings(page).filter(has=page.get_by_role("link", name=rule, exact=True))


def status(page):
    return page.get_by_role("status")


def reads(page, block: str):
    """A block of the "What draftlint reads" view, by its label: Body, Quote, Sign-off, ..."""
    return page.get_by_role("region", name=re.compile(rf"^{block}\b"))


def test_the_page_opens_with_the_sample_reply_all_linted(page):
    expect(page.get_by_role("heading", level=1)).to_contain_text("reply-all that says nothing")
    expect(status(page)).to_have_text("2 findings. This draft reaches 414 people.")

    content_free = finding(page, CONTENT_FREE)
    expect(content_free).to_contain_text("Warning")
    expect(content_free.get_by_role("heading", level=3)).to_have_text(
        'Your reply to all 414 recipients only says "OK with me".'
    )
    expect(content_free).to_contain_text("Only Maria Boss needs this.")
    expect(content_free).to_contain_text("In your text: OK with me.")
    expect(content_free).to_contain_text("Why it fired")
    clauses = content_free.locator("table.clauses")
    expect(clauses).to_contain_text("“OK with me”stance (agreement)")
    expect(content_free).to_contain_text("Suggested fix: Reply to Maria Boss only")
    expect(finding(page, "large-audience")).to_contain_text("Hint")
    expect(finding(page, "large-audience")).to_contain_text("all-staff@corp.example (412 members)")

    # The form shows the sample as an e-mail, groups with their member counts.
    expect(page.get_by_label("Type")).to_have_value("reply_all")
    expect(page.get_by_label("To", exact=True)).to_have_value("Maria Boss <boss@corp.example>")
    expect(page.get_by_label("Cc", exact=True)).to_have_value(
        "Anna Lee <anna@corp.example>, All Staff <all-staff@corp.example> (412)"
    )
    expect(page.get_by_label("Subject")).to_have_value("Re: Offsite agenda")
    expect(page.get_by_label("Plain text")).to_be_checked()


def test_a_rule_id_links_to_its_docs_page(page):
    finding(page, CONTENT_FREE).get_by_role("link", name=CONTENT_FREE).click()

    expect(page).to_have_url(re.compile(r"/docs/rules/content-free-reply-all$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CONTENT_FREE)
    expect(page.get_by_role("heading", name="What it flags")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("min_audience")


def test_typing_a_substantive_sentence_clears_the_content_free_finding(page):
    expect(finding(page, CONTENT_FREE)).to_have_count(1)
    body = page.get_by_label("Message", exact=True)
    body.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.type(" Room 4.12 is booked for all 40 of us, and lunch is at 12:30.")

    expect(finding(page, CONTENT_FREE)).to_have_count(0, timeout=FINDINGS_TIMEOUT_MS)
    expect(status(page)).to_have_text("1 finding. This draft reaches 414 people.")
    expect(reads(page, "Body")).to_contain_text("lunch is at 12:30")


def test_applying_the_fix_replies_to_the_sender_only(page):
    page.get_by_role("button", name="Apply: Reply to Maria Boss only").click()

    expect(page.get_by_label("To", exact=True)).to_have_value("Maria Boss <boss@corp.example>")
    expect(page.get_by_label("Cc", exact=True)).to_have_value("")
    expect(status(page)).to_have_text("No findings. This draft reaches 1 person.")


def test_replying_to_is_editable_and_the_fix_follows_it(page):
    expect(page.get_by_label("Replying to")).to_have_value("Maria Boss <boss@corp.example>")
    page.get_by_label("To", exact=True).fill("Jane Doe <jane@corp.example>")
    page.get_by_label("Replying to").fill("Jane Doe <jane@corp.example>")
    content_free = finding(page, CONTENT_FREE)
    expect(content_free).to_contain_text("Suggested fix: Reply to Jane Doe only")

    # Emptied, the first To address stands in for the sender, as mail clients put them there.
    page.get_by_label("Replying to").fill("")
    page.get_by_label("To", exact=True).fill("Omar Ali <omar@corp.example>")
    expect(content_free).to_contain_text("Suggested fix: Reply to Omar Ali only")
    draft = json.loads(page.get_by_label("Draft JSON").input_value())
    assert "from" not in draft.get("in_reply_to", {})


def test_recipients_typed_as_groups_count_their_members(page):
    cc = page.get_by_label("Cc", exact=True)
    cc.fill("")
    cc.press_sequentially("Design <design@corp.example> (30), ops@corp.example (group)")

    # Maria, 30 designers and a group of unknown size, counted as 10 by default.
    expect(status(page)).to_contain_text("This draft reaches 41 people.")
    page.get_by_text("Advanced: Draft JSON").click()
    draft_json = page.get_by_label("Draft JSON")
    expect(draft_json).to_have_value(re.compile(r'"member_count": 30'))
    expect(draft_json).to_have_value(re.compile(r'"email": "ops@corp.example",\s+"type": "group"'))


def test_the_draft_json_and_the_form_follow_each_other(page):
    page.get_by_text("Advanced: Draft JSON").click()
    draft_json = page.get_by_label("Draft JSON")

    page.get_by_label("Subject").fill("Re: Offsite agenda [VOTE]")
    expect(draft_json).to_have_value(re.compile(r'"subject": "Re: Offsite agenda \[VOTE\]"'))
    expect(finding(page, CONTENT_FREE)).to_have_count(0, timeout=FINDINGS_TIMEOUT_MS)

    text = draft_json.input_value().replace('"compose_type": "reply_all"', '"compose_type": "new"')
    draft_json.fill(text.replace("[VOTE]", ""))
    expect(page.get_by_label("Type")).to_have_value("new")
    expect(page.get_by_label("Subject")).to_have_value("Re: Offsite agenda ")

    draft_json.fill("{ not json")
    expect(page.get_by_text("Not valid JSON yet")).to_be_visible()
    expect(draft_json).to_have_attribute("aria-invalid", "true")


def test_choosing_an_eml_fills_the_form_and_lints_it(page, eml_sample):
    page.get_by_label("Open .eml file…").set_input_files(eml_sample)

    expect(page.get_by_label("Subject")).to_have_value("Re: Q3 planning: draft roadmap")
    expect(page.get_by_label("From")).to_have_value("Jonas Weber <jonas@corp.example>")
    expect(page.get_by_label("To", exact=True)).to_have_value("Priya Raman <priya@corp.example>")
    expect(page.get_by_label("Cc", exact=True)).to_have_value(re.compile("Tom Okafor <tom@corp"))
    expect(page.get_by_label("Type")).to_have_value("reply_all")
    expect(page.get_by_label("Message", exact=True)).to_have_value(re.compile(r"^Thanks all!"))
    expect(finding(page, CONTENT_FREE)).to_contain_text("only says")
    expect(status(page)).to_contain_text("This draft reaches 4 people.")
    expect(reads(page, "Quote")).to_contain_text("The draft roadmap for Q3")


def test_dropping_an_eml_opens_it(page, eml_sample):
    transfer = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "thanks_all.eml", {type: "message/rfc822"}));
            return transfer;
        }""",
        eml_sample.read_text(encoding="utf-8"),
    )
    form = page.get_by_role("region", name="Draft")
    form.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(page.get_by_text("Drop the .eml file to open it")).to_be_visible()
    form.dispatch_event("drop", {"dataTransfer": transfer})

    expect(page.get_by_label("Subject")).to_have_value("Re: Q3 planning: draft roadmap")
    expect(page.get_by_text("Drop the .eml file to open it")).to_be_hidden()
    expect(finding(page, CONTENT_FREE)).to_have_count(1)


def test_a_file_that_is_not_mail_is_refused_with_a_message(page, tmp_path):
    junk = tmp_path / "notes.eml"
    junk.write_bytes(b"\x00\x01 just some bytes, no headers")
    page.get_by_label("Open .eml file…").set_input_files(junk)

    expect(status(page)).to_contain_text("Could not open notes.eml: This is not an e-mail")
    expect(page.get_by_label("Subject")).to_have_value("Re: Offsite agenda")  # draft kept


def test_the_new_text_view_tells_the_blocks_apart_and_marks_the_quote(page):
    expect(reads(page, "Greeting")).to_contain_text("Hi Maria,")
    expect(reads(page, "Body")).to_contain_text("OK with me.")
    expect(reads(page, "Body")).to_contain_text("judged")
    expect(reads(page, "Sign-off")).to_contain_text("Thanks,")
    expect(reads(page, "Signature")).to_contain_text("Facilities Manager")
    quote = reads(page, "Quote")
    expect(quote).to_contain_text("set aside")
    expect(quote).to_contain_text("Here is the agenda for the offsite")
    # The words the finding points at are highlighted in the body, not in the quote.
    expect(reads(page, "Body").locator("mark")).to_have_text("OK with me.")


def test_keyboard_only_reaches_the_lint_controls(page):
    expect(status(page)).to_contain_text("2 findings")
    reached = []
    for _ in range(25):
        page.keyboard.press("Tab")
        name = page.evaluate(
            """() => {
                const el = document.activeElement;
                const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
                return (el.getAttribute("aria-label") || label || el.textContent).trim();
            }"""
        )
        reached.append(name)
        if name == "Lint":
            break
    assert reached[0] == "Skip to content"
    assert "Open .eml file…" in reached
    assert {"To", "Cc", "Subject", "Message"} <= set(reached)
    assert reached[-1] == "Lint", reached

    page.keyboard.press("Shift+Tab")  # back to the body: type, then lint with the keyboard
    page.keyboard.press("Control+Home")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.type(" Can we move it to Thursday?")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(finding(page, CONTENT_FREE)).to_have_count(0, timeout=FINDINGS_TIMEOUT_MS)

    page.keyboard.press("Tab")  # on to the Draft JSON, opened with the keyboard
    page.keyboard.press("Enter")
    expect(page.get_by_label("Draft JSON")).to_be_visible()


def test_a_screenshot_of_the_page(page, tmp_path):
    expect(findings(page)).to_have_count(2)
    path = tmp_path / "playground.png"
    page.screenshot(path=str(path), full_page=True)

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height >= 900
    assert len(data) > 50_000  # a rendered page, not a blank one
