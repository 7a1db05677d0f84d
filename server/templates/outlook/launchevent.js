/* draftlint for Outlook: reads the draft being composed, lints it, and decides on send.
 *
 * One classic script with no imports: classic Outlook on Windows runs it alone in its
 * JavaScript-only runtime, the event runtime page (commands.html) loads it in a browser runtime,
 * and the task pane loads it before taskpane.js, so the draft is built and linted by this code
 * everywhere. Served by Flask (server/outlook/routes.py), which renders this deployment's
 * settings into the first statement: the JavaScript-only runtime has no page to read them from.
 *
 * Fail open: whatever goes wrong here (no token, the server down, slow or answering an error),
 * the person can send their mail. Nothing of the draft is logged.
 */
var DRAFTLINT_CONFIG = {{ config|tojson }};

var draftlint = (function () {
  "use strict";

  var config = DRAFTLINT_CONFIG;
  // The send handler's whole budget: reading the draft, the token and the lint request.
  var SEND_BUDGET_MS = 3000;
  var LOUD = { warning: true, block: true };  // severities that stop a send; hints never do
  // Office's recipientType -> the Draft's recipient type (user, other -> user).
  var RECIPIENT_TYPES = { distributionList: "group", externalUser: "external" };
  // Outlook's compose type -> the Draft's; Outlook's "reply" covers reply-all too (DESIGN.md).
  var COMPOSE_TYPES = { newMail: "new", reply: "reply", forward: "forward" };
  // Smart Alerts limits (Office.SmartAlertsEventCompletedOptions): messages 500, label 20.
  var ALERT_MAX = 500;
  var CANCEL_LABEL = "Review in draftlint";
  var NOTIFICATION_KEY = "draftlint";
  var NOTIFICATION_MAX = 150;  // item.notificationMessages: message length limit
  var NOTIFICATION_ICON = "Icon.16x16";  // a bt:Image id of the manifest
  var MAX_NAME = 1000;  // the Draft schema's limits (linters/schema.py)
  var MAX_SUBJECT = 10000;

  /* An Office.js callback API as a promise of its value; a missing method gives `undefined`
   * (older clients lack some), a failed call rejects. */
  function officeCall(target, method, args) {
    return new Promise(function (resolve, reject) {
      if (!target || typeof target[method] !== "function") {
        resolve(undefined);
        return;
      }
      target[method].apply(target, (args || []).concat([function (result) {
        if (result.status === Office.AsyncResultStatus.Failed) {
          reject(new Error(method + " failed"));
        } else {
          resolve(result.value);
        }
      }]));
    });
  }

  function optional(promise) {
    return promise.then(null, function () { return undefined; });
  }

  function clip(text, max) {
    text = String(text || "");
    return text.length <= max ? text : text.slice(0, max - 1) + "\u2026";
  }

  function address(detail) {
    var found = { email: detail.emailAddress };
    if (detail.displayName && detail.displayName !== detail.emailAddress) {
      found.name = clip(detail.displayName, MAX_NAME);
    }
    return found;
  }

  function recipients(details) {
    return (details || []).filter(function (detail) {
      return detail && detail.emailAddress;
    }).map(function (detail) {
      var recipient = address(detail);
      recipient.type = RECIPIENT_TYPES[detail.recipientType] || "user";
      return recipient;
    });
  }

  function attachments(details) {
    return (details || []).map(function (detail) {
      return {
        name: clip(detail.name, MAX_NAME),
        size: typeof detail.size === "number" ? detail.size : null,
        inline: Boolean(detail.isInline)
      };
    });
  }

  /* The Draft JSON of DESIGN.md for the item being composed. */
  function readDraft() {
    var mailbox = Office.context.mailbox;
    var item = mailbox.item;
    return Promise.all([
      officeCall(item.body, "getAsync", [Office.CoercionType.Html]),
      officeCall(item.to, "getAsync"),
      officeCall(item.cc, "getAsync"),
      officeCall(item.bcc, "getAsync"),
      optional(officeCall(item.subject, "getAsync")),
      optional(officeCall(item.from, "getAsync")),
      optional(officeCall(item, "getComposeTypeAsync")),
      optional(officeCall(item, "getAttachmentsAsync"))
    ]).then(function (values) {
      var inReplyTo = typeof item.inReplyTo === "string" ? item.inReplyTo : "";
      var composeType = values[6] && COMPOSE_TYPES[values[6].composeType];
      var sender = values[5] || mailbox.userProfile;
      var draft = {
        client: "outlook",
        compose_type: composeType || (inReplyTo ? "reply" : "new"),
        subject: clip(values[4], MAX_SUBJECT),
        to: recipients(values[1]),
        cc: recipients(values[2]),
        bcc: recipients(values[3]),
        body: { content: values[0] || "", type: "html" },
        attachments: attachments(values[7])
      };
      if (sender && sender.emailAddress) {
        draft.from = address(sender);
      }
      if (inReplyTo) {
        draft.in_reply_to = { message_id: clip(inReplyTo, MAX_NAME) };
      }
      if (typeof item.conversationId === "string" && item.conversationId) {
        draft.thread_id = clip(item.conversationId, MAX_NAME);
      }
      if (Office.context.displayLanguage) {
        draft.locale = Office.context.displayLanguage;
      }
      return draft;
    });
  }

  // --- the token for our API --------------------------------------------------------------

  var nestedApp = null;

  function nestedAppAuthSupported() {
    return Boolean(config.clientId && config.apiScope) &&
      typeof msal !== "undefined" &&
      typeof msal.createNestablePublicClientApplication === "function" &&
      Office.context.requirements.isSetSupported("NestedAppAuth", "1.1");
  }

  function nestedAppToken(interactive) {
    if (!nestedApp) {
      nestedApp = msal.createNestablePublicClientApplication({
        auth: { clientId: config.clientId, authority: "https://login.microsoftonline.com/common" }
      });
    }
    var request = { scopes: [config.apiScope] };
    return nestedApp.then(function (app) {
      return app.acquireTokenSilent(request).then(null, function (error) {
        if (!interactive) {
          throw error;
        }
        return app.acquireTokenPopup(request);
      });
    }).then(function (result) {
      return result.accessToken;
    });
  }

  function officeToken(interactive) {
    if (!Office.auth || typeof Office.auth.getAccessToken !== "function") {
      return Promise.resolve(null);
    }
    return Office.auth.getAccessToken({
      allowSignInPrompt: interactive,
      allowConsentPrompt: interactive,
      forMSGraphAccess: false
    });
  }

  /* An access token for our API, or null when none can be had (a dev server needs none; a
   * production server answers 401 and the caller fails open). `interactive` lets the host
   * prompt for sign-in or consent: the task pane may, the event handlers may not. */
  function getToken(interactive) {
    var attempt = nestedAppAuthSupported()
      ? nestedAppToken(interactive).then(null, function () { return officeToken(interactive); })
      : officeToken(interactive);
    return attempt.then(function (token) {
      return token || null;
    }, function () {
      return null;
    });
  }

  // --- the API ----------------------------------------------------------------------------

  function post(path, body, token, options) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) {
      headers.Authorization = "Bearer " + token;
    }
    var init = { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "omit" };
    if (options && options.signal) {
      init.signal = options.signal;
    }
    if (options && options.keepalive) {
      init.keepalive = true;
    }
    return fetch(config.apiBase + path, init).then(function (response) {
      if (!response.ok) {
        var error = new Error("draftlint answered " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  function lint(draft, token, signal) {
    return post("/v1/lint", draft, token, { signal: signal });
  }

  /* Reports outcomes as counts (rule, severity, outcome); best effort, never awaited. */
  function reportOutcomes(findings, outcome, token) {
    var events = findings.map(function (finding) {
      return { rule: finding.rule, severity: finding.severity, outcome: outcome };
    });
    if (!events.length) {
      return;
    }
    post("/v1/events", { events: events }, token, { keepalive: true }).then(null, function () {});
  }

  /* `work(signal)` with a hard budget: past it, the request is aborted and the promise
   * rejects, whatever `work` is waiting for. */
  function withBudget(ms, work) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    var timeout = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        if (controller) {
          controller.abort();
        }
        reject(new Error("draftlint took longer than " + ms + " ms"));
      }, ms);
    });
    var done = function () { clearTimeout(timer); };
    var working = new Promise(function (resolve) {  // a synchronous throw becomes a rejection
      resolve(work(controller ? controller.signal : undefined));
    });
    var race = Promise.race([working, timeout]);
    race.then(done, done);
    return race;
  }

  // --- Smart Alerts -----------------------------------------------------------------------

  function loudFindings(report) {
    if (!report || !Array.isArray(report.findings)) {
      throw new Error("not a draftlint report");
    }
    var loud = report.findings.filter(function (finding) {
      return finding && LOUD[finding.severity] === true;
    });
    loud.forEach(function (finding) {
      if (typeof finding.message !== "string") {
        throw new Error("a finding without a message");
      }
    });
    return loud;
  }

  function escapeMarkdown(text) {
    return text.replace(/([\\`*_{}\[\]()#+\-.!|>~<])/g, "\\$1");
  }

  function plainAlert(findings, button) {
    var intro = findings.length === 1
      ? "draftlint: "
      : "draftlint found " + findings.length + " things to check: ";
    var outro = button
      ? " Select " + CANCEL_LABEL + " to fix it, or send anyway."
      : " Fix it, or send anyway.";
    var room = ALERT_MAX - intro.length - outro.length;
    var text = findings.map(function (finding) { return finding.message; }).join(" ");
    return intro + clip(text, room) + outro;
  }

  function markdownAlert(findings) {
    var head = "**draftlint: check this message before sending**\n\n";
    var tail = "\n\nSelect **" + CANCEL_LABEL + "** to fix it, or send anyway.";
    var lines = findings.map(function (finding) {
      return "- " + escapeMarkdown(clip(finding.message, 200));
    });
    var kept = lines.slice();
    var more = function (n) { return n ? "\n- and " + n + " more" : ""; };
    while (kept.length > 1 &&
      (head + kept.join("\n") + more(lines.length - kept.length) + tail).length > ALERT_MAX) {
      kept.pop();
    }
    return clip(head + kept.join("\n") + more(lines.length - kept.length) + tail, ALERT_MAX);
  }

  /* Whether this Outlook implements a requirement set: an older one rejects the newer fields
   * of event.completed, so each is passed only where it is supported. */
  function supports(set, version) {
    try {
      return Office.context.requirements.isSetSupported(set, version);
    } catch (error) {
      return false;
    }
  }

  /* What the send handler passes to event.completed for a report: stop on a warning or a
   * block, with the reasons and (Mailbox 1.14) a button that opens the task pane; let hints
   * through. Markdown needs Mailbox 1.15. */
  function sendDecision(report) {
    var findings = loudFindings(report);
    if (!findings.length) {
      return { allowEvent: true };
    }
    var button = supports("Mailbox", "1.14");
    var decision = { allowEvent: false, errorMessage: plainAlert(findings, button) };
    if (supports("Mailbox", "1.15")) {
      decision.errorMessageMarkdown = markdownAlert(findings);
    }
    if (button) {
      decision.cancelLabel = CANCEL_LABEL;
      decision.commandId = config.commandId;
    }
    return decision;
  }

  function lintWithBudget() {
    return withBudget(SEND_BUDGET_MS, function (signal) {
      return Promise.all([readDraft(), getToken(false)]).then(function (found) {
        return lint(found[0], found[1], signal).then(function (report) {
          return { report: report, token: found[1] };
        });
      });
    });
  }

  /* Completes the event in every case. Anything that goes wrong on our side — no answer, an
   * error, an answer of the wrong shape, a throw anywhere in here — lets the send go ahead:
   * an outage of ours never stops a send. */
  function onMessageSend(event) {
    lintWithBudget().then(function (linted) {
      var decision = sendDecision(linted.report);
      if (!decision.allowEvent) {
        reportOutcomes(loudFindings(linted.report), "shown", linted.token);
      }
      return decision;
    }).then(null, function () {
      return { allowEvent: true };
    }).then(function (decision) {
      event.completed(decision);
    });
  }

  function onRecipientsChanged(event) {
    lintWithBudget().then(function (linted) {
      var finding = (linted.report.findings || [])[0];
      var messages = Office.context.mailbox.item.notificationMessages;
      if (!finding) {
        return officeCall(messages, "removeAsync", [NOTIFICATION_KEY]);
      }
      return officeCall(messages, "replaceAsync", [NOTIFICATION_KEY, {
        type: Office.MailboxEnums.ItemNotificationMessageType.InformationalMessage,
        message: clip("draftlint: " + finding.message, NOTIFICATION_MAX),
        icon: NOTIFICATION_ICON,
        persistent: false
      }]);
    }).then(null, function () {}).then(function () {
      event.completed();
    });
  }

  return {
    config: config,
    LOUD: LOUD,
    officeCall: officeCall,
    readDraft: readDraft,
    getToken: getToken,
    lint: lint,
    reportOutcomes: reportOutcomes,
    sendDecision: sendDecision,
    onMessageSend: onMessageSend,
    onRecipientsChanged: onRecipientsChanged
  };
})();

if (typeof Office !== "undefined" && Office.actions && Office.actions.associate) {
  Office.actions.associate(DRAFTLINT_CONFIG.sendHandler, draftlint.onMessageSend);
  Office.actions.associate(DRAFTLINT_CONFIG.recipientsHandler, draftlint.onRecipientsChanged);
}
