// Template builder: conveniences only; the form works without them.
"use strict";
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // "Add a language / skill / field": a new numbered row from the page's <template>.
  function addRows() {
    document.querySelectorAll("button[data-add-row]").forEach(function (button) {
      var section = button.getAttribute("data-add-row");
      var rows = document.querySelector('[data-rows="' + section + '"]');
      var blank = document.getElementById("new-" + section);
      if (!rows || !blank) { return; }
      var limit = parseInt(rows.getAttribute("data-limit"), 10) || 10;
      function count() { return rows.querySelectorAll("[data-row]").length; }
      function refresh() { button.hidden = count() >= limit; }
      button.addEventListener("click", function () {
        if (count() >= limit) { return; }
        var html = blank.innerHTML.split("__i__").join(String(count()));
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var row = holder.firstElementChild;
        rows.appendChild(row);
        var first = row.querySelector("input, textarea, select");
        if (first) { first.focus(); }
        refresh();
      });
      refresh();
    });
  }

  // The badge preview follows what is typed in the language it shows.
  function livePreview() {
    var card = document.getElementById("badge-preview");
    if (!card) { return; }
    var source = card.getAttribute("data-source") || "";
    var fallback = { name: "(no name yet)", description: "", criteria: "—" };
    card.querySelectorAll("[data-preview]").forEach(function (target) {
      var key = target.getAttribute("data-preview");
      var input = document.getElementById("f-" + source + key);
      if (!input) { return; }
      input.addEventListener("input", function () {
        target.textContent = input.value.trim() || fallback[key] || "";
      });
    });
    var file = document.getElementById("f-image");
    var image = document.getElementById("preview-image");
    var none = document.getElementById("preview-no-image");
    if (file && image && window.FileReader) {
      file.addEventListener("change", function () {
        var chosen = file.files && file.files[0];
        if (!chosen || chosen.type.indexOf("image/") !== 0) { return; }
        var reader = new FileReader();
        reader.addEventListener("load", function () {
          image.src = String(reader.result);
          image.hidden = false;
          if (none) { none.hidden = true; }
        });
        reader.readAsDataURL(chosen);
      });
    }
  }

  ready(function () {
    addRows();
    livePreview();
  });
})();
