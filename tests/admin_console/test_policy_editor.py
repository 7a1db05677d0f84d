"""The policy editor: the generated form, saving, validation next to fields, stale ETags,
the viewer's read-only view, YAML export and import."""

from __future__ import annotations

import io

import yaml
from markupsafe import escape
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from linters.registry import default_registry
from server import store
from server.admin import forms
from server.store import Role

THRESHOLD = "rules.large-audience.threshold"
THRESHOLD_ID = "f-rules--large-audience--threshold"


def form_data(admin, in_store, org=None, **changes) -> dict:
    """What a browser sends for the policy form as it is shown, with `changes` typed in."""
    document = in_store(lambda s, o: store.get_draft(s, o).document, org or admin.org)
    sections = forms.build_sections(default_registry(), document)
    state = forms.form_from_document(sections, document)
    data = {name: value for name, value in state.items() if value not in ("", [])}
    data |= {"csrf_token": admin.csrf(), "etag": admin.etag()}
    data |= changes
    return data


def dom(response) -> HTMLParser:
    return HTMLParser(response.get_data(as_text=True))


def draft_document(in_store, org=None):
    kwargs = {"org": org} if org else {}
    return in_store(lambda s, o: store.get_draft(s, o).document, **kwargs)


def test_the_form_has_a_section_per_rule_with_inputs_from_its_schema(owner):
    page = owner.client.get("/admin/policy")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for rule in default_registry():
        assert f'id="rule-{rule.id}"' in text
        assert str(escape(rule.summary)) in text
    assert 'href="/docs/rules/content-free-reply-all"' in text
    page_dom = dom(page)
    # integer -> number input with the schema's bounds and the default as placeholder
    threshold = page_dom.css_first(f"#{THRESHOLD_ID}").attributes
    assert threshold["type"] == "number" and threshold["name"] == THRESHOLD
    assert (threshold["placeholder"], threshold["min"], threshold["max"]) == ("25", "2", "1000000")
    # Each label names its rule for screen readers, which list fields out of context.
    label = page_dom.css_first(f'label[for="{THRESHOLD_ID}"]')
    assert label.text() == "Threshold, large-audience"
    assert label.css_first(".visually-hidden").text() == ", large-audience"
    # severity select, list of enum values as checkboxes, phrases per language
    severity = page_dom.css_first('select[name="rules.large-audience.severity"]')
    assert [o.text() for o in severity.css("option")] == [
        "Default (hint)",
        "off",
        "hint",
        "warning",
        "block",
    ]
    assert page_dom.css_first(
        'input[name="rules.content-free-reply-all.allow_kinds"][value="social"]'
    )
    assert page_dom.css_first('textarea[name="rules.content-free-reply-all.extra_phrases.de"]')
    # lists show the value in force: the [VOTE] exemption is the default
    votes = page_dom.css_first('textarea[name="rules.content-free-reply-all.exempt_subjects"]')
    assert votes.text() == "\\[VOTE\\]"
    assert page_dom.css_first('textarea[name="exemptions.senders"]')
    assert page_dom.css_first('input[name="unknown_group_size"]')
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self'
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_saving_an_untouched_form_changes_nothing(owner, in_store):
    response = owner.client.post("/admin/policy", data=form_data(owner, in_store))
    assert response.status_code == 303
    assert draft_document(in_store) == {}


def test_save_writes_only_what_was_changed(owner, in_store):
    data = form_data(
        owner,
        in_store,
        **{
            THRESHOLD: "40",
            "rules.content-free-reply-all.severity": "block",
            "rules.content-free-reply-all.extra_phrases.en": "roger that\n\nnoted with thanks\n",
            "rules.content-free-reply-all.allow_kinds": ["social", "emoji"],
            "exemptions.senders": "ceo@corp\\.example",
        },
    )
    response = owner.client.post("/admin/policy", data=data)
    assert response.status_code == 303
    assert draft_document(in_store) == {
        "rules": {
            "content-free-reply-all": {
                "severity": "block",
                "allow_kinds": ["social", "emoji"],
                "extra_phrases": {"en": ["roger that", "noted with thanks"]},
            },
            "large-audience": {"threshold": 40},
        },
        "exemptions": {"senders": ["ceo@corp\\.example"]},
    }
    page = owner.client.get("/admin/policy").get_data(as_text=True)
    assert "Saved the draft" in page
    assert 'value="40"' in page


def test_clearing_a_default_list_means_none(owner, in_store):
    data = form_data(owner, in_store, **{"rules.content-free-reply-all.exempt_subjects": ""})
    assert owner.client.post("/admin/policy", data=data).status_code == 303
    assert draft_document(in_store) == {
        "rules": {"content-free-reply-all": {"exempt_subjects": []}}
    }


