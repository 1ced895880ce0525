// Events: while "Follow live" is on, fetch the same page every few seconds and swap in the
// new list (new rows highlighted). Without this script, a <noscript> refresh reloads the page.
"use strict";
(function () {
  function start() {
    var log = document.getElementById("event-log");
    if (!log || !log.hasAttribute("data-live-seconds")) { return; }
    var seconds = parseFloat(log.getAttribute("data-live-seconds")) || 5;
    var status = document.querySelector("[data-live-status]");
    var busy = false;

    function ids(root) {
      var seen = {};
      root.querySelectorAll("tr[data-id]").forEach(function (row) { seen[row.getAttribute("data-id")] = true; });
      return seen;
    }

    function say(text) { if (status) { status.textContent = text; } }

    function poll() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("event-log");
          if (!fresh) {
            say("Stopped following: sign in again to go on.");
            window.clearInterval(timer);
            return;
          }
          var before = ids(log);
          var added = 0;
          fresh.querySelectorAll("tr[data-id]").forEach(function (row) {
            if (!before[row.getAttribute("data-id")]) { row.classList.add("new"); added += 1; }
          });
          log.replaceChildren.apply(log, Array.prototype.slice.call(fresh.childNodes));
          // Announced (role=status) only when something changed, not every few seconds.
          if (added) { say("Following live: " + added + " new at " + new Date().toLocaleTimeString() + "."); }
        })
        .catch(function () { say("Following live: could not reach the server; trying again."); })
        .then(function () { busy = false; });
    }

    var timer = window.setInterval(poll, seconds * 1000);
  }
  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
