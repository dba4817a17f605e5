// The course editor's behaviours, each switched on by markup (no inline scripts: see the CSP).
// Every one of them has a plain-form fallback, so the editor works without JavaScript.
(function () {
  "use strict";

  function parseAnswer(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) {
        throw new Error(data.error || data.message || String(response.status));
      }
      return data;
    });
  }

  function postJson(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token
      },
      body: JSON.stringify(body)
    }).then(parseAnswer);
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var value = textarea.value;
    var before = value.slice(0, start);
    // An image on a line of its own reads best in the source and renders as a block.
    if (before && !before.endsWith("\n")) { text = "\n" + text; }
    textarea.value = before + text + value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = before.length + text.length;
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Live preview: <textarea data-preview-url data-preview-target data-csrf-token>. The text is
  // sent 400 ms after the last keystroke; the answer is HTML already sanitised by the server.
  document.querySelectorAll("textarea[data-preview-url]").forEach(function (textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview-target"));
    var status = document.getElementById("preview-status");
    if (!target || !window.fetch) { return; }
    var timer = null;
    var sent = 0;
    var shown = 0;

    function refresh() {
      var number = ++sent;
      target.classList.add("is-stale");
      postJson(textarea.getAttribute("data-preview-url"),
               textarea.getAttribute("data-csrf-token"), { text: textarea.value })
        .then(function (data) {
          if (number <= shown) { return; }  // an older answer arriving after a newer one
          shown = number;
          target.innerHTML = data.html;
          if (number === sent) { target.classList.remove("is-stale"); }
          if (status) { status.textContent = ""; }
        })
        .catch(function (error) {
          if (number !== sent) { return; }
          target.classList.remove("is-stale");
          if (status) {
            status.textContent = textarea.getAttribute("data-preview-error") + " (" +
              error.message + ")";
          }
        });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
    refresh();
  });

  // Image upload that inserts the image's Markdown at the cursor: <form data-insert-into=ID>.
  // Without JavaScript the form posts normally and the page reloads.
  document.querySelectorAll("form[data-insert-into]").forEach(function (form) {
    var textarea = document.getElementById(form.getAttribute("data-insert-into"));
    var status = form.querySelector("[role=status]");
    if (!textarea || !window.fetch || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = form.querySelector("input[name=csrf_token]");
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: new FormData(form)
      }).then(parseAnswer).then(function (data) {
        insertAtCursor(textarea, data.markdown + "\n");
        if (status) { status.className = "small text-success"; status.textContent = data.markdown; }
        form.querySelector("input[type=file]").value = "";
      }).catch(function (error) {
        if (status) {
          status.className = "small text-danger";
          status.textContent = form.getAttribute("data-upload-error") + " " + error.message;
        }
      });
    });
  });

  // Drag and drop of outline items: <div id="outline" data-reorder-url data-revision-id>. Each
  // drop sends the complete new order; if the server refuses it, the page reloads to show the
  // order that is really saved. The ↑/↓ buttons do the same without JavaScript.
  var outline = document.querySelector("#outline[data-reorder-url]");
  if (outline && window.fetch) {
    var status = document.getElementById("outline-status");
    var dragged = null;

    var currentOrder = function () {
      var order = [];
      outline.querySelectorAll(".outline-items").forEach(function (list) {
        var moduleId = parseInt(list.getAttribute("data-module-id"), 10);
        list.querySelectorAll(".outline-item[data-item-id]").forEach(function (item) {
          order.push([moduleId, parseInt(item.getAttribute("data-item-id"), 10)]);
        });
      });
      return order;
    };
    var saved = JSON.stringify(currentOrder());

    var showPlaceholders = function () {
      outline.querySelectorAll(".outline-items").forEach(function (list) {
        var empty = list.querySelector(".outline-empty");
        if (empty) { empty.hidden = list.querySelector(".outline-item[data-item-id]") !== null; }
      });
    };

    var say = function (text, css) {
      if (status) { status.className = "small " + css; status.textContent = text; }
    };

    var saveOrder = function () {
      var order = currentOrder();
      var text = JSON.stringify(order);
      if (text === saved) { return; }
      postJson(outline.getAttribute("data-reorder-url"), outline.getAttribute("data-csrf-token"), {
        revision_id: parseInt(outline.getAttribute("data-revision-id"), 10),
        order: order
      }).then(function () {
        saved = text;
        say(outline.getAttribute("data-saved-message"), "text-success");
      }).catch(function (error) {
        say(outline.getAttribute("data-error-message") + " (" + error.message + ")", "text-danger");
        window.setTimeout(function () { window.location.reload(); }, 2500);
      });
    };

    outline.addEventListener("dragstart", function (event) {
      var item = event.target.closest ? event.target.closest(".outline-item[draggable]") : null;
      if (!item) { return; }
      dragged = item;
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.getAttribute("data-key") || "");
    });

    outline.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      var list = event.target.closest ? event.target.closest(".outline-items") : null;
      if (!list) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var over = event.target.closest(".outline-item[data-item-id]");
      if (over && over !== dragged) {
        var box = over.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? over.nextSibling : over);
      } else if (!over && dragged.parentNode !== list) {
        list.insertBefore(dragged, list.querySelector(".outline-empty"));
      }
      showPlaceholders();
    });

    outline.addEventListener("drop", function (event) {
      if (dragged) { event.preventDefault(); }
    });

    outline.addEventListener("dragend", function () {
      if (!dragged) { return; }
      dragged.classList.remove("dragging");
      dragged = null;
      saveOrder();
    });
  }
})();
