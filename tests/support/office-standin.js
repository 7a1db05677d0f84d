/* A small stand-in for Office.js in a compose window, for the browser tests and the benchmark.
 *
 * Playwright answers the page's request for Microsoft's Office.js URL with this file, so the
 * page loads exactly what it loads in Outlook, and this emulates the part of the API draftlint
 * uses: Office.onReady, the compose item (body, to/cc/bcc, subject, from, compose type,
 * inReplyTo, attachments, addHandlerAsync, notificationMessages), requirement sets,
 * Office.auth.getAccessToken and Office.actions.associate. Callbacks run asynchronously, as in
 * Outlook.
 *
 * The test sets the item before the page loads (`window.__officeSetup`, an init script) and
 * drives and inspects it through `window.officeStandin`: type into the body, change the
 * recipients as a person would (firing RecipientsChanged), press Send (calling the associated
 * handler with an event whose `completed` records its options and the time it took).
 */
(function () {
  "use strict";

  var setup = window.__officeSetup || {};
  var item = {
    body: "",
    subject: "",
    from: { displayName: "Peter Smith", emailAddress: "peter@corp.example" },
    to: [],
    cc: [],
    bcc: [],
    composeType: "newMail",
    inReplyTo: null,
    conversationId: null,
    attachments: []
  };
  Object.keys(setup.item || {}).forEach(function (key) {
    item[key] = setup.item[key];
  });

  var calls = {
    setAsync: [], getAccessToken: [], notifications: [], associated: [], completed: [], reads: 0
  };
  var handlers = {};  // event type -> [handler]
  var actions = {};  // associated name -> function

  function later(callback, value, failed) {
    setTimeout(function () {
      callback(failed
        ? { status: "failed", error: { message: "stand-in failure" } }
        : { status: "succeeded", value: value });
    }, 0);
  }

  function lastArgument(args) {
    return args[args.length - 1];
  }

  function fire(type, args) {
    (handlers[type] || []).forEach(function (handler) {
      setTimeout(function () { handler(Object.assign({ type: type }, args || {})); }, 0);
    });
  }

  function copy(details) {
    return details.map(function (detail) { return Object.assign({}, detail); });
  }

  function recipientsField(name) {
    return {
      getAsync: function () {
        calls.reads += 1;
        later(lastArgument(arguments), copy(item[name]));
      },
      setAsync: function (recipients) {
        var callback = lastArgument(arguments);
        calls.setAsync.push({ field: name, recipients: recipients });
        item[name] = recipients.map(function (recipient) {
          return typeof recipient === "string"
            ? { emailAddress: recipient, displayName: recipient, recipientType: "user" }
            : {
              emailAddress: recipient.emailAddress,
              displayName: recipient.displayName || recipient.emailAddress,
              recipientType: "user"
            };
        });
        later(callback);
        fire("olkRecipientsChanged", { changedRecipientFields: { [name]: true } });
      }
    };
  }

  var notifications = {};
  var mailboxItem = {
    body: {
      getAsync: function (coercion) {
        calls.reads += 1;
        later(lastArgument(arguments), coercion === "html" ? item.body : item.body.replace(/<[^>]*>/g, ""));
      },
      setAsync: function (data) {
        item.body = data;
        later(lastArgument(arguments));
      }
    },
    subject: {
      getAsync: function () { later(lastArgument(arguments), item.subject); }
    },
    from: {
      getAsync: function () { later(lastArgument(arguments), Object.assign({}, item.from)); }
    },
    to: recipientsField("to"),
    cc: recipientsField("cc"),
    bcc: recipientsField("bcc"),
    getComposeTypeAsync: function () {
      later(lastArgument(arguments), { composeType: item.composeType, coercionType: "html" });
    },
    getAttachmentsAsync: function () {
      later(lastArgument(arguments), copy(item.attachments));
    },
    addHandlerAsync: function (type, handler) {
      (handlers[type] = handlers[type] || []).push(handler);
      var callback = arguments.length > 2 ? lastArgument(arguments) : null;
      if (typeof callback === "function") {
        later(callback);
      }
    },
    notificationMessages: {
      replaceAsync: function (key, message) {
        notifications[key] = message;
        calls.notifications.push({ action: "replace", key: key, message: message });
        later(lastArgument(arguments));
      },
      removeAsync: function (key) {
        delete notifications[key];
        calls.notifications.push({ action: "remove", key: key });
        later(lastArgument(arguments));
      },
      getAllAsync: function () {
        later(lastArgument(arguments), Object.keys(notifications).map(function (key) {
          return Object.assign({ key: key }, notifications[key]);
        }));
      }
    }
  };
  Object.defineProperty(mailboxItem, "inReplyTo", { get: function () { return item.inReplyTo; } });
  Object.defineProperty(mailboxItem, "conversationId", {
    get: function () { return item.conversationId; }
  });

  var supported = setup.requirementSets || { Mailbox: "1.15" };

  /* Nested app authentication: the host's bridge that MSAL.js talks to
   * (`window.nestedAppAuthBridge`: JSON requests by postMessage, answers to its "message"
   * listeners). `setup.naa = {token, silent}` gives `token` for GetToken, or, with `silent:
   * false`, refuses GetToken (as when consent is needed) and gives it for GetTokenPopup. */
  calls.naa = [];
  function base64url(value) {
    return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  }
  function naaAnswer(request) {
    var naa = setup.naa;
    if (request.method === "GetInitContext") {
      return { success: true, initContext: { sdkName: "office-standin", sdkVersion: "1.0" } };
    }
    var params = request.tokenParams || {};
    calls.naa.push({ method: request.method, clientId: params.clientId, scope: params.scope });
    if (request.method === "GetToken" && naa.silent === false) {
      return { success: false, error: { status: "ACCOUNT_UNAVAILABLE", code: "consent_required" } };
    }
    var now = Math.floor(Date.now() / 1000);
    var tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
    var claims = {
      aud: params.clientId, iss: "https://login.microsoftonline.com/" + tenant + "/v2.0",
      tid: tenant, oid: "00000000-0000-0000-0000-0000000000aa", sub: "standin-subject",
      preferred_username: "peter@corp.example", name: "Peter Smith", iat: now, exp: now + 3600,
      ver: "2.0"
    };
    return {
      success: true,
      token: {
        access_token: naa.token,
        id_token: base64url({ alg: "none", typ: "JWT" }) + "." + base64url(claims) + ".",
        expires_in: 3600,
        scope: params.scope
      },
      account: {
        homeAccountId: claims.oid + "." + tenant, environment: "login.microsoftonline.com",
        tenantId: tenant, username: claims.preferred_username, localAccountId: claims.oid,
        name: claims.name
      }
    };
  }
  if (setup.naa) {
    var listeners = [];
    window.nestedAppAuthBridge = {
      addEventListener: function (type, listener) { listeners.push(listener); },
      removeEventListener: function () {},
      postMessage: function (message) {
        var request = JSON.parse(message);
        var answer = Object.assign(
          { messageType: "NestedAppAuthResponse", requestId: request.requestId },
          naaAnswer(request)
        );
        setTimeout(function () {
          listeners.forEach(function (listener) { listener(JSON.stringify(answer)); });
        }, 0);
      }
    };
  }

  window.Office = {
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Html: "html", Text: "text" },
    EventType: {
      RecipientsChanged: "olkRecipientsChanged",
      AttachmentsChanged: "olkAttachmentsChanged"
    },
    MailboxEnums: {
      ItemNotificationMessageType: {
        InformationalMessage: "informationalMessage",
        ErrorMessage: "errorMessage"
      },
      RecipientType: {
        DistributionList: "distributionList",
        User: "user",
        ExternalUser: "externalUser",
        Other: "other"
      }
    },
    context: {
      displayLanguage: "en-GB",
      requirements: {
        isSetSupported: function (name, version) {
          return name in supported && parseFloat(supported[name]) >= parseFloat(version || "1.1");
        }
      },
      mailbox: {
        item: mailboxItem,
        userProfile: { displayName: "Peter Smith", emailAddress: "peter@corp.example" }
      }
    },
    auth: {
      getAccessToken: function (options) {
        calls.getAccessToken.push(options);
        return setup.token
          ? Promise.resolve(setup.token)
          : Promise.reject({ code: 13003, message: "stand-in: no token" });
      }
    },
    actions: {
      associate: function (name, handler) {
        actions[name] = handler;
        calls.associated.push(name);
      }
    },
    onReady: function (callback) {
      var info = { host: "Outlook", platform: "OfficeOnline" };
      return new Promise(function (resolve) {
        setTimeout(function () {
          if (callback) {
            callback(info);
          }
          resolve(info);
        }, 0);
      });
    }
  };

  window.officeStandin = {
    item: item,
    calls: calls,
    notifications: notifications,
    /* The person types: the body changes, and Outlook fires nothing. */
    setBody: function (html) {
      item.body = html;
    },
    /* The person changes recipients: Outlook fires RecipientsChanged. */
    setRecipients: function (field, details) {
      item[field] = details;
      fire("olkRecipientsChanged", { changedRecipientFields: { [field]: true } });
    },
    setAttachments: function (details) {
      item.attachments = details;
      fire("olkAttachmentsChanged", {});
    },
    /* Runs an associated event handler as Outlook does; resolves with the options passed to
     * event.completed and the milliseconds from the call to completed (every completion is
     * also kept in calls.completed, to catch a handler completing twice). Rejects when the
     * handler has not completed within 6 s: Outlook would have shown its "taking too long"
     * dialog by then. */
    run: function (name) {
      return new Promise(function (resolve, reject) {
        var handler = actions[name];
        if (!handler) {
          reject(new Error("no handler associated as " + name));
          return;
        }
        setTimeout(function () {
          reject(new Error(name + " did not call event.completed within 6 s"));
        }, 6000);
        var started = performance.now();
        handler({
          type: name,
          completed: function (options) {
            calls.completed.push(options === undefined ? null : options);
            resolve({ options: options === undefined ? null : options, ms: performance.now() - started });
          }
        });
      });
    }
  };
})();
