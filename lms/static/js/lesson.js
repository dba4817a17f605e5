// A lesson completes when its end comes into view: the page tells the server once, then
// updates the progress bar. The "mark as done" button remains for those who prefer it.
(function () {
  "use strict";
  var end = document.getElementById("lesson-end");
  if (!end || end.getAttribute("data-done") === "true" || !("IntersectionObserver" in window)) {
    return;
  }
  var form = document.querySelector("form[action='" + end.getAttribute("data-complete-url") + "']");
  var token = form ? form.querySelector("input[name=csrf_token]").value : "";
  var status = document.getElementById("lesson-status");
  var sent = false;

  function complete() {
    if (sent) { return; }
    sent = true;
    var body = new FormData();
    body.append("csrf_token", token);
    body.append("how", "viewed");
    fetch(end.getAttribute("data-complete-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-Requested-With": "fetch"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (data) {
      end.setAttribute("data-done", "true");
      var bar = document.querySelector("#course-progress .progress-bar");
      if (bar) {
        bar.style.width = data.percent + "%";
        bar.textContent = data.percent + "%";
        bar.setAttribute("data-percent", data.percent);
        bar.parentElement.setAttribute("aria-valuenow", data.percent);
      }
      if (status) { status.textContent = status.getAttribute("data-done-text") || "✓"; }
    }).catch(function () {
      sent = false;  // try again next time the end scrolls into view
    });
  }

  new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { if (entry.isIntersecting) { complete(); } });
  }).observe(end);
})();
