/*
 * Marketplace: live effective hourly rate on the "Terms & pay" step of the project editor.
 * No inline handlers (CSP): wired to data- attributes.
 *
 *   [data-pay]        the pay-per-task input (major units, e.g. 4.50)
 *   [data-minutes]    the estimated-minutes input
 *   [data-rate-panel] data-floor="1500" (minor units per hour); contains [data-rate-output]
 *                     and [data-rate-verdict]
 * The server checks the floor again; this only tells people early.
 */
(function () {
  "use strict";

  function update(form) {
    const panel = form.querySelector("[data-rate-panel]");
    const pay = form.querySelector("[data-pay]");
    const minutes = form.querySelector("[data-minutes]");
    if (!panel || !pay || !minutes) return;
    const currency = (form.querySelector('[name="currency"]') || {}).value || "";
    const floor = parseInt(panel.getAttribute("data-floor"), 10) || 0;
    const payMinor = Math.round(parseFloat(pay.value) * 100);
    const mins = parseInt(minutes.value, 10);
    const out = panel.querySelector("[data-rate-output]");
    const verdict = panel.querySelector("[data-rate-verdict]");
    if (!(payMinor > 0) || !(mins > 0)) {
      out.textContent = "—";
      verdict.textContent = "";
      return;
    }
    const rate = Math.floor((payMinor * 60) / mins);
    out.textContent = (rate / 100).toFixed(2) + " " + currency;
    const below = rate < floor;
    verdict.textContent = below ? "Below the floor: this posting would be refused." : "Above the floor.";
    panel.classList.toggle("alert-error", below);
    panel.classList.toggle("alert-success", !below);
    panel.classList.toggle("alert-info", false);
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.form) update(event.target.form);
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.form) update(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    for (const panel of document.querySelectorAll("[data-rate-panel]")) {
      const form = panel.closest("form");
      if (form) update(form);
    }
  });
})();
