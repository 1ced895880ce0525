// Plaudit dashboard, rules: the pickers' search boxes and the action rows' template lists.
// Everything here only narrows what the server already rendered: without scripts every entity
// and template is listed, and the forms post the same fields.
"use strict";
(function () {
  function words(text) { return text.toLowerCase().replace(/\s+/g, " ").trim(); }

  // A list of entities (checkboxes) with a search box that hides what does not match.
  function picker(box) {
    var search = box.querySelector("[data-picker-search]");
    var input = box.querySelector("[data-picker-input]");
    var none = box.querySelector("[data-picker-none]");
    var items = Array.prototype.slice.call(box.querySelectorAll("[data-picker-item]"));
    if (!search || !input) { return; }
    search.hidden = false;
    input.addEventListener("input", function () {
      var wanted = words(input.value);
      var shown = 0;
      items.forEach(function (item) {
        var box = item.querySelector("input");
        var match = !wanted || words(item.textContent).indexOf(wanted) >= 0 || (box && box.checked);
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown > 0; }
    });
    // Enter in the search box picks the only match instead of sending the form.
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") { return; }
      e.preventDefault();
      var visible = items.filter(function (item) { return !item.hidden; });
      if (visible.length >= 1) { visible[0].querySelector("input").focus(); }
    });
  }

  // A template list: only the kinds the chosen action takes (badges to award, certificates to
  // issue, any to revoke), and a search box before it.
  var KINDS = { award: "badge", issue_certificate: "certificate" };

  function searchable(select, filterKind) {
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    input.id = select.id + "-search";
    input.className = "template-search";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = "Search templates";
    label.className = "template-search-label";
    var wrap = document.createElement("div");
    wrap.className = "template-search-wrap";
    wrap.appendChild(label);
    wrap.appendChild(input);
    // Before the list's own label: "Search templates", then "Template" and its list.
    var own = select.parentNode.querySelector("label[for='" + select.id + "']");
    var before = own && own.parentNode === select.parentNode ? own : select;
    select.parentNode.insertBefore(wrap, before);
    function update() {
      var wanted = words(input.value);
      var kind = filterKind ? filterKind() : null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var okKind = !kind || option.getAttribute("data-kind") === kind || option.selected;
        var okText = !wanted || words(option.textContent).indexOf(wanted) >= 0 || option.selected;
        option.hidden = !(okKind && okText);
      });
    }
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); select.focus(); }
    });
    return update;
  }

  function actionRow(row, all) {
    var type = row.querySelector("[data-action-type]");
    var select = row.querySelector("[data-action-template]");
    if (!type || !select) { return; }
    // The server rendered the templates for the row's type; keep every template at hand so that
    // changing the type offers its own (drafts stay listed, not choosable, except to revoke).
    var chosen = select.value;
    Array.prototype.slice.call(select.options).forEach(function (option) {
      if (option.value) { select.removeChild(option); }
    });
    all.forEach(function (t) {
      if (t.status === "archived" && t.id !== chosen) { return; }
      var option = document.createElement("option");
      option.value = t.id;
      option.setAttribute("data-kind", t.kind);
      option.setAttribute("data-fields", t.fields || "");
      option.setAttribute("data-usable", t.usable ? "1" : "");
      option.textContent = t.label;
      option.selected = t.id === chosen;
      select.appendChild(option);
    });
    var update = searchable(select, function () { return KINDS[type.value] || null; });
    function usable() {
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var draft = !option.getAttribute("data-usable") && type.value !== "revoke";
        option.disabled = draft && !option.selected;
        var label = option.textContent.replace(/ \(publish it to use it\)$/, "");
        option.textContent = draft ? label + " (publish it to use it)" : label;
      });
      update();
    }
    type.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var kind = KINDS[type.value];
      if (option && option.value && kind && option.getAttribute("data-kind") !== kind) {
        select.value = "";
        select.dispatchEvent(new Event("change"));
      }
      usable();
    });
    usable();
  }

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    document.querySelectorAll("[data-picker]").forEach(picker);
    var holder = document.querySelector("[data-templates]");
    var all = [];
    if (holder) {
      try { all = JSON.parse(holder.getAttribute("data-templates")) || []; } catch (e) { all = []; }
    }
    document.querySelectorAll("[data-action-row]").forEach(function (row) { actionRow(row, all); });
    document.querySelectorAll("select[data-searchable]").forEach(function (select) { searchable(select, null); });
  });
})();
