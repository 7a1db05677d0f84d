// The playground: an e-mail form kept in sync with its Draft JSON, linted as you type through the
// public API (/v1/lint, /v1/parse, /v1/drafts/from-eml), with the findings and the segmented body.
// Everything is written with textContent: neither the draft nor a finding is ever parsed as HTML.
"use strict";

const LINT_DELAY_MS = 400;
const SEVERITY_LABEL = { block: "Block", warning: "Warning", hint: "Hint" };
const BLOCK_LABEL = {
  greeting: ["Greeting", "set aside"],
  body: ["Body", "judged"],
  signoff: ["Sign-off", "set aside"],
  signature: ["Signature", "set aside"],
  quote: ["Quote", "set aside"],
};
const $ = (id) => document.getElementById(id);

const fields = {
  composeType: $("compose-type"),
  from: $("from"),
  to: $("to"),
  cc: $("cc"),
  bcc: $("bcc"),
  subject: $("subject"),
  replyingTo: $("replying-to"),
  body: $("body"),
  bodyText: $("body-text"),
  bodyHtml: $("body-html"),
};
const form = $("playground");
const compose = $("compose");
const draftJson = $("draft");
const draftError = $("draft-error");
const summary = $("summary");
const findingsList = $("findings");
const segments = $("segments");
const activity = $("activity");
const emlFile = $("eml-file");
const sampleJson = draftJson.defaultValue; // as served, even if the browser restored edits

let draft = {};
let draftIsValidJson = true;

// --- addresses as people type them ------------------------------------------------------------

// Split "A <a@x>, "Smith, J" <j@x>" on the commas that separate addresses.
function splitAddresses(text) {
  const parts = [];
  let current = "";
  let quoted = false;
  let angled = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (char === "<" && !quoted) angled = true;
    else if (char === ">" && !quoted) angled = false;
    if ((char === "," || char === ";") && !quoted && !angled) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter(Boolean);
}

// "Name <email> (412)" -> {email, name, type: "group", member_count: 412}
function parseAddress(text, known) {
  let rest = text;
  let group = null;
  const marker = rest.match(/\(\s*(\d+|group)\s*\)\s*$/i);
  if (marker) {
    group = marker[1].toLowerCase() === "group" ? { count: null } : { count: Number(marker[1]) };
    rest = rest.slice(0, marker.index).trim();
  }
  let name = "";
  let email = rest;
  const angled = rest.match(/^(.*)<([^>]*)>$/);
  if (angled) {
    name = angled[1].trim().replace(/^"(.*)"$/, "$1").replace(/\\"/g, '"');
    email = angled[2].trim();
  }
  const recipient = { email };
  if (name) recipient.name = name;
  const before = known.get(email.toLowerCase());
  if (group) {
    recipient.type = "group";
    if (group.count !== null) recipient.member_count = group.count;
  } else if (before && before.type && before.type !== "group") {
    recipient.type = before.type; // keep "external", which the form does not show
  }
  return recipient;
}

function formatAddress(recipient) {
  if (!recipient || typeof recipient !== "object") return "";
  const email = recipient.email || "";
  let text = email;
  if (recipient.name) {
    const name = /[",<>;()]/.test(recipient.name)
      ? '"' + recipient.name.replace(/"/g, '\\"') + '"'
      : recipient.name;
    text = `${name} <${email}>`;
  }
  if (recipient.type === "group") {
    text += Number.isInteger(recipient.member_count) ? ` (${recipient.member_count})` : " (group)";
  }
  return text;
}

function formatAddresses(list) {
  return Array.isArray(list) ? list.map(formatAddress).filter(Boolean).join(", ") : "";
}

// --- the form and the Draft JSON, kept in step -------------------------------------------------

function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === "object") {
    const result = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null) result[key] = withoutNulls(item);
    }
    return result;
  }
  return value;
}

function knownRecipients() {
  const known = new Map();
  for (const list of [draft.to, draft.cc, draft.bcc]) {
    if (!Array.isArray(list)) continue;
    for (const recipient of list) {
      if (recipient && typeof recipient.email === "string") {
        known.set(recipient.email.toLowerCase(), recipient);
      }
    }
  }
  return known;
}

// `target[key]` is the first address typed in `text` ({email, name}), or gone when there is none.
function setPerson(target, key, text) {
  const typed = splitAddresses(text)[0];
  if (typed) {
    const { email, name } = parseAddress(typed, new Map());
    target[key] = name ? { email, name } : { email };
  } else {
    delete target[key];
  }
}

