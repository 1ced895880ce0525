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

// Bulk issuance preview: the "Issue N credentials" button counts what pressing it would issue
// as the rows flagged late are set to skip or not, and is disabled, with the reason beside it,
// while pressing it would issue nothing (every row skipped, or a file with errors whose
// invalid rows are not skipped: the server would refuse it).
(function () {
  var form = document.querySelector("[data-bulk-apply]");
  if (!form) { return; }
  var button = form.querySelector("[data-bulk-issue]");
  var why = form.querySelector("[data-bulk-why]");
  var skipInvalid = form.querySelector("#f-skip_invalid");
  var toIssue = parseInt(form.getAttribute("data-to-issue"), 10) || 0;
  var unlisted = parseInt(form.getAttribute("data-unlisted"), 10) || 0;

  function update() {
    var skipped = form.querySelectorAll("[data-late-line] input[type=radio][value=skip]:checked").length;
    var rest = form.querySelector("#f-late_default");
    if (rest && rest.value === "skip") { skipped += unlisted; }
    var n = Math.max(toIssue - skipped, 0);
    button.textContent = "Issue " + n + (n === 1 ? " credential" : " credentials");
    var reason = "";
    if (n === 0) {
      reason = "Every row left is set to be skipped: issuing would issue nothing.";
    } else if (skipInvalid && !skipInvalid.checked) {
      reason = "Tick \u201c" + skipInvalid.labels[0].textContent.trim() +
        "\u201d first: as it is, the file would be refused and nothing issued.";
    }
    button.disabled = reason !== "";
    if (reason) { button.setAttribute("aria-describedby", "issue-why"); }
    else { button.removeAttribute("aria-describedby"); }
    why.textContent = reason;
  }
  form.addEventListener("change", update);
  update();
})();
