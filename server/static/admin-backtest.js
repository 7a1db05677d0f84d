// The Backtest page while a run goes: asks the server every second how far it got, moves the
// bar, and loads the report when the run ends. Without script the page refreshes itself (a
// <noscript> meta refresh), so this only makes it smoother.
"use strict";

(function followBacktest() {
  const box = document.querySelector("[data-progress-url]");
  if (!box) return;
  const bar = document.getElementById("backtest-bar");
  const status = document.getElementById("backtest-status");
  const url = box.dataset.progressUrl;
  const EVERY_MS = 1000;
  const AFTER_A_PROBLEM_MS = 5000;

  function show(text) {
    if (status.textContent !== text) status.textContent = text;
  }

  async function poll() {
    let answer;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.redirected || response.status === 404) {
        window.location.reload(); // signed out, or the run deleted: the page says what now
        return;
      }
      if (!response.ok) {
        show(`The server answered ${response.status}; asking again in a few seconds…`);
        setTimeout(poll, AFTER_A_PROBLEM_MS);
        return;
      }
      answer = await response.json();
    } catch (error) {
      show("Could not reach the server; asking again in a few seconds…");
      setTimeout(poll, AFTER_A_PROBLEM_MS);
      return;
    }
    bar.value = answer.percent;
    bar.textContent = `${answer.percent}%`;
    show(answer.text);
    if (answer.status === "running") {
      setTimeout(poll, EVERY_MS);
    } else {
      window.location.reload(); // the report, or why the run ended
    }
  }

  setTimeout(poll, EVERY_MS);
})();
