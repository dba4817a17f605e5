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
