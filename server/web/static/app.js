// Aura's small script. Every form works without it; it only helps:
// a submit button is disabled after the first click (no double submits),
// dangerous actions ask for confirmation, the phone menu opens and closes,
// and "Copy" buttons copy a one-time secret.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
      return;
    }
    if (form.method.toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.submitted) {
      e.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    // Disable after the browser has taken the form data.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });

  // Coming back with the browser's Back button must not leave forms dead.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (f) {
      delete f.dataset.submitted;
      f.querySelectorAll("button[disabled]").forEach(function (b) { b.disabled = false; });
    });
  });

  // A select marked data-autosubmit (the property switcher) submits its
  // form on change; without JavaScript its form has a Go button.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // On a phone a table's rows become cards (app.css); each cell is
    // labelled with its column's heading. Without JavaScript the cards
    // show the same cells, unlabelled.
    document.querySelectorAll("table.table").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          var h = heads[i] && heads[i].textContent.trim();
          if (h && cell.colSpan === 1 && !cell.hasAttribute("data-label")) { cell.setAttribute("data-label", h); }
        });
      });
    });
    // A document's Print button (the browser's own Print works without it).
    document.querySelectorAll("[data-print]").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () { window.print(); });
    });
    var toggle = document.querySelector(".menu-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = document.body.classList.toggle("nav-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var input = document.getElementById(btn.getAttribute("data-copy"));
        if (!input) { return; }
        input.select();
        var done = function () { btn.textContent = "Copied"; };
        if (navigator.clipboard) {
          navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  });
})();
