/* duizhao library page: sort by any column, filter by title or source, totals
   of the rows shown. Everything is in the page; nothing is fetched. */
(function () {
  "use strict";
  var table = document.getElementById("library");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var numeric = ["sentences", "error", "warning", "info", "terms", "edits"];
  /* In the review workspace: approved sentences, open errors, and a filter for them. */
  var errorsOnly = document.getElementById("open-errors-only");
  if (errorsOnly) numeric.push("approved", "open-errors");

  function value(row, key, type) {
    var v = row.getAttribute("data-" + key) || "";
    return type === "number" ? Number(v) : v.toLocaleLowerCase();
  }

  function sortBy(th) {
    var key = th.getAttribute("data-key");
    var type = th.getAttribute("data-type");
    // The first click sorts flags worst first (most errors on top), the rest A to Z / least first.
    var now = th.getAttribute("aria-sort"), first = th.getAttribute("data-first") || "ascending";
    var order = now === "none" ? first : now === "ascending" ? "descending" : "ascending";
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", order);
    var sign = order === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = value(a, key, type), y = value(b, key, type);
      if (x < y) return -sign;
      if (x > y) return sign;
      return value(a, "source", "text") < value(b, "source", "text") ? -1 : 1;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function update() {
    var words = filter.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    var totals = { documents: 0 }, terms = {};
    numeric.forEach(function (key) { totals[key] = 0; });
    rows.forEach(function (row) {
      var text = (value(row, "title") + " " + value(row, "source"));
      var match = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        !(errorsOnly && errorsOnly.checked && value(row, "open-errors", "number") === 0);
      row.hidden = !match;
      if (!match) return;
      totals.documents += 1;
      numeric.forEach(function (key) { if (key !== "terms") totals[key] += value(row, key, "number"); });
      (row.getAttribute("data-term-list") || "").split("\n").forEach(function (t) { if (t) terms[t] = true; });
    });
    totals.terms = Object.keys(terms).length;
    Object.keys(totals).forEach(function (key) {
      var cell = table.querySelector('[data-total="' + key + '"]');
      if (cell) cell.textContent = String(totals[key]);
    });
    shown.textContent = totals.documents + " of " + rows.length + " documents";
  }

  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () { sortBy(th); });
  });
  filter.addEventListener("input", update);
  if (errorsOnly) errorsOnly.addEventListener("change", update);
  // The browser may put back the filter's text when the page is shown again.
  window.addEventListener("pageshow", update);
  update();
  document.documentElement.setAttribute("data-ready", "");
})();
