// The admin console's few enhancements; every page works without them.
// - Focus the first error summary or conflict notice, so keyboard and screen-reader users land
//   on what went wrong; a link in a summary moves focus to its field.
// - The policy form asks before leaving with unsaved changes.
// - Preview checks the mail without a page reload and announces the result (aria-live region).
"use strict";

(function focusFirstProblem() {
  const first = document.querySelector("[data-focus-first]");
  if (first) first.focus();
})();

document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  if (!link) return;
  const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!target) return;
  event.preventDefault();
  const details = target.closest("details");
  if (details) details.open = true;
  target.scrollIntoView({ block: "center" });
  target.focus();
});

(function warnUnsaved() {
  const form = document.querySelector("form[data-warn-unsaved]");
  if (!form) return;
  let dirty = document.querySelector(".conflict, .error-summary") !== null;
  form.addEventListener("input", () => { dirty = true; });
  form.addEventListener("change", () => { dirty = true; });
  form.addEventListener("submit", () => { dirty = false; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();

(function asyncPreview() {
  const form = document.getElementById("preview-form");
  const results = document.getElementById("preview-results");
  const activity = document.getElementById("preview-activity");
  if (!form || !results) return;
  const FIELDS = ["compose_type", "from", "to", "cc", "bcc", "subject", "body"];

  async function check() {
    activity.textContent = "Checking…";
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      });
    } catch (error) {
      activity.textContent = "";
      results.textContent = "Could not reach the server. Try again.";
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = page.getElementById("preview-results");
    const nextForm = page.getElementById("preview-form");
    if (!next || !nextForm) {
      activity.textContent = `The server answered ${response.status}. Reload the page and try again.`;
      return;
    }
    // An .eml file fills the form in; show what was read, so it can be edited and re-checked.
    for (const name of FIELDS) {
      const source = nextForm.elements.namedItem(name);
      const field = form.elements.namedItem(name);
      if (source && field) field.value = source.value;
    }
    const bodyType = nextForm.querySelector("input[name=body_type]:checked");
    if (bodyType) document.getElementById(bodyType.id).checked = true;
    for (const id of ["from", "to", "cc", "bcc", "subject", "body"]) {
      const field = document.getElementById(`mail-${id}`);
      const fresh = nextForm.querySelector(`#mail-${id}`);
      if (field && fresh) {
        field.toggleAttribute("aria-invalid", fresh.hasAttribute("aria-invalid"));
      }
    }
    form.elements.namedItem("eml").value = "";
    results.replaceChildren(...Array.from(next.childNodes).map((node) => document.adoptNode(node)));
    activity.textContent = "Checked.";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
  form.elements.namedItem("eml").addEventListener("change", (event) => {
    if (event.target.files.length) check();
  });
})();
