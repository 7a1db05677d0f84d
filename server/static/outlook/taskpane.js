/* The draftlint task pane: the draft's findings while it is written, with one-click fixes.
 *
 * Reading and linting the draft is launchevent.js's (`draftlint`), shared with the send handler.
 * This file decides when to lint and shows the result:
 * - on open, on RecipientsChanged and AttachmentsChanged, and while the person types, by reading
 *   the draft every 1.5 s while the pane is visible; a request goes out only when the draft
 *   changed since the last one, and never more often than every 1.5 s;
 * - a finding shows its severity, message, excerpt, a collapsed explanation and its fixes;
 *   `reply-to-sender-only` (any fix with `set`) replaces to/cc/bcc through Office.js;
 * - the server unreachable or refusing: a quiet status line, nothing in the person's way; the
 *   same when Office.js or the server does not answer at all within STUCK_MS;
 * - outcomes (shown, changed_recipients, edited, dismissed) go to /v1/events as counts.
 * Text from the draft or the report is only ever set with textContent.
 */
(function () {
  "use strict";

  var POLL_MS = 1500;
  var RETRY_MS = 15000;  // after a failed lint, try the same draft again this much later
  var STUCK_MS = 5000;  // no answer by then (Office.js or the server): say so, and that mail goes
  var STUCK_TEXT = "draftlint is not answering right now. You can keep writing and send as usual.";
  var TOKEN_TTL_MS = 5 * 60 * 1000;
  var SEVERITY_LABELS = { block: "Block", warning: "Warning", hint: "Hint" };
  var RECIPIENT_FIELDS = ["to", "cc", "bcc"];

  var state = {
    lastKey: null,  // the draft (as JSON) last sent to the server
    lastSent: -Infinity,  // when it was sent
    failedAt: null,  // when the last lint failed, if it did
    timer: null,  // the scheduled check
    busy: false,  // a check is reading or linting
    again: false,  // something changed while it was
    recipientsChanged: false,  // since the last report (a fix, or the person)
    token: null,
    tokenAt: -Infinity,
    settled: 0,  // checks that came to an end (an answer, an error): the watchdog's clock
    active: {},  // rule -> severity of the findings on screen
    dismissed: {}  // rule -> true: hidden for the rest of this compose session
  };

  function $(id) {
    return document.getElementById(id);
  }

  function now() {
    return performance.now();
  }

  function visible() {
    return document.visibilityState === "visible";
  }

  function setStatus(text, quiet) {
    var status = $("status");
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("quiet", Boolean(quiet));
  }

  /* Unless a check comes to an end within `ms`, tell the person, who may be waiting on us. */
  function watch(ms) {
    var settled = state.settled;
    setTimeout(function () {
      if (state.settled === settled) {
        setStatus(STUCK_TEXT, true);
      }
    }, ms);
  }

  function token() {
    if (now() - state.tokenAt < TOKEN_TTL_MS) {
      return Promise.resolve(state.token);
    }
    return draftlint.getToken(true).then(function (found) {
      state.token = found;
      state.tokenAt = now();
      return found;
    });
  }

  /* A check as soon as the 1.5 s since the last request allow; repeated calls coalesce. */
  function schedule() {
    if (state.timer !== null || !visible()) {
      return;
    }
    var wait = Math.max(0, state.lastSent + POLL_MS - now());
    state.timer = setTimeout(function () {
      state.timer = null;
      check();
    }, wait);
  }

  function retryDue() {
    return state.failedAt !== null && now() - state.failedAt >= RETRY_MS;
  }

  function check() {
    if (!visible()) {
      return;
    }
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    watch(STUCK_MS);
    draftlint.readDraft().then(function (draft) {
      var key = JSON.stringify(draft);
      if (key === state.lastKey && !retryDue()) {
        return null;
      }
      state.lastKey = key;
      state.lastSent = now();
      return token().then(function (found) {
        return draftlint.lint(draft, found);
      }).then(show, unavailable);
    }).then(null, function () {
      setStatus("draftlint cannot read this draft right now.", true);
    }).then(function () {
      state.busy = false;
      state.settled += 1;
      if (state.again) {
        state.again = false;
        schedule();
      }
    });
  }

  function unavailable(error) {
    state.failedAt = now();
    if (error && error.status === 401) {
      state.tokenAt = -Infinity;  // ask for a fresh token next time
      setStatus("draftlint could not sign you in. You can keep writing and send as usual.", true);
      return;
    }
    setStatus("draftlint is unavailable right now. You can keep writing and send as usual.", true);
  }

  // --- outcomes ---------------------------------------------------------------------------

  function report(findings, outcome) {
    draftlint.reportOutcomes(findings, outcome, state.token);
  }

  /* Counts what appeared (shown) and what went away since the last report: after the
   * recipients changed that is `changed_recipients`, otherwise the person edited the text. */
  function countOutcomes(findings) {
    var current = {};
    findings.forEach(function (finding) {
      current[finding.rule] = finding;
    });
    var appeared = findings.filter(function (finding) {
      return !(finding.rule in state.active);
    });
    var gone = Object.keys(state.active).filter(function (rule) {
      return !(rule in current);
    }).map(function (rule) {
      return { rule: rule, severity: state.active[rule] };
    });
    report(appeared, "shown");
    report(gone, state.recipientsChanged ? "changed_recipients" : "edited");
    state.active = {};
    findings.forEach(function (finding) {
      state.active[finding.rule] = finding.severity;
    });
    state.recipientsChanged = false;
  }

  // --- showing a report -------------------------------------------------------------------

  function show(result) {
    state.failedAt = null;
    showPolicyNote(result.policy);
    var findings = (result.findings || []).filter(function (finding) {
      return !state.dismissed[finding.rule];
    });
    countOutcomes(findings);
    render(findings);
  }

  /* While the organisation's policy cannot be read the server lints under the last one it knew,
   * or the defaults, and says so (`policy.fallback`): so does the pane, in the server's words
   * (the note's data attributes). */
  function showPolicyNote(policy) {
    var note = $("policy-note");
    var fallback = policy && policy.fallback;
    var text = (fallback && Object.prototype.hasOwnProperty.call(note.dataset, camel(fallback)) &&
      note.dataset[camel(fallback)]) || "";
    note.textContent = text;
    note.hidden = !text;
  }

  function camel(name) {  // "last-known" -> "lastKnown", as `dataset` spells data-last-known
    return name.replace(/-([a-z])/g, function (_, letter) {
      return letter.toUpperCase();
    });
  }

  function render(findings) {
    var list = $("findings");
    list.replaceChildren.apply(list, findings.map(card));
    $("clean").hidden = findings.length > 0;
    if (!findings.length) {
      setStatus("", false);
      return;
    }
    setStatus(findings.length === 1 ? "1 thing to check" : findings.length + " things to check");
  }

  function card(finding) {
    var node = $("finding-template").content.firstElementChild.cloneNode(true);
    var severity = node.querySelector(".severity");
    severity.textContent = SEVERITY_LABELS[finding.severity] || finding.severity;
    node.classList.add("severity-" + (SEVERITY_LABELS[finding.severity] ? finding.severity : "hint"));
    node.dataset.rule = finding.rule;
    node.querySelector(".message").textContent = finding.message;
    if (finding.excerpt) {
      var excerpt = node.querySelector(".excerpt");
      excerpt.textContent = finding.excerpt;
      excerpt.hidden = false;
    }
    if (finding.explanation) {
      node.querySelector(".explanation").textContent = finding.explanation;
      node.querySelector(".why").hidden = false;
    }
    var fixes = node.querySelector(".fixes");
    (finding.fixes || []).forEach(function (fix) {
      if (!fix.set) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "fix";
      button.textContent = fix.title;
      button.addEventListener("click", function () {
        applyFix(fix, fixes);
      });
      fixes.appendChild(button);
    });
    var dismiss = node.querySelector(".dismiss");
    dismiss.setAttribute("aria-label", "Dismiss: " + finding.message);
    dismiss.addEventListener("click", function () {
      dismissFinding(finding);
    });
    return node;
  }

  function dismissFinding(finding) {
    state.dismissed[finding.rule] = true;
    delete state.active[finding.rule];
    report([finding], "dismissed");
    var remaining = Array.prototype.filter.call($("findings").children, function (node) {
      return node.dataset.rule !== finding.rule;
    });
    $("findings").replaceChildren.apply($("findings"), remaining);
    $("clean").hidden = remaining.length > 0;
    if (!remaining.length) {
      setStatus("", false);
    }
  }

  function asOfficeRecipients(list) {
    return (list || []).map(function (recipient) {
      return { emailAddress: recipient.email, displayName: recipient.name || recipient.email };
    });
  }

  function applyFix(fix, buttons) {
    var item = Office.context.mailbox.item;
    var fields = RECIPIENT_FIELDS.filter(function (field) {
      return Object.prototype.hasOwnProperty.call(fix.set, field);
    });
    Array.prototype.forEach.call(buttons.children, function (button) {
      button.disabled = true;
    });
    Promise.all(fields.map(function (field) {
      return draftlint.officeCall(item[field], "setAsync", [asOfficeRecipients(fix.set[field])]);
    })).then(function () {
      state.recipientsChanged = true;
      schedule();
    }, function () {
      setStatus("Outlook did not accept the change. Edit the recipients yourself.", true);
      Array.prototype.forEach.call(buttons.children, function (button) {
        button.disabled = false;
      });
    });
  }

  // --- start ------------------------------------------------------------------------------

  function onRecipientsChanged() {
    state.recipientsChanged = true;
    schedule();
  }

  watch(STUCK_MS);  // Office.js may never load, or never call onReady
  if (typeof Office === "undefined") {
    return;
  }
  Office.onReady(function () {
    var item = Office.context.mailbox.item;
    item.addHandlerAsync(Office.EventType.RecipientsChanged, onRecipientsChanged);
    item.addHandlerAsync(Office.EventType.AttachmentsChanged, schedule);
    document.addEventListener("visibilitychange", schedule);
    setInterval(schedule, POLL_MS);
    check();
  });
})();