// The form's fields over the current draft: what the form cannot show (client, the rest of
// in_reply_to, attachments, thread_id, locale) is kept as it was.
function draftFromForm() {
  const known = knownRecipients();
  const next = { ...draft };
  next.compose_type = fields.composeType.value;
  setPerson(next, "from", fields.from.value);
  for (const key of ["to", "cc", "bcc"]) {
    next[key] = splitAddresses(fields[key].value).map((text) => parseAddress(text, known));
  }
  next.subject = fields.subject.value;
  const original = { ...(isObject(draft.in_reply_to) ? draft.in_reply_to : {}) };
  setPerson(original, "from", fields.replyingTo.value);
  if (Object.keys(original).length) next.in_reply_to = original;
  else delete next.in_reply_to;
  next.body = {
    type: fields.bodyHtml.checked ? "html" : "text",
    content: fields.body.value,
  };
  return next;
}

function showDraftInForm() {
  const composeTypes = [...fields.composeType.options].map((option) => option.value);
  fields.composeType.value = composeTypes.includes(draft.compose_type)
    ? draft.compose_type
    : "new";
  fields.from.value = formatAddress(draft.from);
  fields.to.value = formatAddresses(draft.to);
  fields.cc.value = formatAddresses(draft.cc);
  fields.bcc.value = formatAddresses(draft.bcc);
  fields.subject.value = typeof draft.subject === "string" ? draft.subject : "";
  fields.replyingTo.value = isObject(draft.in_reply_to) ? formatAddress(draft.in_reply_to.from) : "";
  const body = draft.body && typeof draft.body === "object" ? draft.body : {};
  fields.body.value = typeof body.content === "string" ? body.content : "";
  fields.bodyHtml.checked = body.type === "html";
  fields.bodyText.checked = body.type !== "html";
  showContext();
}

function isObject(value) {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value);
}

// What the draft carries that the form does not edit: its attachments.
function showContext() {
  const attachments = Array.isArray(draft.attachments) ? draft.attachments : [];
  $("attachments").textContent = attachments
    .map((a) => (a && a.name ? a.name : "(unnamed)") + (a && a.inline ? " (inline)" : ""))
    .join(", ");
  $("context-attachments").hidden = attachments.length === 0;
  $("context").hidden = attachments.length === 0;
}

function showDraftJson() {
  if (document.activeElement === draftJson) return; // never rewrite what the person is typing
  draftJson.value = JSON.stringify(draft, null, 2);
  setJsonError("");
}

function setJsonError(message) {
  draftIsValidJson = !message;
  draftError.textContent = message;
  draftError.hidden = !message;
  draftJson.setAttribute("aria-invalid", message ? "true" : "false");
}

function loadDraft(next) {
  draft = withoutNulls(next);
  showDraftInForm();
  showDraftJson();
}

// --- talking to the API ----------------------------------------------------------------------

function headers(contentType) {
  const result = { "Content-Type": contentType };
  const key = $("api-key");
  if (key && key.value) result.Authorization = "Bearer " + key.value;
  return result;
}

async function post(path, body, contentType = "application/json") {
  const response = await fetch(path, { method: "POST", headers: headers(contentType), body });
  let json;
  try {
    json = await response.json();
  } catch {
    throw new Error(`The server answered ${response.status} without JSON.`);
  }
  if (!response.ok) {
    const error = new Error(json.detail || json.title || `Error ${response.status}`);
    error.problem = json;
    throw error;
  }
  return json;
}

// One request in flight at a time; edits made meanwhile are linted as soon as it returns.
let timer = null;
let inFlight = false;
let again = false;

function scheduleLint() {
  clearTimeout(timer);
  activity.textContent = "Waiting for you to pause…";
  timer = setTimeout(lintNow, LINT_DELAY_MS);
}

async function lintNow() {
  clearTimeout(timer);
  if (!draftIsValidJson) {
    activity.textContent = "Fix the Draft JSON to lint again.";
    return;
  }
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  activity.textContent = "Checking…";
  const body = JSON.stringify(draft);
  try {
    const [report, parts] = await Promise.all([post("/v1/lint", body), post("/v1/parse", body)]);
    showReport(report);
    showSegments(parts, report.findings);
    activity.textContent = `Checked in ${report.elapsed_ms} ms.`;
  } catch (error) {
    showError(error);
    activity.textContent = "Could not check this draft.";
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      lintNow();
    }
  }
}

// --- showing the results ---------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function people(count) {
  return `${count} ${count === 1 ? "person" : "people"}`;
}

function showReport(report) {
  const count = report.findings.length;
  summary.className = "summary" + (count === 0 ? " clean" : "");
  const reach = `This draft reaches ${people(report.audience)}.`;
  summary.textContent = count === 0
    ? `No findings. ${reach}`
    : `${plural(count, "finding")}. ${reach}`;
  findingsList.replaceChildren(...report.findings.map(findingItem));
}

