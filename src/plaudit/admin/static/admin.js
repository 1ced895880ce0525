// Plaudit dashboard: small enhancements; every page works without them.
"use strict";
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // The menu is open on wide screens (a <details> that folds on phones).
    var menu = document.querySelector("details.menu");
    if (menu && window.matchMedia("(min-width: 721px)").matches) { menu.open = true; }

    // A select that submits its form when changed (the organization switcher).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
      var button = select.form.querySelector("button[type=submit]");
      if (button) { button.hidden = true; }
    });

    // Pages that follow a running job reload themselves until it ends.
    var refresh = document.querySelector("[data-refresh-seconds]");
    if (refresh) {
      var seconds = parseFloat(refresh.getAttribute("data-refresh-seconds")) || 2;
      window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  });
})();
