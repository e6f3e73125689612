// Review queue and webhooks pages: small progressive enhancements (the pages work without JS).
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // "Select all" toggles every checkbox with the given name.
    document.querySelectorAll("[data-select-all]").forEach(function (master) {
      master.addEventListener("change", function () {
        var name = master.getAttribute("data-select-all");
        document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(
          function (box) { box.checked = master.checked; }
        );
      });
    });

    // Bulk accept asks for confirmation with the count.
    document.querySelectorAll("form[data-confirm-bulk]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var n = document.querySelectorAll(
          'input[name="annotation_ids"][form="' + form.id + '"]:checked'
        ).length;
        if (!n || !window.confirm("Accept " + n + " selected annotation(s)?")) {
          event.preventDefault();
        }
      });
    });

    // Rejection form: show only the reference field that matches the chosen kind.
    document.querySelectorAll("select[data-reference-kind]").forEach(function (select) {
      var form = select.closest("form");
      function sync() {
        form.querySelectorAll("[data-reference-for]").forEach(function (field) {
          field.hidden = field.getAttribute("data-reference-for") !== select.value;
        });
      }
      select.addEventListener("change", sync);
      sync();
    });
  });
})();
