// Items import page: refuse a file over the size limit before uploading it, and show that an
// upload is under way (large files take a while to send).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-import-form]");
    if (!form) return;
    var input = form.querySelector("[data-import-file]");
    var error = form.querySelector("[data-import-size-error]");
    var submit = form.querySelector("[data-import-submit]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;

    function tooLarge() {
      var file = input && input.files && input.files[0];
      return Boolean(file && maxBytes && file.size > maxBytes);
    }

    if (input) {
      input.addEventListener("change", function () {
        var over = tooLarge();
        if (error) error.hidden = !over;
        if (submit) submit.disabled = over;
      });
    }
    form.addEventListener("submit", function (event) {
      if (tooLarge()) {
        event.preventDefault();
        return;
      }
      if (submit) {
        submit.disabled = true;
        submit.textContent = "Uploading…";
      }
    });
  });
})();
