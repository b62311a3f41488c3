// hinomi console: the little behaviour the pages need beyond htmx. Loaded as a file of its
// own because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // Live lists: an element with data-live-src and data-live-events re-fetches its content
  // from data-live-src whenever the event stream at data-live-events sends the event named
  // by data-live-event ("alerts" if none). While the reader is typing in it, or has one of
  // its <details> open, the new content waits until they are done.
  function live(el) {
    var src = el.getAttribute("data-live-src");
    var status = document.querySelector("[data-live-status]");
    var pending = null;
    var running = false;

    function busy() {
      return el.contains(document.activeElement) || el.querySelector("details[open]") !== null;
    }

    function refresh() {
      if (running) { pending = true; return; }
      if (busy()) { pending = true; setTimeout(function () { if (pending) { pending = null; refresh(); } }, 2000); return; }
      running = true;
      fetch(src, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.redirected || r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            el.innerHTML = html;
            el.setAttribute("data-live-updated", String(Date.now()));
          }
        })
        .catch(function () {})
        .then(function () {
          running = false;
          if (pending) { pending = null; refresh(); }
        });
    }

    var source = new EventSource(el.getAttribute("data-live-events"));
    source.addEventListener(el.getAttribute("data-live-event") || "alerts", function () {
      if (status) { status.textContent = el.getAttribute("data-live-ok"); status.classList.remove("lost"); }
      refresh();
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself; the stream ends on purpose every little while,
      // so only say so when the connection stays down.
      if (source.readyState === EventSource.CLOSED && status) {
        status.textContent = el.getAttribute("data-live-error");
        status.classList.add("lost");
      }
    });
  }

  // Close the settings menu with Escape, returning focus to its toggle.
  function menus() {
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      document.querySelectorAll("details.menu[open]").forEach(function (d) {
        d.removeAttribute("open");
        var s = d.querySelector("summary");
        if (s) s.focus();
      });
    });
  }

  // Uploads: a file input with data-file-into="<textarea id>" reads the chosen file into
  // that text box, so the form posts it as text like any other console form.
  function fileInto(input) {
    input.addEventListener("change", function () {
      var target = document.getElementById(input.getAttribute("data-file-into"));
      var file = input.files && input.files[0];
      if (!target || !file) return;
      file.text().then(function (text) { target.value = text; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-src][data-live-events]").forEach(live);
    document.querySelectorAll("input[type=file][data-file-into]").forEach(fileInto);
    menus();
  });
})();
