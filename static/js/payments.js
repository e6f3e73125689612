// Money pages: submit the ledger browser's filter form when a select changes (no inline JS:
// the CSP forbids it). Confirmation dialogs use plumbline.js's data-confirm.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();
