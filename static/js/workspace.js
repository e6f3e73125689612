/*
 * The expert workspace (labeling/templates/labeling/workspace.html). No inline script: every
 * value comes from data- attributes on [data-workspace].
 *
 *   - lease timer counting down to data-lease-expires (corrected for clock skew);
 *   - active time: seconds while the tab is visible and the expert interacted in the last minute;
 *   - draft autosave (PUT .../draft/) every few seconds when changed, restored on load;
 *   - keyboard: digits answer the highlighted question ([data-kbd-group]) and move on,
 *     ↑/↓ move between questions, Enter (outside text boxes) or Ctrl+Enter submits;
 *   - submit-and-next: POST .../submit/, then POST .../tasks/next/ and open the new task, or say
 *     "No more tasks right now";
 *   - field errors from a 400 {"error": {"fields": {"/choice": [...]}}} next to their inputs.
 *
 * Inputs carry data-path (a JSON pointer into the response), optionally data-type ("int",
 * "int-or-null"), data-list (checkbox groups build an array) and data-always (send even empty).
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-workspace]");
  if (!root) return;

  const form = root.querySelector("[data-ws-form]");
  const ds = root.dataset;
  const IDLE_AFTER_MS = 60 * 1000;
  const AUTOSAVE_EVERY_MS = 4000;
  const CHANGE_DEBOUNCE_MS = 800;

  let activeSeconds = 0;
  let lastInteraction = Date.now();
  let dirty = false;
  let saving = false;
  let finished = false; // submitted, released or expired: stop saving
  let busy = false;
  let changeTimer = null;

  // --- HTTP ---------------------------------------------------------------------------------

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": ds.csrf,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { status: response.status, data: data };
        });
    });
  }

  function errorCode(result) {
    return (result.data && result.data.error && result.data.error.code) || "";
  }

  function errorMessage(result) {
    return (result.data && result.data.error && result.data.error.message) || "Something went wrong.";
  }

  // --- Building the response from the form -------------------------------------------------

  function parsePointer(pointer) {
    return pointer
      .split("/")
      .slice(1)
      .map(function (part) {
        return part.replace(/~1/g, "/").replace(/~0/g, "~");
      });
  }

  function setAt(target, pointer, value) {
    const parts = parsePointer(pointer);
    let node = target;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i];
      if (node[key] === undefined || node[key] === null) {
        node[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      }
      node = node[key];
    }
    node[parts[parts.length - 1]] = value;
  }

  function getAt(source, pointer) {
    let node = source;
    for (const part of parsePointer(pointer)) {
      if (node === null || typeof node !== "object") return undefined;
      node = node[part];
    }
    return node;
  }

  function cast(input, raw) {
    const type = input.getAttribute("data-type");
    if (type === "int") return raw === "" ? null : parseInt(raw, 10);
    if (type === "int-or-null") return raw === "" ? null : parseInt(raw, 10);
    return raw;
  }

  function fields() {
    return form.querySelectorAll("[data-path]");
  }

  function collect() {
    const response = {};
    const lists = {};
    for (const input of fields()) {
      const path = input.getAttribute("data-path");
      if (input.type === "radio") {
        if (input.checked) setAt(response, path, cast(input, input.value));
      } else if (input.type === "checkbox" && input.hasAttribute("data-list")) {
        lists[path] = lists[path] || [];
        if (input.checked) lists[path].push(cast(input, input.value));
      } else if (input.type === "hidden") {
        // Hidden values (trajectory step numbers) belong with a rated step only.
        const parent = path.replace(/\/[^/]+$/, "");
        if (getAt(response, parent) !== undefined || stepRated(parent)) {
          setAt(response, path, cast(input, input.value));
        }
      } else {
        const value = input.value;
        if (value !== "" || input.hasAttribute("data-always")) {
          setAt(response, path, cast(input, value));
        }
      }
    }
    for (const path of Object.keys(lists)) {
      if (lists[path].length) setAt(response, path, lists[path]);
    }
    // Trajectory: steps must come in order; fill the array without holes.
    if (Array.isArray(response.steps)) {
      response.steps = Array.from(response.steps, function (s) {
        return s === undefined ? null : s;
      });
    }
    if (Array.isArray(response.ranks)) {
      response.ranks = Array.from(response.ranks, function (r) {
        return r === undefined ? null : r;
      });
    }
    return response;
  }

  function stepRated(prefix) {
    for (const input of form.querySelectorAll('[data-path^="' + prefix + '/"]')) {
      if (input.type === "hidden") continue;
      if ((input.type === "radio" && input.checked) || (input.type !== "radio" && input.value)) {
        return true;
      }
    }
    return false;
  }

  function restore(response) {
    if (!response || typeof response !== "object") return;
    for (const input of fields()) {
      const path = input.getAttribute("data-path");
      const value = getAt(response, path);
      if (value === undefined) continue;
      if (input.type === "radio") {
        input.checked = String(value) === input.value;
      } else if (input.type === "checkbox") {
        input.checked = Array.isArray(value) && value.map(String).indexOf(input.value) >= 0;
      } else if (input.type !== "hidden") {
        input.value = value === null ? "" : String(value);
      }
    }
  }

  // --- Draft autosave -----------------------------------------------------------------------

  const saveStatus = root.querySelector("[data-save-status]");

  function setSaveStatus(text, state) {
    if (!saveStatus) return;
    saveStatus.textContent = text;
    saveStatus.setAttribute("data-state", state || "");
  }

  function timeNow() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function saveDraft() {
    if (!dirty || saving || finished) return Promise.resolve();
    saving = true;
    dirty = false;
    setSaveStatus("Saving…", "saving");
    const draft = { response: collect(), active_seconds: activeSeconds };
    return api("PUT", ds.apiDraft, { draft: draft })
      .then(function (result) {
        if (result.status === 200) {
          setSaveStatus("Draft saved " + timeNow(), "saved");
        } else if (errorCode(result) === "lease_expired") {
          leaseExpired();
        } else {
          dirty = true;
          setSaveStatus("Draft not saved: " + errorMessage(result), "error");
        }
      })
      .catch(function () {
        dirty = true;
        setSaveStatus("Offline: draft not saved", "error");
      })
      .finally(function () {
        saving = false;
      });
  }

  function markChanged() {
    dirty = true;
    window.clearTimeout(changeTimer);
    changeTimer = window.setTimeout(saveDraft, CHANGE_DEBOUNCE_MS);
  }

  // --- Field errors -------------------------------------------------------------------------

  const formError = root.querySelector("[data-form-error]");

  function clearErrors() {
    for (const slot of form.querySelectorAll("[data-error-for]")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const el of form.querySelectorAll(".ws-invalid")) el.classList.remove("ws-invalid");
    if (formError) {
      formError.hidden = true;
      formError.textContent = "";
    }
  }

  function slotFor(pointer) {
    let path = pointer;
    while (path) {
      const slot = form.querySelector('[data-error-for="' + CSS.escape(path) + '"]');
      if (slot) return slot;
      path = path.replace(/\/[^/]*$/, "");
    }
    return null;
  }

  function showErrors(fieldErrors, message) {
    clearErrors();
    const loose = [];
    let first = null;
    for (const pointer of Object.keys(fieldErrors || {})) {
      const messages = [].concat(fieldErrors[pointer]).join(" ");
      const slot = slotFor(pointer);
      if (!slot) {
        loose.push((pointer === "/" ? "" : pointer + ": ") + messages);
        continue;
      }
      slot.textContent = (slot.textContent ? slot.textContent + " " : "") + messages;
      slot.hidden = false;
      const field = slot.closest("[data-field], .ws-field, fieldset");
      if (field) field.classList.add("ws-invalid");
      if (!first) first = slot;
    }
    if (formError && (loose.length || !first)) {
      formError.textContent = [message || "Please fix the highlighted answers."]
        .concat(loose)
        .join(" ");
      formError.hidden = false;
      if (!first) first = formError;
    }
    if (first) {
      first.scrollIntoView({ block: "center", behavior: "smooth" });
      const group = first.closest("[data-kbd-group]");
      if (group) setCurrentGroup(group);
    }
  }

  // --- Submit, next, release, skip ----------------------------------------------------------

  function setBusy(on) {
    busy = on;
    for (const button of root.querySelectorAll("[data-action]")) button.disabled = on;
    root.classList.toggle("ws--busy", on);
  }

  function openNext() {
    return api("POST", ds.apiNext).then(function (result) {
      if (result.status === 200 && result.data && result.data.id) {
        window.location.assign(ds.taskUrlTemplate.replace(/\/0\/$/, "/" + result.data.id + "/"));
        return;
      }
      if (errorCode(result) === "no_task_available") {
        noMoreTasks();
        return;
      }
      // Suspended, limit reached, no longer eligible...: the project page explains.
      window.location.assign(ds.projectUrl);
    });
  }

  function noMoreTasks() {
    finished = true;
    const grid = root.querySelector("[data-ws-grid]");
    if (grid) grid.hidden = true;
    const done = root.querySelector("[data-no-more-tasks]");
    if (done) done.hidden = false;
    const timer = root.querySelector("[data-lease-timer]");
    if (timer) timer.hidden = true;
    for (const button of root.querySelectorAll('[data-action="skip"], [data-action="release"]')) {
      button.hidden = true;
    }
    setSaveStatus("", "");
  }

  function submit() {
    if (busy || finished) return;
    clearErrors();
    setBusy(true);
    window.clearTimeout(changeTimer);
    api("POST", ds.apiSubmit, { response: collect(), active_seconds: activeSeconds })
      .then(function (result) {
        if (result.status === 201 || result.status === 200) {
          finished = true;
          setSaveStatus("Submitted", "saved");
          return openNext();
        }
        setBusy(false);
        if (result.status === 400) {
          const error = (result.data && result.data.error) || {};
          showErrors(error.fields || {}, error.message);
        } else if (errorCode(result) === "lease_expired") {
          leaseExpired();
        } else {
          showErrors({}, errorMessage(result));
        }
      })
      .catch(function () {
        setBusy(false);
        showErrors({}, "Could not reach the server. Your answer is kept; try again.");
      });
  }

  function release(skip) {
    if (busy) return;
    setBusy(true);
    api("POST", ds.apiRelease, { skip: skip })
      .then(function (result) {
        if (result.status !== 200) {
          setBusy(false);
          showErrors({}, errorMessage(result));
          return;
        }
        finished = true;
        if (skip) return openNext();
        window.location.assign(ds.myWorkUrl);
      })
      .catch(function () {
        setBusy(false);
        showErrors({}, "Could not reach the server; try again.");
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  root.addEventListener("click", function (event) {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.getAttribute("data-action");
    if (action === "skip") {
      event.preventDefault();
      release(true);
    } else if (action === "release") {
      event.preventDefault();
      release(false);
    }
  });

  // --- Lease timer --------------------------------------------------------------------------

  const timer = root.querySelector("[data-lease-timer]");
  const timerValue = root.querySelector("[data-lease-timer-value]");
  const expiresAt = Date.parse(ds.leaseExpires);
  const skew = Date.now() - Date.parse(ds.serverNow); // client clock minus server clock

  function leaseExpired() {
    if (finished) return;
    finished = true;
    const banner = root.querySelector("[data-lease-expired]");
    if (banner) banner.hidden = false;
    root.classList.add("ws--expired");
    const submitButton = root.querySelector('[data-action="submit"]');
    if (submitButton) submitButton.disabled = true;
    setSaveStatus("", "");
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tick() {
    if (!timer) return;
    const left = Math.max(0, Math.round((expiresAt - (Date.now() - skew)) / 1000));
    const hours = Math.floor(left / 3600);
    const minutes = Math.floor((left % 3600) / 60);
    const text = (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(left % 60);
    if (timerValue.textContent !== text) timerValue.textContent = text;
    timer.setAttribute("data-state", left <= 60 ? "danger" : left <= 300 ? "warning" : "ok");
    if (left === 0) leaseExpired();
  }

  // --- Active time --------------------------------------------------------------------------

  function interacted() {
    lastInteraction = Date.now();
  }

  for (const type of ["keydown", "pointerdown", "pointermove", "wheel", "scroll", "input", "touchstart"]) {
    window.addEventListener(type, interacted, { passive: true, capture: true });
  }

  const leaseSeconds = parseInt(ds.leaseSeconds, 10) || 0;

  function countActive() {
    if (finished) return;
    if (document.visibilityState === "visible" && Date.now() - lastInteraction < IDLE_AFTER_MS) {
      activeSeconds = Math.min(activeSeconds + 1, leaseSeconds || activeSeconds + 1);
    }
  }

  // --- Keyboard -----------------------------------------------------------------------------

  let groups = Array.from(form.querySelectorAll("[data-kbd-group]"));
  let current = null;

  function setCurrentGroup(group) {
    if (current === group) return;
    if (current) current.classList.remove("ws-current");
    current = group;
    if (current) current.classList.add("ws-current");
  }

  function firstUnanswered(after) {
    const start = after ? groups.indexOf(after) + 1 : 0;
    for (let i = start; i < groups.length; i++) {
      if (!answered(groups[i])) return groups[i];
    }
    return after ? groups[Math.min(groups.indexOf(after) + 1, groups.length - 1)] : groups[0];
  }

  function answered(group) {
    for (const input of group.querySelectorAll("[data-path]")) {
      if (input.type === "hidden" || input.tagName === "TEXTAREA") continue;
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) return true;
      } else if (input.value !== "") {
        return true;
      }
    }
    return false;
  }

  function move(delta) {
    if (!groups.length) return;
    const index = current ? groups.indexOf(current) : -1;
    const next = groups[Math.max(0, Math.min(groups.length - 1, index + delta))];
    setCurrentGroup(next);
    next.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function answerWithKey(group, key) {
    const select = group.querySelector("select[data-path]");
    if (select) {
      const option = select.querySelector('option[data-key="' + key + '"]');
      if (!option) return false;
      select.value = option.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    }
    const input = group.querySelector('input[data-key="' + key + '"]');
    if (!input) return false;
    if (input.type === "checkbox") {
      input.checked = !input.checked;
    } else {
      input.checked = true;
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function isTyping(target) {
    if (!target) return false;
    const tag = target.tagName;
    return tag === "TEXTAREA" || (tag === "INPUT" && /^(text|search|email|number|url)$/.test(target.type));
  }

  document.addEventListener("keydown", function (event) {
    if (finished || event.altKey || event.metaKey && event.key !== "Enter") return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
      return;
    }
    const target = event.target;
    if (isTyping(target)) return;
    if (event.ctrlKey) return;
    if (event.key === "Enter") {
      if (target && target.tagName === "BUTTON" && target.getAttribute("data-action") !== "submit") {
        return; // Enter on Skip/Release presses that button
      }
      if (target && target.tagName === "A") return;
      event.preventDefault();
      submit();
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (target && target.tagName === "SELECT") return;
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (/^[0-9]$/.test(event.key) && !event.shiftKey) {
      const focusedGroup = target && target.closest && target.closest("[data-kbd-group]");
      const group = focusedGroup || current || groups[0];
      if (!group) return;
      if (answerWithKey(group, event.key)) {
        event.preventDefault();
        setCurrentGroup(group);
        if (!group.hasAttribute("data-kbd-toggle")) {
          const next = firstUnanswered(group);
          if (next && next !== group) {
            setCurrentGroup(next);
            const focusable = next.querySelector("select");
            if (focusable && document.activeElement && document.activeElement.tagName === "SELECT") {
              focusable.focus();
            } else if (document.activeElement && document.activeElement !== document.body) {
              document.activeElement.blur();
            }
            next.scrollIntoView({ block: "nearest", behavior: "smooth" });
          }
        }
      }
    }
  });

  form.addEventListener("focusin", function (event) {
    const group = event.target.closest("[data-kbd-group]");
    if (group) setCurrentGroup(group);
  });

  form.addEventListener("pointerdown", function (event) {
    const group = event.target.closest("[data-kbd-group]");
    if (group) setCurrentGroup(group);
  });

  // --- Text counters ------------------------------------------------------------------------

  function updateCounter(area) {
    const path = area.getAttribute("data-path");
    const counter = form.querySelector('[data-counter-for="' + CSS.escape(path) + '"]');
    if (!counter) return;
    const length = area.value.length;
    const min = parseInt(area.getAttribute("data-min-length") || "0", 10);
    const max = parseInt(area.getAttribute("maxlength") || "0", 10);
    counter.querySelector("[data-count]").textContent = String(length);
    counter.setAttribute("data-state", length < min || (max && length > max) ? "out" : "ok");
  }

  form.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-counter")) {
      updateCounter(event.target);
    }
    markChanged();
  });

  form.addEventListener("change", function (event) {
    const field = event.target.closest("[data-field]");
    if (field && field.classList.contains("ws-invalid")) {
      field.classList.remove("ws-invalid");
      for (const slot of field.querySelectorAll("[data-error-for]")) slot.hidden = true;
    }
    markChanged();
  });

  // --- Start --------------------------------------------------------------------------------

  if (ds.draft) {
    try {
      const draft = JSON.parse(ds.draft);
      restore(draft && draft.response);
      if (draft && typeof draft.active_seconds === "number") activeSeconds = draft.active_seconds;
      setSaveStatus("Draft restored", "saved");
    } catch (_err) {
      // A malformed draft is ignored: the expert starts over.
    }
  }
  for (const area of form.querySelectorAll("[data-counter]")) updateCounter(area);
  groups = Array.from(form.querySelectorAll("[data-kbd-group]"));
  setCurrentGroup(firstUnanswered(null) || null);

  tick();
  window.setInterval(tick, 1000);
  window.setInterval(countActive, 1000);
  window.setInterval(saveDraft, AUTOSAVE_EVERY_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") saveDraft();
  });
})();
