// Switchboard's own script: small, no inline handlers (the Content-Security-Policy
// forbids inline scripts). Pages mark what they need with data- attributes.
(function () {
  "use strict";

  // A form or button with data-confirm asks before it acts (delete, decline...).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
    }
  }, true);

  // htmx requests carry the session's CSRF token (also set on <body> via hx-headers;
  // this covers fragments swapped in from elsewhere).
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      e.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // A <select data-autosubmit> submits its form when changed (filters, pipeline switch).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) {
        el.form.requestSubmit();
      } else {
        el.form.submit();
      }
    }
  });

  // The phone-width menu toggle.
  document.addEventListener("click", function (e) {
    var t = e.target.closest && e.target.closest("[data-toggle-nav]");
    if (t) {
      var nav = document.getElementById("site-nav");
      if (nav) {
        var open = nav.classList.toggle("open");
        t.setAttribute("aria-expanded", open ? "true" : "false");
      }
    }
  });

  // Pipeline board: drag a lead card to another column (SortableJS). The move is sent
  // as a normal htmx-style POST; on failure the page reloads so it shows the truth.
  function initBoard(root) {
    if (!window.Sortable) return;
    var cols = root.querySelectorAll("[data-board-column]");
    cols.forEach(function (col) {
      if (col.dataset.sortableReady) return;
      col.dataset.sortableReady = "1";
      window.Sortable.create(col, {
        group: "board",
        animation: 120,
        draggable: "[data-lead-id]",
        onEnd: function (ev) {
          if (ev.from === ev.to) return;
          var lead = ev.item.getAttribute("data-lead-id");
          var status = ev.to.getAttribute("data-status-id");
          var url = ev.to.getAttribute("data-move-url");
          var meta = document.querySelector('meta[name="csrf-token"]');
          var body = new URLSearchParams();
          body.set("lead_id", lead);
          body.set("status_id", status);
          fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              "X-CSRF-Token": meta ? meta.getAttribute("content") : ""
            },
            body: body.toString()
          }).then(function (r) {
            if (!r.ok) { window.location.reload(); return; }
            document.dispatchEvent(new CustomEvent("board:moved", { detail: { lead: lead, status: status } }));
            if (window.htmx) {
              window.htmx.trigger(document.body, "board-changed");
            }
          }).catch(function () { window.location.reload(); });
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initBoard(document); });
  document.addEventListener("htmx:load", function (e) { initBoard(e.target); });
  // A Copy button (data-copy="<input id>") copies that input's value: the clipboard API
  // where the page may use it, else the text is selected and copied the old way, else
  // left selected with a hint to press Ctrl+C.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-copy"));
    if (!input) return;
    var status = document.querySelector('[data-copy-status="' + input.id + '"]');
    var say = function (attr) {
      if (status) status.textContent = btn.getAttribute(attr) || "";
    };
    var fallback = function () {
      input.focus();
      input.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      say(ok ? "data-copied" : "data-copy-failed");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { say("data-copied"); }, fallback);
    } else {
      fallback();
    }
  });
})();
