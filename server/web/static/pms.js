// Aura's PMS pages (issue 4). Everything works without this script; it
// only helps:
// - a date range (data-range: two date inputs) keeps the second date after
//   the first and shows the number of nights (data-nights);
// - the new-reservation form (data-live) refreshes its prices and the
//   guests found as one types, by posting the form with intent=preview or
//   find_guest and swapping in those sections of the page that comes back
//   (nothing is created);
// - the guest list (data-live-search) refreshes its results as one types,
//   by fetching this same page;
// - the tape chart scrolls today into view;
// - on a phone, the reservation list's status and date filters fold away.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var t;
    return function () {
      var args = arguments;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function addDays(iso, n) {
    var d = new Date(iso + "T00:00:00Z");
    if (isNaN(d)) { return ""; }
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function nightsBetween(a, b) {
    var x = Date.parse(a + "T00:00:00Z"), y = Date.parse(b + "T00:00:00Z");
    if (isNaN(x) || isNaN(y)) { return 0; }
    return Math.round((y - x) / 86400000);
  }

  // Replace the elements with the given ids by those of html.
  function swap(html, ids) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    ids.forEach(function (id) {
      var fresh = doc.getElementById(id), old = document.getElementById(id);
      if (fresh && old) { old.replaceWith(fresh); }
    });
  }

  function setupRange(box) {
    var inputs = box.querySelectorAll("input[type=date]");
    if (inputs.length !== 2) { return; }
    var from = inputs[0], to = inputs[1];
    var form = box.closest("form");
    var note = form && form.querySelector("[data-nights]");
    var inclusive = to.name === "last" || to.name === "blk_last";
    function update() {
      if (from.value && to.value && nightsBetween(from.value, to.value) < (inclusive ? 0 : 1)) {
        to.value = addDays(from.value, inclusive ? 0 : 1);
      }
      to.min = inclusive ? from.value : addDays(from.value, 1);
      if (note) {
        var n = nightsBetween(from.value, to.value);
        note.textContent = n > 0 ? n + (n === 1 ? " night" : " nights") : "";
      }
    }
    from.addEventListener("change", function () { update(); to.dispatchEvent(new Event("change", { bubbles: true })); });
    to.addEventListener("change", update);
    update();
  }

  function setupLiveForm(form) {
    var busy = null;
    function refresh(intent, ids) {
      var data = new FormData(form);
      data.set("intent", intent);
      if (busy) { busy.abort(); }
      busy = new AbortController();
      fetch(form.action, { method: "POST", body: new URLSearchParams(data), signal: busy.signal, credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" } })
        .then(function (r) { return r.text(); })
        .then(function (html) { swap(html, ids); })
        .catch(function () { /* the buttons still work */ });
    }
    var prices = debounce(function () { refresh("preview", ["offers"]); }, 250);
    var guests = debounce(function () { refresh("find_guest", ["guest-results"]); }, 250);
    form.addEventListener("change", function (e) {
      var t = e.target;
      if (t.matches("[data-refresh=offers], [data-range] input")) { prices(); }
    });
    form.addEventListener("input", function (e) {
      var t = e.target;
      if (t.matches("[data-refresh=offers]")) { prices(); }
      if (t.matches("[data-refresh=guest-results]") && t.value.trim().length >= 2) { guests(); }
    });
    form.addEventListener("keydown", function (e) {
      // Enter in the guest search finds guests; it never submits the booking.
      if (e.key === "Enter" && e.target.matches("[data-refresh=guest-results]")) {
        e.preventDefault();
        refresh("find_guest", ["guest-results"]);
      }
    });
  }

  function setupLiveSearch(input) {
    var form = input.form, target = input.getAttribute("data-live-search");
    var busy = null;
    var run = debounce(function () {
      var q = input.value.trim();
      if (q.length === 1) { return; }
      var url = form.action + (q ? "?q=" + encodeURIComponent(q) : "");
      if (busy) { busy.abort(); }
      busy = new AbortController();
      fetch(url, { credentials: "same-origin", signal: busy.signal })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          swap(html, [target]);
          history.replaceState(null, "", url);
        })
        .catch(function () {});
    }, 200);
    input.addEventListener("input", run);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-range]").forEach(setupRange);
    // On a phone, filters not in use fold away behind a toggle.
    document.querySelectorAll(".filter-toggle").forEach(function (btn) {
      var box = document.getElementById(btn.getAttribute("aria-controls"));
      if (!box || !window.matchMedia("(max-width: 820px)").matches) { return; }
      btn.hidden = false;
      var set = function (open) {
        box.classList.toggle("is-folded", !open);
        btn.setAttribute("aria-expanded", open ? "true" : "false");
      };
      set(btn.hasAttribute("data-keep-open"));
      btn.addEventListener("click", function () { set(btn.getAttribute("aria-expanded") !== "true"); });
    });
    document.querySelectorAll("form[data-live]").forEach(setupLiveForm);
    document.querySelectorAll("input[data-live-search]").forEach(setupLiveSearch);
    var today = document.getElementById("tape-today");
    var scroller = today && today.closest(".tape-scroll");
    if (today && scroller) {
      var label = scroller.querySelector(".tape-label");
      scroller.scrollLeft = Math.max(0, today.offsetLeft - (label ? label.offsetWidth : 0) - today.offsetWidth);
    }
  });
})();
