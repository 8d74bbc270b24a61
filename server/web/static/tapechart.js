// The interactive tape chart. Everything it does has a form too: a free
// night is a link to the booking form for that room and night, and a stay's
// page moves it, extends it or brings its departure forward. This script
// adds, on a chart with data-tape:
// - dragging across free nights of a room to book that room for the range
//   (Shift+→ on a focused night adds the next one, Enter books them);
// - dragging a stay to another room of its type: the room move of the
//   stay's page (POST …/assign), checked by the store like any other;
// - dragging a stay's end to change its departure (POST …/stay);
// - Alt+↑/↓ and Alt+←/→ on a focused stay for the same, by keyboard.
// A refusal (the store's message, as the stay's page would show it) is
// shown above the chart; after a change the chart reloads.
(function () {
  "use strict";

  function addDays(iso, n) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function say(text, error) {
    var box = document.getElementById("tape-status");
    if (!box) { return; }
    box.classList.toggle("is-error", !!error);
    box.setAttribute("role", error ? "alert" : "status");
    box.textContent = text;
  }

  // post sends one of the stay page's forms; a redirect is success, a
  // page with an error banner is the refusal to show.
  function post(base, bar, action, fields, done) {
    var body = new URLSearchParams(fields);
    body.set("version", bar.dataset.version);
    say("Saving…");
    fetch(base + bar.dataset.res + "/" + action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      return r.text().then(function (html) { return { ok: r.ok && r.redirected, status: r.status, html: html }; });
    }).then(function (res) {
      if (res.ok) {
        try { sessionStorage.setItem("tape-msg", done); } catch (e) { /* private mode */ }
        location.reload();
        return;
      }
      var doc = new DOMParser().parseFromString(res.html, "text/html");
      var banner = doc.querySelector(".alert-error, .error-card p:not(.error-status):not(.muted)");
      say(banner ? banner.textContent.trim() : "The change was refused (" + res.status + ").", true);
    }).catch(function () {
      say("The change could not be sent; check the connection and try again.", true);
    });
  }

  function setup(tape) {
    var base = tape.getAttribute("data-tape");
    var halves = function () {
      var row = tape.querySelector(".tape-row");
      var label = row.querySelector(".tape-label");
      var n = tape.querySelectorAll(".tape-head .tape-day").length * 2;
      return (row.getBoundingClientRect().width - label.getBoundingClientRect().width) / n;
    };
    var roomRows = function (type) {
      return Array.prototype.filter.call(tape.querySelectorAll(".tape-row[data-room]"), function (r) { return r.dataset.type === type; });
    };
    // The room row under the pointer, looking past the stay being dragged.
    var rowAt = function (x, y) {
      var els = document.elementsFromPoint(x, y);
      for (var i = 0; i < els.length; i++) {
        if (!els[i].closest(".is-dragging")) {
          var row = els[i].closest(".tape-row[data-room]");
          if (row) { return row; }
        }
      }
      return null;
    };
    var move = function (bar, row) {
      var from = bar.closest(".tape-row");
      if (!row || row === from) { return; }
      if (row.dataset.type !== from.dataset.type) {
        say("Room " + row.dataset.roomNo + " is of another room type; change the stay's room type on its page first.", true);
        return;
      }
      post(base, bar, "assign", { room_id: row.dataset.room }, "Moved to room " + row.dataset.roomNo + ".");
    };
    var depart = function (bar, departure) {
      if (departure === bar.dataset.departure) { return; }
      if (departure <= bar.dataset.arrival) {
        say("A stay keeps at least one night.", true);
        return;
      }
      post(base, bar, "stay", { arrival: bar.dataset.arrival, departure: departure, adults: bar.dataset.adults, children: bar.dataset.children },
        "The departure is now " + departure + ".");
    };

    // The browser's own dragging of links would take over the pointer.
    tape.addEventListener("dragstart", function (e) { e.preventDefault(); });

    // Dragging a stay (to another room) or its end (the departure).
    var drag = null;
    tape.addEventListener("pointerdown", function (e) {
      var bar = e.target.closest(".bar.movable");
      if (!bar || e.button !== 0) { return; }
      drag = { bar: bar, x: e.clientX, y: e.clientY, resize: !!e.target.closest(".bar-end"), moved: false, half: halves() };
      bar.setPointerCapture(e.pointerId);
    });
    tape.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) < 6 && Math.abs(dy) < 6) { return; }
      drag.moved = true;
      drag.bar.classList.add("is-dragging");
      tape.querySelectorAll(".is-target").forEach(function (r) { r.classList.remove("is-target"); });
      if (drag.resize) {
        var days = Math.round(dx / (2 * drag.half));
        drag.bar.style.marginRight = (-days * 2 * drag.half) + "px";
        say("New departure: " + addDays(drag.bar.dataset.departure, days));
      } else {
        drag.bar.style.transform = "translateY(" + dy + "px)";
        var row = rowAt(e.clientX, e.clientY);
        if (row) { row.classList.add("is-target"); }
      }
    });
    var end = function (e) {
      if (!drag) { return; }
      var d = drag;
      drag = null;
      d.bar.classList.remove("is-dragging");
      d.bar.style.transform = "";
      d.bar.style.marginRight = "";
      tape.querySelectorAll(".is-target").forEach(function (r) { r.classList.remove("is-target"); });
      if (!d.moved || e.type === "pointercancel") { return; }
      // A drag is not a click: the stay's link is not followed.
      d.bar.addEventListener("click", function (c) { c.preventDefault(); }, { once: true });
      if (d.resize) {
        depart(d.bar, addDays(d.bar.dataset.departure, Math.round((e.clientX - d.x) / (2 * d.half))));
      } else {
        move(d.bar, rowAt(e.clientX, e.clientY));
      }
    };
    tape.addEventListener("pointerup", end);
    tape.addEventListener("pointercancel", end);

    // Selecting free nights of one room to book them.
    var sel = null;
    var cellsOf = function (row) { return Array.prototype.slice.call(row.querySelectorAll("a.tape-cell.free")); };
    var paint = function () {
      tape.querySelectorAll(".tape-cell.is-selected").forEach(function (c) { c.classList.remove("is-selected"); });
      if (!sel) { return; }
      cellsOf(sel.row).forEach(function (c) {
        if (c.dataset.date >= sel.first && c.dataset.date <= sel.last) { c.classList.add("is-selected"); }
      });
    };
    // The nights from first to last must all be free to book them together.
    var contiguous = function (row, first, last) {
      var free = {};
      cellsOf(row).forEach(function (c) { free[c.dataset.date] = true; });
      for (var d = first; d <= last; d = addDays(d, 1)) {
        if (!free[d]) { return false; }
      }
      return true;
    };
    var book = function () {
      var a = sel.row.querySelector('a.tape-cell.free[data-date="' + sel.first + '"]');
      var url = new URL(a.href);
      url.searchParams.set("departure", addDays(sel.last, 1));
      location.href = url.toString();
    };
    tape.addEventListener("pointerdown", function (e) {
      var cell = e.target.closest("a.tape-cell.free");
      if (!cell || e.button !== 0) { return; }
      e.preventDefault();
      sel = { row: cell.closest(".tape-row"), first: cell.dataset.date, last: cell.dataset.date, anchor: cell.dataset.date, pointer: true };
      paint();
    });
    tape.addEventListener("pointerover", function (e) {
      if (!sel || !sel.pointer) { return; }
      var cell = e.target.closest("a.tape-cell.free");
      if (!cell || cell.closest(".tape-row") !== sel.row) { return; }
      var d = cell.dataset.date;
      var first = d < sel.anchor ? d : sel.anchor, last = d < sel.anchor ? sel.anchor : d;
      if (contiguous(sel.row, first, last)) {
        sel.first = first;
        sel.last = last;
        paint();
      }
    });
    document.addEventListener("pointerup", function () {
      if (sel && sel.pointer) {
        sel.pointer = false;
        book();
      }
    });
    tape.addEventListener("click", function (e) {
      if (e.target.closest("a.tape-cell.free") && sel) { e.preventDefault(); }
    });

    tape.addEventListener("keydown", function (e) {
      var bar = e.target.closest && e.target.closest(".bar.movable");
      if (bar && e.altKey) {
        var row = bar.closest(".tape-row");
        if (e.key === "ArrowUp" || e.key === "ArrowDown") {
          e.preventDefault();
          var rows = roomRows(row.dataset.type);
          var i = rows.indexOf(row);
          if (i < 0) {
            // A stay without a room yet goes to the first (or last) room.
            move(bar, e.key === "ArrowDown" ? rows[0] : rows[rows.length - 1]);
            return;
          }
          var next = rows[i + (e.key === "ArrowDown" ? 1 : -1)];
          if (!next) {
            say("There is no room " + (e.key === "ArrowDown" ? "below" : "above") + " of this type.", true);
            return;
          }
          move(bar, next);
        } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
          e.preventDefault();
          depart(bar, addDays(bar.dataset.departure, e.key === "ArrowRight" ? 1 : -1));
        }
        return;
      }
      var cell = e.target.closest && e.target.closest("a.tape-cell.free");
      if (!cell) { return; }
      if (e.shiftKey && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
        e.preventDefault();
        var r = cell.closest(".tape-row");
        if (!sel || sel.row !== r) {
          sel = { row: r, first: cell.dataset.date, last: cell.dataset.date, anchor: cell.dataset.date };
        }
        var last = addDays(sel.last, e.key === "ArrowRight" ? 1 : -1);
        if (last >= sel.first && contiguous(r, sel.first, last)) {
          sel.last = last;
          var to = r.querySelector('a.tape-cell.free[data-date="' + last + '"]');
          if (to) { to.focus(); }
        }
        paint();
        say("Nights chosen: " + sel.first + " to " + addDays(sel.last, 1) + ". Enter books them.");
      } else if (e.key === "Enter" && sel && sel.row === cell.closest(".tape-row")) {
        e.preventDefault();
        book();
      } else if (e.key === "Escape") {
        sel = null;
        paint();
        say("");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var msg = null;
    try { msg = sessionStorage.getItem("tape-msg"); sessionStorage.removeItem("tape-msg"); } catch (e) { /* private mode */ }
    document.querySelectorAll("[data-tape]").forEach(setup);
    if (msg && document.querySelector("[data-tape]")) { say(msg); }
  });
})();
