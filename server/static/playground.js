// The playground: post the draft to /v1/lint and /v1/parse, show the findings and the new text.
// Everything is written with textContent: the draft and the findings are never parsed as HTML.
"use strict";

const form = document.getElementById("playground");
const summary = document.getElementById("summary");
const findingsList = document.getElementById("findings");
const newText = document.getElementById("new-text");

function headers() {
  const result = { "Content-Type": "application/json" };
  const key = document.getElementById("api-key");
  if (key && key.value) result.Authorization = "Bearer " + key.value;
  return result;
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: headers(), body });
  const json = await response.json();
  if (!response.ok) {
    const fields = json.errors ? " " + JSON.stringify(json.errors) : "";
    throw new Error(`${json.status} ${json.title}: ${json.detail || ""}${fields}`);
  }
  return json;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function showFindings(report) {
  findingsList.replaceChildren();
  const count = report.findings.length;
  summary.className = "";
  summary.textContent = `${count === 0 ? "No" : count} finding${count === 1 ? "" : "s"} ` +
    `for an audience of ${report.audience} (${report.elapsed_ms} ms).`;
  for (const finding of report.findings) {
    const item = element("li", "finding");
    item.append(element("strong", "severity-" + finding.severity, finding.severity + " "));
    item.append(element("code", "", finding.rule));
    item.append(element("div", "", finding.message));
    if (finding.excerpt) item.append(element("div", "note", "“" + finding.excerpt + "”"));
    if (finding.explanation) item.append(element("div", "note", finding.explanation));
    findingsList.append(item);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = document.getElementById("draft").value;
  try {
    const [report, parts] = await Promise.all([post("/v1/lint", body), post("/v1/parse", body)]);
    showFindings(report);
    newText.textContent = parts.new_text;
  } catch (error) {
    findingsList.replaceChildren();
    newText.textContent = "";
    summary.className = "error";
    summary.textContent = error.message;
  }
});
