// Bulk issuance: while a job runs, its progress page asks for its counts every 1.5 s and
// shows them; once the job ends the page reloads to show the outcome. Without this script a
// <noscript> refresh reloads the page instead.
"use strict";
(function () {
  var section = document.querySelector("[data-bulk-progress]");
  if (!section) { return; }
  var url = section.getAttribute("data-bulk-progress");
  var bar = section.querySelector("progress");
  var badge = section.querySelector("[data-bulk=status] .badge");

  function show(name, value) {
    var node = section.querySelector("[data-bulk=" + name + "]");
    if (node) { node.textContent = String(value); }
  }

  function poll() {
    window.fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (job) {
        if (job.done) { window.location.reload(); return; }
        show("processed_rows", job.processed_rows);
        show("total_rows", job.total_rows);
        show("percent", Math.round(job.progress * 100));
        show("issued", job.issued);
        show("skipped", job.skipped);
        show("failed", job.failed);
        if (bar) {
          bar.max = Math.max(job.total_rows, 1);
          bar.value = job.processed_rows;
        }
        if (badge && badge.textContent !== job.status) {
          // pending -> running: the sentence beside the badge changes too.
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(function () { window.location.reload(); }, 3000); });
  }
  window.setTimeout(poll, 1500);
})();
