/*
 * Qualifications: the countdown on a test page. Display only: the server enforces the
 * deadline and refuses late answers.
 *
 *   data-countdown data-seconds-left="N"   shows mm:ss left, counting down.
 *   data-confirm-submit="Question?"        on a submit button: ask before submitting.
 */
(function () {
  "use strict";

  function format(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const m = Math.floor(s / 60);
    return String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }

  function start(el) {
    const end = Date.now() + Number(el.getAttribute("data-seconds-left") || 0) * 1000;
    function tick() {
      const left = (end - Date.now()) / 1000;
      el.textContent = left > 0 ? format(left) : "Time is up";
      if (left > 0) window.setTimeout(tick, 500);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    for (const el of document.querySelectorAll("[data-countdown]")) start(el);
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-confirm-submit]");
    if (button && !window.confirm(button.getAttribute("data-confirm-submit"))) {
      event.preventDefault();
    }
  });
})();