function findingItem(finding) {
  const item = element("li", "finding severity-" + finding.severity);
  const head = element("div", "finding-head");
  head.append(element("span", "badge badge-" + finding.severity,
    SEVERITY_LABEL[finding.severity] || finding.severity));
  const rule = element("a", "rule-id", finding.rule);
  rule.href = "/docs/rules/" + encodeURIComponent(finding.rule);
  rule.title = "What this rule checks";
  head.append(rule);
  item.append(head);
  item.append(element("h3", "message", finding.message));
  if (finding.explanation) item.append(element("p", "explanation", finding.explanation));
  if (finding.excerpt) {
    const excerpt = element("p", "excerpt");
    excerpt.append(element("span", "label", "In your text: "));
    excerpt.append(element("q", "", finding.excerpt));
    item.append(excerpt);
  }
  const why = whyItFired(finding.data || {});
  if (why) item.append(why);
  for (const fix of finding.fixes || []) item.append(fixRow(fix));
  return item;
}

function humanKey(key) {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describeGroup(group) {
  const members = group.size_known === false
    ? `size unknown, counted as ${group.members}`
    : plural(group.members, "member");
  return `${group.email} (${members})`;
}

// A finding's `data` as "why it fired": its clauses and what each does, then the numbers.
function whyItFired(data) {
  const rows = [];
  const shown = new Set(["kind", "group_count", "clauses"]);
  if (Array.isArray(data.kinds) && data.kinds.length) {
    rows.push(["Kind", data.kinds.join(", ")]);
    shown.add("kinds");
  } else if (data.kind) {
    rows.push(["Kind", data.kind]);
  }
  if (Array.isArray(data.groups) && data.groups.length) {
    rows.push(["Groups", data.groups.map(describeGroup).join("; ")]);
    shown.add("groups");
  }
  for (const [key, value] of Object.entries(data)) {
    if (shown.has(key) || value === null || value === undefined) continue;
    if (Array.isArray(value) && !value.length) continue; // "Groups" with none named says nothing
    let text;
    if (key === "audience" || key === "threshold") text = people(value);
    else if (Array.isArray(value) && value.every((v) => typeof v !== "object")) {
      text = value.join(", ");
    } else if (typeof value === "object") text = JSON.stringify(value);
    else text = String(value);
    rows.push([humanKey(key), text]);
  }
  const clauses = Array.isArray(data.clauses) ? data.clauses : [];
  if (!rows.length && !clauses.length) return null;
  const box = element("div", "why");
  box.append(element("h4", "", "Why it fired"));
  if (clauses.length) box.append(clauseTable(clauses));
  const list = element("dl");
  for (const [term, description] of rows) {
    const row = element("div");
    row.append(element("dt", "", term), element("dd", "", description));
    list.append(row);
  }
  box.append(list);
  return box;
}

// One row per clause of the new text: its words, its role (stance, content, ...) and why.
function clauseTable(clauses) {
  const table = element("table", "clauses");
  const head = element("tr");
  for (const title of ["Clause", "Role", "Why"]) head.append(element("th", "", title));
  table.append(head);
  for (const clause of clauses) {
    const row = element("tr", `clause ${clause.role}`);
    const role = clause.kind ? `${clause.role} (${clause.kind})` : clause.role;
    row.append(
      element("td", "", `“${clause.text}”`),
      element("td", "role", role),
      element("td", "", clause.why),
    );
    table.append(row);
  }
  return table;
}

function fixRow(fix) {
  const row = element("div", "fix");
  row.append(element("span", "label", "Suggested fix: "));
  row.append(element("span", "fix-title", fix.title));
  const apply = element("button", "button secondary small", "Apply");
  apply.type = "button";
  apply.setAttribute("aria-label", `Apply: ${fix.title}`);
  apply.addEventListener("click", () => {
    loadDraft({ ...draft, ...fix.set });
    summary.focus();
    lintNow();
  });
  row.append(apply);
  return row;
}

function showError(error) {
  findingsList.replaceChildren();
  segments.replaceChildren();
  summary.className = "summary error";
  let text = error.message;
  const errors = error.problem && error.problem.errors;
  if (errors) text += " " + describeErrors(errors).join(" ");
  summary.textContent = text;
  const keyField = document.getElementById("api-key");
  if (error.problem && error.problem.status === 401 && keyField) {
    // The field sits under the message, often out of sight: a button takes the person there.
    const go = element("button", "button secondary small", "Enter an API key");
    go.type = "button";
    go.addEventListener("click", () => {
      keyField.scrollIntoView({ block: "center" });
      keyField.focus();
    });
    summary.append(" ", go);
  }
}

function describeErrors(errors, path = []) {
  if (Array.isArray(errors)) return [`${path.join(".") || "draft"}: ${errors.join(" ")}`];
  if (errors && typeof errors === "object") {
    return Object.entries(errors).flatMap(([key, value]) => describeErrors(value, [...path, key]));
  }
  return [String(errors)];
}

// The body as draftlint cut it: each block labelled, the spans that findings point at marked.
function showSegments(parts, findings) {
  const text = parts.text || "";
  const marks = findings
    .filter((f) => f.span && f.span.end > f.span.start)
    .map((f) => ({ start: f.span.start, end: f.span.end, rule: f.rule }));
  const nodes = [];
  let quoteShown = "";
  for (const block of parts.blocks || []) {
    nodes.push(segment(block.kind, text, block.start, block.end, marks));
    if (block.kind === "quote") {
      quoteShown += (quoteShown ? "\n\n" : "") + text.slice(block.start, block.end);
    }
  }
  // An HTML body's quoted thread (after Outlook's or Gmail's marker) is not in `blocks`.
  const thread = (parts.quote || "").slice(quoteShown.length).trim();
  if (thread) nodes.push(segment("quote", thread, 0, thread.length, []));
  if (!nodes.length) nodes.push(element("p", "hint", "The body is empty."));
  segments.replaceChildren(...nodes);
}

let segmentCount = 0;

function segment(kind, text, start, end, marks) {
  const [label, role] = BLOCK_LABEL[kind] || [humanKey(kind), ""];
  const box = element("section", `segment segment-${kind}`);
  const heading = element("h3", "segment-label", label);
  heading.id = `segment-${++segmentCount}`;
  if (role) heading.append(element("span", "segment-role", ` · ${role}`));
  box.setAttribute("aria-labelledby", heading.id);
  const body = element("pre", "segment-text");
  let at = start;
  for (const mark of marks) {
    const from = Math.max(mark.start, at);
    const to = Math.min(mark.end, end);
    if (from >= to) continue;
    body.append(text.slice(at, from));
    const highlighted = element("mark", "", text.slice(from, to));
    highlighted.title = `Found by ${mark.rule}`;
    body.append(highlighted);
    at = to;
  }
  body.append(text.slice(at, end));
  if (kind === "quote") body.tabIndex = 0; // long quotes scroll; let the keyboard scroll them
  box.append(heading, body);
  return box;
}

// --- opening an .eml -------------------------------------------------------------------------

async function openEml(file) {
  if (!file) return;
  summary.className = "summary";
  summary.textContent = `Opening ${file.name}…`;
  try {
    const json = await post("/v1/drafts/from-eml", await file.arrayBuffer(), "message/rfc822");
    loadDraft(json);
    activity.textContent = `Opened ${file.name}.`;
    await lintNow();
  } catch (error) {
    showError({ message: `Could not open ${file.name}: ${error.message}`,
      problem: error.problem });
  }
}

emlFile.addEventListener("change", () => {
  openEml(emlFile.files[0]);
  emlFile.value = ""; // choosing the same file again opens it again
});

function hasFiles(event) {
  return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
}

// A file dropped anywhere opens in the playground instead of replacing the page.
window.addEventListener("dragover", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  compose.classList.add("dragging");
});
window.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) compose.classList.remove("dragging");
});
window.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  compose.classList.remove("dragging");
  openEml(event.dataTransfer.files[0]);
});

// --- wiring ----------------------------------------------------------------------------------

form.addEventListener("input", (event) => {
  if (event.target === draftJson) return;
  if (event.target.id === "api-key") {
    scheduleLint();
    return;
  }
  draft = draftFromForm();
  showDraftJson();
  scheduleLint();
});

form.addEventListener("change", (event) => {
  if (event.target === fields.composeType || event.target.name === "body-type") {
    draft = draftFromForm();
    showDraftJson();
    scheduleLint();
  }
});

draftJson.addEventListener("input", () => {
  let parsed;
  try {
    parsed = JSON.parse(draftJson.value);
  } catch (error) {
    setJsonError(`Not valid JSON yet: ${error.message}`);
    return;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    setJsonError("A draft is a JSON object: { … }.");
    return;
  }
  setJsonError("");
  draft = parsed;
  showDraftInForm();
  scheduleLint();
});

draftJson.addEventListener("blur", () => {
  if (draftIsValidJson) showDraftJson();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  lintNow();
});

$("reset").addEventListener("click", () => {
  loadDraft(JSON.parse(sampleJson));
  lintNow();
});

loadDraft(JSON.parse(sampleJson));
lintNow();
