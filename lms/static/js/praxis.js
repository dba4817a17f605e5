// Small behaviours that pages opt into with data attributes (no inline scripts: see the CSP).
(function () {
  "use strict";

  // The language switcher submits as soon as a language is chosen.
  document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Buttons with data-confirm ask before their form is sent.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // Long submissions (publishing renders a PDF): the button shows a spinner and its busy
  // text, and is disabled once the form has been sent so it cannot be sent twice.
  document.querySelectorAll("button[data-busy-text]").forEach(function (button) {
    if (!button.form) { return; }
    button.form.addEventListener("submit", function () {
      var spinner = button.querySelector("[data-busy-spinner]");
      if (spinner) { spinner.classList.remove("d-none"); }
      var label = button.querySelector("[data-busy-label]");
      if (label) { label.textContent = button.getAttribute("data-busy-text"); }
      window.setTimeout(function () { button.disabled = true; });
    });
  });

  // Progress bars take their width from data-percent (inline styles are barred by the CSP).
  document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-percent") + "%";
  });

  // Print buttons print the page (the print stylesheet hides menus and actions).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Copy buttons put the text of their target element on the clipboard.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.value || target.textContent.trim());
        button.textContent = button.getAttribute("data-copied") || button.textContent;
      }
    });
  });
})();
