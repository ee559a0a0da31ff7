// Live calls in the browser (V2, P4, V5): one WebSocket per tab to /live, call pop-ups
// that stack, a conversation timer, the call-result form at the end, the header's
// dialer and the live board's timers. Strings come translated from the page
// (#call-strings, #call-tpl); the data from the server goes in with textContent only.
(function () {
  "use strict";

  var root = document.getElementById("live-calls");
  var tpl = document.getElementById("call-tpl");
  var strings = document.getElementById("call-strings");
  if (!root || !tpl || !strings || !window.WebSocket) return;

  var me = Number(document.body.getAttribute("data-user-id"));
  var popups = new Map(); // call id -> { el, state, answeredAt }
  var offset = 0; // local clock minus the server's
  var retry = 0;
  var ws = null;

  function s(name) {
    return strings.getAttribute("data-" + name) || "";
  }

  function clock(ms) {
    var t = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    var mm = h > 0 ? String(m).padStart(2, "0") : String(m);
    return (h > 0 ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }

  function serverNow() {
    return Date.now() - offset;
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/live");
    root.setAttribute("data-live", "connecting");
    ws.onopen = function () {
      retry = 0;
      root.setAttribute("data-live", "connected");
    };
    ws.onmessage = function (m) {
      var f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      handle(f);
    };
    ws.onclose = function (e) {
      root.setAttribute("data-live", "disconnected");
      if (e.code === 4401) return; // signed out: the next page asks to sign in
      // Backoff with jitter: 0.5 s, 1 s, 2 s ... at most 30 s.
      var delay = Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random() / 2);
      retry += 1;
      setTimeout(connect, delay);
    };
  }

  function handle(f) {
    if (typeof f.now === "number") offset = Date.now() - f.now;
    if (f.type === "sync") {
      var live = new Set((f.calls || []).map(function (c) { return c.call_id; }));
      popups.forEach(function (p, id) {
        if (live.has(id) || (p.state !== "ringing" && p.state !== "answered")) return;
        // It ended while this tab was away: a call held goes to its result form.
        if (p.state === "answered") ended(id, { call_id: id, user_id: me, message: "answered" });
        else remove(id);
      });
      (f.calls || []).forEach(call);
      return;
    }
    if (f.type === "board") {
      document.body.dispatchEvent(new CustomEvent("sb:board"));
      return;
    }
    if (f.type !== "call") return;
    if (f.kind === "error") { error(f); return; }
    call(f);
  }

  function mine(f) {
    return f.user_id === me || f.responsible_user_id === me;
  }

  function popup(f) {
    var p = popups.get(f.call_id);
    if (p) return p;
    var el = tpl.content.firstElementChild.cloneNode(true);
    el.setAttribute("data-call-id", String(f.call_id));
    var title = el.querySelector(".call-title");
    title.id = "call-title-" + f.call_id;
    el.setAttribute("aria-labelledby", title.id);
    el.querySelector(".call-close").addEventListener("click", function () { remove(f.call_id); });
    root.appendChild(el);
    p = { el: el, state: "new", answeredAt: null };
    popups.set(f.call_id, p);
    return p;
  }

  function fill(p, f) {
    var el = p.el;
    var out = f.direction === "outbound";
    el.classList.toggle("outgoing", out);
    if (f.phone) el.querySelector(".call-number").textContent = f.phone;
    var link = el.querySelector(".call-card");
    var unknown = el.querySelector(".call-unknown");
    var create = el.querySelector(".call-create");
    if (f.name && f.href) {
      link.textContent = f.name;
      link.setAttribute("href", f.href);
      link.hidden = false;
      unknown.hidden = true;
      create.hidden = true;
    } else if (!link.getAttribute("href")) {
      link.hidden = true;
      unknown.hidden = false;
      if (f.phone) {
        create.setAttribute("href", "/contacts/new?phone=" + encodeURIComponent(f.phone));
        create.hidden = false;
      }
    }
    var resp = el.querySelector(".call-resp");
    if (f.responsible_name) {
      resp.textContent = f.responsible_name;
      el.querySelectorAll(".f-resp").forEach(function (x) { x.hidden = false; });
    }
    var our = el.querySelector(".call-our");
    if (f.our_number) {
      our.textContent = f.our_number;
      el.querySelectorAll(".f-our").forEach(function (x) { x.hidden = false; });
    }
  }

  function setState(p, state, title) {
    p.state = state;
    p.el.setAttribute("data-state", state);
    p.el.querySelector(".call-title").textContent = title;
  }

  function call(f) {
    if (typeof f.call_id !== "number") return;
    var known = popups.get(f.call_id);
    if (f.kind === "ringing") {
      if (known && known.state !== "ringing") return;
      var p = popup(f);
      fill(p, f);
      setState(p, "ringing", f.direction === "outbound" ? s("outgoing") : s("incoming"));
    } else if (f.kind === "answered") {
      if (!mine(f)) { remove(f.call_id); return; }
      var q = popup(f);
      fill(q, f);
      setState(q, "answered", s("talking"));
      var at = typeof f.answered_at === "number" ? f.answered_at : f.now;
      q.answeredAt = at;
      var timer = q.el.querySelector(".call-timer");
      timer.hidden = false;
      tick();
    } else if (f.kind === "ended") {
      ended(f.call_id, f);
    }
  }

  function ended(id, f) {
    var p = popups.get(id);
    if (!p) return;
    var held = p.state === "answered" || f.message === "answered";
    p.el.querySelector(".call-timer").hidden = !held;
    p.answeredAt = null;
    if (held && f.user_id === me) {
      setState(p, "result", s("ended"));
      var slot = p.el.querySelector(".call-result-slot");
      if (window.htmx) {
        window.htmx.ajax("GET", "/calls/" + id + "/result", { target: slot, swap: "innerHTML" });
      }
    } else if (!held && mine(f) && p.el.querySelector(".call-number").textContent) {
      setState(p, "missed", s("missed"));
      var back = p.el.querySelector(".call-back");
      back.hidden = false;
      back.setAttribute("data-dial", p.el.querySelector(".call-number").textContent);
    } else {
      remove(id);
    }
  }

  function remove(id) {
    var p = popups.get(id);
    if (!p) return;
    p.el.remove();
    popups.delete(id);
  }

  function error(f) {
    var el = tpl.content.firstElementChild.cloneNode(true);
    el.setAttribute("data-state", "error");
    el.setAttribute("role", "alert");
    el.querySelector(".call-title").textContent = s("error");
    el.querySelector(".call-number").textContent = f.phone || "";
    var msg = el.querySelector(".call-message");
    msg.textContent = f.message || "";
    msg.hidden = false;
    el.querySelector(".call-unknown").hidden = true;
    el.querySelector(".call-close").addEventListener("click", function () { el.remove(); });
    root.appendChild(el);
  }

  // Timers: pop-ups in conversation and the live board's rows.
  function tick() {
    var now = serverNow();
    popups.forEach(function (p) {
      if (p.answeredAt !== null) p.el.querySelector(".call-timer").textContent = clock(now - p.answeredAt);
    });
    document.querySelectorAll("time.elapsed[data-since]").forEach(function (t) {
      var board = t.closest("[data-now]");
      var since = Number(t.getAttribute("data-since"));
      var base = board ? Number(board.getAttribute("data-now")) + (Date.now() - Number(board.getAttribute("data-loaded") || Date.now())) : now;
      t.textContent = clock(base - since);
    });
  }
  // The click-to-call status goes away after a while (errors stay longer).
  var statusTimer = null;
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail || !e.detail.target || e.detail.target.id !== "dial-status") return;
    var t = e.detail.target;
    var bad = t.querySelector("[data-dial-result='error']");
    if (statusTimer) clearTimeout(statusTimer);
    statusTimer = setTimeout(function () { t.textContent = ""; }, bad ? 15000 : 8000);
    var d = document.querySelector("details.dialer[open]");
    if (d && !bad) d.removeAttribute("open");
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-now]:not([data-loaded])").forEach(function (b) {
      b.setAttribute("data-loaded", String(Date.now()));
    });
    tick();
  });
  document.querySelectorAll("[data-now]").forEach(function (b) {
    b.setAttribute("data-loaded", String(Date.now()));
  });
  setInterval(tick, 1000);
  tick();

  // Call buttons (cards, a missed call's "call back") and the card's blacklist button:
  // a POST with the number, the answer shows in the header's status.
  function postNumber(url, source, phone) {
    if (!window.htmx) return;
    window.htmx.ajax("POST", url, {
      source: source,
      target: "#dial-status",
      swap: "innerHTML",
      values: { phone: phone }
    });
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-dial]");
    if (b) {
      e.preventDefault();
      postNumber("/calls/dial", b, b.getAttribute("data-dial"));
      return;
    }
    var bl = e.target.closest && e.target.closest("[data-blacklist]");
    if (bl) {
      e.preventDefault();
      if (window.confirm(bl.getAttribute("data-confirm-text") || "")) {
        postNumber("/calls/blacklist", bl, bl.getAttribute("data-blacklist"));
      }
      return;
    }
    var k = e.target.closest && e.target.closest("[data-key]");
    if (k) {
      var input = document.getElementById("dialer-number");
      if (input) {
        input.value += k.getAttribute("data-key");
        input.focus();
      }
    }
  });

  // The result form: the new lead's name is asked only when a new lead is chosen.
  document.addEventListener("change", function (e) {
    var sel = e.target;
    if (!sel.matches || !sel.matches(".call-result select[name='lead']")) return;
    var box = sel.form && sel.form.querySelector("[data-new-lead]");
    if (box) box.hidden = sel.value !== "new";
  });

  connect();
})();
