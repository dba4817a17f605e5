// The attempt page: autosave of every changed answer, and the countdown of a timed quiz.
// The page works without this script (its form posts all answers); with it, each answer is
// sent as JSON as soon as it changes, retried with growing pauses until the server has it.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var versionInput = document.getElementById("attempt-version");
  var status = document.getElementById("save-status");
  var submitButton = document.getElementById("submit-attempt");
  var TEXT_DELAY = 800;          // ms after the last keystroke before a text answer is sent
  var RETRY_FIRST = 1000;        // first pause before a retry, doubled up to RETRY_MAX
  var RETRY_MAX = 30000;
  var submitting = false;
  var closed = false;
  var questions = {};            // position -> state

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "small save-status-" + (kind || "info");
  }

  // --- The response of a question, in the shape the server expects ----------------------

  function valueOf(fieldset, name) {
    var checked = fieldset.querySelector("input[name='" + name + "']:checked");
    return checked ? checked.value : null;
  }

  function responseOf(fieldset) {
    var p = fieldset.getAttribute("data-position");
    var kind = fieldset.getAttribute("data-kind");
    var prefix = "q" + p + "-";
    if (kind === "single_choice") {
      var choice = valueOf(fieldset, prefix + "choice");
      return choice ? {choice: choice} : null;
    }
    if (kind === "multiple_choice") {
      var chosen = [];
      fieldset.querySelectorAll("input[name='" + prefix + "choices']:checked").forEach(
        function (box) { chosen.push(box.value); });
      return {choices: chosen};
    }
    if (kind === "true_false") {
      var value = valueOf(fieldset, prefix + "value");
      return value === null ? null : {value: value === "true"};
    }
    if (kind === "short_answer" || kind === "essay") {
      return {text: fieldset.querySelector("[name='" + prefix + "text']").value};
    }
    if (kind === "numeric") {
      return {value: fieldset.querySelector("[name='" + prefix + "value']").value};
    }
    if (kind === "matching") {
      var matches = {};
      fieldset.querySelectorAll("select[data-pair]").forEach(function (select) {
        if (select.value) { matches[select.getAttribute("data-pair")] = select.value; }
      });
      return {matches: matches};
    }
    return null;
  }

  // --- Saving ---------------------------------------------------------------------------

  function unsaved() {
    return Object.keys(questions).some(function (p) {
      return questions[p].dirty || questions[p].sending;
    });
  }

  function send(state) {
    if (closed || state.sending || !state.dirty) { return; }
    var response = responseOf(state.fieldset);
    if (response === null) { state.dirty = false; return; }
    state.dirty = false;
    state.sending = true;
    var seconds = state.seconds;
    say(status.getAttribute("data-saving"), "info");
    fetch(state.fieldset.getAttribute("data-save-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf, "X-Requested-With": "fetch"},
      body: JSON.stringify({response: response, seconds: seconds})
    }).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        return {status: reply.status, data: data};
      });
    }).then(function (result) {
      state.sending = false;
      var problem = state.fieldset.querySelector("[data-problem]");
      if (result.status === 200) {
        state.seconds = Math.max(0, state.seconds - seconds);
        state.retry = RETRY_FIRST;
        if (problem) { problem.textContent = ""; }
        if (result.data.version !== undefined && versionInput) {
          versionInput.value = result.data.version;
        }
        // The page now knows the answer as saved: the form may post it over this save.
        var stamp = state.fieldset.querySelector("input[data-saved]");
        if (stamp && result.data.stamp !== undefined) { stamp.value = result.data.stamp; }
        say(result.data.message || "", "ok");
        if (state.dirty) { send(state); }
      } else if (result.status === 409 && result.data.error === "closed") {
        closed = true;
        say(result.data.message || "", "error");
        if (result.data.review_url) { window.location.assign(result.data.review_url); }
      } else if (result.status === 400) {
        // The server cannot use this answer (e.g. malformed): say so, retrying is useless.
        if (problem) { problem.textContent = result.data.message || ""; }
        say("", "info");
        if (state.dirty) { send(state); }
      } else {
        throw new Error(String(result.status));
      }
    }).catch(function () {
      // Offline, a timeout or a server error: keep the answer and try again later.
      state.sending = false;
      state.dirty = true;
      say(status.getAttribute("data-retrying"), "error");
      clearTimeout(state.timer);
      state.timer = setTimeout(function () { send(state); }, state.retry);
      state.retry = Math.min(state.retry * 2, RETRY_MAX);
    });
  }

  function changed(state, delay) {
    state.dirty = true;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { send(state); }, delay);
  }

  var active = null;
  form.querySelectorAll("fieldset[data-save-url]").forEach(function (fieldset) {
    var state = {fieldset: fieldset, dirty: false, sending: false, timer: null,
                 retry: RETRY_FIRST, seconds: 0};
    questions[fieldset.getAttribute("data-position")] = state;
    fieldset.addEventListener("change", function () { active = state; changed(state, 0); });
    fieldset.addEventListener("input", function (event) {
      active = state;
      if (event.target.matches("input[type=text], textarea")) { changed(state, TEXT_DELAY); }
    });
    fieldset.addEventListener("focusin", function () { active = state; });
  });

  // Time spent: each second the page is visible counts for the question last worked on.
  setInterval(function () {
    if (active && document.visibilityState === "visible") { active.seconds += 1; }
  }, 1000);

  // A save still on its way would change the attempt's version after this form was sent, and
  // the server would take the form as out of date: let such saves finish first (5 s at most).
  var waited = false;
  form.addEventListener("submit", function (event) {
    var sending = function () {
      return Object.keys(questions).some(function (p) { return questions[p].sending; });
    };
    if (!waited && sending()) {
      event.preventDefault();
      var submitter = event.submitter;
      var started = Date.now();
      var wait = setInterval(function () {
        if (!sending() || Date.now() - started > 5000) {
          clearInterval(wait);
          waited = true;
          if (submitter && form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
        }
      }, 100);
      return;
    }
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && !closed && unsaved()) {
      event.preventDefault();
      event.returnValue = status.getAttribute("data-unsaved");
    }
  });

  // --- The countdown --------------------------------------------------------------------

  var timer = document.getElementById("quiz-timer");
  if (timer) {
    var shown = document.getElementById("quiz-timer-value");
    var endsAt = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      var hours = Math.floor(left / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      shown.textContent = (hours ? hours + ":" + two(minutes) : minutes) + ":" + two(left % 60);
      timer.classList.toggle("quiz-timer-low", left <= 60);
      if (left === 0) {
        clearInterval(interval);
        if (!submitting && !closed) {
          say(timer.getAttribute("data-timeout"), "error");
          submitting = true;
          // The form itself carries every answer, saved or not; the submit view saves them.
          form.action = submitButton.getAttribute("formaction");
          form.submit();
        }
      }
    };
    var interval = setInterval(tick, 1000);
    tick();
  }
})();