def test_validation_errors_sit_next_to_their_fields_with_a_summary(owner, in_store):
    data = form_data(owner, in_store, **{THRESHOLD: "1"})
    response = owner.client.post("/admin/policy", data=data)
    assert response.status_code == 422
    page = dom(response)
    summary = page.css_first(".error-summary")
    assert summary.attributes["role"] == "alert"
    link = summary.css_first(f'a[href="#{THRESHOLD_ID}"]')  # the summary links to the input
    assert "Threshold" in link.text() and "greater than or equal to 2" in link.text()
    error = page.css_first(f"#{THRESHOLD_ID}-error")
    assert "greater than or equal to 2" in error.text()
    field = page.css_first(f"#{THRESHOLD_ID}").attributes
    assert field["aria-describedby"] == f"{THRESHOLD_ID}-hint {THRESHOLD_ID}-error"
    assert field["aria-invalid"] == "true"
    assert field["value"] == "1"  # what was typed is still there
    assert draft_document(in_store) == {}


def test_global_settings_errors_name_the_line(owner, in_store):
    data = form_data(
        owner,
        in_store,
        **{"exemptions.subjects": "fine\n(unclosed", "unknown_group_size": "many"},
    )
    response = owner.client.post("/admin/policy", data=data)
    assert response.status_code == 422
    page = dom(response)
    assert "Line 2: Invalid RE2 pattern" in page.css_first("#f-exemptions--subjects-error").text()
    assert "Not a valid integer." in page.css_first("#f-unknown_group_size-error").text()
    assert page.css_first("#f-exemptions--subjects").text() == "fine\n(unclosed"
    assert page.css_first("#f-unknown_group_size").attributes["value"] == "many"
    assert draft_document(in_store) == {}


def test_a_stale_etag_gets_412_and_keeps_the_input(owner, sign_in, in_store):
    editor = sign_in(Role.EDITOR)
    mine = form_data(owner, in_store, **{THRESHOLD: "40"})
    theirs = form_data(editor, in_store, **{THRESHOLD: "60"})
    assert editor.client.post("/admin/policy", data=theirs).status_code == 303

    response = owner.client.post("/admin/policy", data=mine)
    assert response.status_code == 412
    text = response.get_data(as_text=True)
    assert "Someone else saved the draft" in text
    assert "editor@corp.example" in text
    assert dom(response).css_first(f"#{THRESHOLD_ID}").attributes["value"] == "40"  # mine
    assert draft_document(in_store)["rules"]["large-audience"]["threshold"] == 60
    # The page offers to save over theirs with their ETag, explicitly.
    current = in_store(lambda s, o: store.get_draft(s, o).etag)
    button = dom(response).css_first('button[name="overwrite_etag"]')
    assert button.attributes["value"] == current and button.attributes["form"] == "policy-form"
    again = owner.client.post("/admin/policy", data=mine | {"overwrite_etag": current})
    assert again.status_code == 303
    assert draft_document(in_store)["rules"]["large-audience"]["threshold"] == 40


def test_a_viewer_sees_the_form_read_only(sign_in, in_store):
    viewer = sign_in(Role.VIEWER)
    text = viewer.client.get("/admin/policy").get_data(as_text=True)
    assert '<fieldset class="plain" disabled>' in text
    assert "Save draft" not in text and "Import a policy file" not in text
    assert "viewer</strong> role" in text
    data = {"csrf_token": viewer.csrf(), "etag": '"draft-0"', THRESHOLD: "40"}
    assert viewer.client.post("/admin/policy", data=data).status_code == 403
    assert draft_document(in_store) == {}


def test_export_and_import_yaml(owner, in_store):
    policy = {"rules": {"large-audience": {"threshold": 33}}}
    imported = owner.client.post(
        "/admin/policy/import",
        data={
            "csrf_token": owner.csrf(),
            "etag": owner.etag(),
            "policy_file": (io.BytesIO(yaml.safe_dump(policy).encode()), "p.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 303
    assert draft_document(in_store) == policy

    exported = owner.client.get("/admin/policy/export.yaml")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    assert yaml.safe_load(exported.data) == policy


def test_import_with_a_stale_etag_or_a_bad_file_changes_nothing(owner, in_store):
    stale = owner.client.post(
        "/admin/policy/import",
        data={
            "csrf_token": owner.csrf(),
            "etag": '"draft-99"',
            "policy_file": (io.BytesIO(b"rules: {}\n"), "p.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert stale.status_code == 412
    assert "was not imported" in stale.get_data(as_text=True)

    bad = owner.client.post(
        "/admin/policy/import",
        data={
            "csrf_token": owner.csrf(),
            "etag": owner.etag(),
            "policy_file": (io.BytesIO(b"rules:\n  large-audience: {threshold: 0}\n"), "p.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "rules.large-audience.threshold" in bad.get_data(as_text=True)
    assert draft_document(in_store) == {}


def test_forms_need_the_csrf_token(owner, in_store):
    data = form_data(owner, in_store, **{THRESHOLD: "40"})
    del data["csrf_token"]
    assert owner.client.post("/admin/policy", data=data).status_code == 403
    assert draft_document(in_store) == {}
