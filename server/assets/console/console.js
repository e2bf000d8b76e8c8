// Rentdesk console: the little script htmx does not do. Everything works without it (forms
// post, pages reload); with it the campaign page's counts update live from server-sent events.
(function () {
  "use strict";
  // htmx sends the session's CSRF token on every request it makes.
  document.body.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { e.detail.headers["X-CSRF-Token"] = meta.content; }
  });
  var live = document.querySelector("[data-progress-url]");
  if (live && window.EventSource) {
    var source = new EventSource(live.getAttribute("data-progress-url"));
    source.addEventListener("progress", function (e) {
      var p = JSON.parse(e.data);
      Object.keys(p.counts).forEach(function (k) {
        var cell = document.querySelector('[data-count="' + k + '"]');
        if (cell) { cell.textContent = p.counts[k]; }
      });
      var status = document.querySelector("[data-status]");
      if (status) { status.textContent = p.status; status.setAttribute("data-status", p.status); }
      var sup = document.querySelector("[data-suppressed]");
      if (sup) { sup.textContent = p.suppressed || "none"; }
      live.setAttribute("data-updated", String(Date.now()));
      if (p.over) { source.close(); }
    });
  }
})();
