/*
 * Plumbline: small progressive enhancements. Every page works without this file.
 * No inline handlers (the Content-Security-Policy forbids them): behaviour is declared with
 * data- attributes and wired here through event delegation, so content swapped in by htmx
 * works too.
 *
 *   data-show-when="name=value"   show this element only while the named radio/select/checkbox
 *                                 has that value (e.g. the company-name field at sign-up).
 *   data-copy-target="#selector"  on a button: copy the target's text (or value) to the clipboard.
 *   data-confirm="Question?"      on a form: ask before submitting.
 *   data-prefill-from-query="n"   on a form: check the radio named n whose value is ?n= in the URL.
 */
(function () {
  "use strict";

  // --- Conditional fields ------------------------------------------------------------------

  function currentValue(form, name) {
    const fields = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    for (const field of fields) {
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) return field.value;
      } else {
        return field.value;
      }
    }
    return "";
  }

  function applyShowWhen(root) {
    const scope = root || document;
    for (const el of scope.querySelectorAll("[data-show-when]")) {
      const rule = el.getAttribute("data-show-when");
      const eq = rule.indexOf("=");
      if (eq < 1) continue;
      const name = rule.slice(0, eq);
      const wanted = rule.slice(eq + 1);
      const form = el.closest("form") || document;
      const visible = currentValue(form, name) === wanted;
      el.hidden = !visible;
      // A hidden field must not block submission nor be read out.
      for (const input of el.querySelectorAll("input, select, textarea")) {
        input.disabled = !visible;
      }
    }
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target && target.name && target.form) {
      applyShowWhen(target.form);
    }
  });

  // A link such as /accounts/signup/?account_type=company preselects that choice.
  function prefillFromQuery(root) {
    const params = new URLSearchParams(window.location.search);
    for (const form of (root || document).querySelectorAll("form[data-prefill-from-query]")) {
      for (const name of form.getAttribute("data-prefill-from-query").split(/\s+/)) {
        const value = params.get(name);
        if (!value) continue;
        const selector = 'input[type="radio"][name="' + CSS.escape(name) + '"]';
        for (const input of form.querySelectorAll(selector)) {
          if (input.value === value) input.checked = true;
        }
      }
    }
  }

  // --- Copy to clipboard ---------------------------------------------------------------------

  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_err) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  function flash(button, label) {
    const original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = label;
    window.setTimeout(function () {
      button.textContent = original;
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    event.preventDefault();
    const source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) return;
    const text = ("value" in source ? source.value : source.textContent).trim();
    const done = function () {
      flash(button, "Copied");
    };
    const failed = function () {
      if (fallbackCopy(text)) {
        done();
      } else {
        flash(button, "Select and copy");
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  });

  // --- Confirm before submitting -------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // --- Wiring --------------------------------------------------------------------------------

  function init(root) {
    prefillFromQuery(root);
    applyShowWhen(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    init(event.target);
  });
})();
