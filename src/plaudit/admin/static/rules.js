// Plaudit dashboard, rules: the visual condition builder and the action rows.
// The JSON Logic textarea stays the source of truth: the builder reads it, shows it as form
// controls, and writes it back on every change. The server only ever receives the JSON.
// A condition the builder cannot show exactly stays editable as JSON, with a notice.
"use strict";
(function () {
  // Operators in plain words. "is" covers JSON Logic's "==" and "===" (and "is not" "!=" and
  // "!=="): a condition stored with the strict one keeps it while its operator is unchanged.
  var COMPARISONS = [
    ["==", "is"], ["!=", "is not"], [">", "is more than"], [">=", "is at least"],
    ["<", "is less than"], ["<=", "is at most"], ["in", "is one of"]
  ];
  var ORDERS = COMPARISONS.slice(0, 6);
  var LOOSE = { "===": "==", "!==": "!=" };
  var FIELDS = [
    "event.data.score", "event.data.max_score", "event.data.passed", "event.data.duration",
    "event.type", "event.id", "event.occurred_at", "event.source",
    "entity.id", "entity.type", "entity.title",
    "learner.id", "learner.email", "learner.first_name", "learner.last_name", "learner.locale"
  ];
  var HISTORY = [
    ["completed_all", "Completed all of"], ["completed_any", "Completed any of"],
    ["count", "Number of events"], ["best_score", "Best score"], ["holds_badge", "Holds the badge"]
  ];
  var GROUPS = { and: true, or: true };
  var serial = 0;

  // --- JSON helpers -----------------------------------------------------------------------

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function keys(o) { return Object.keys(o); }
  function only(o, key) { return isObject(o) && keys(o).length === 1 && keys(o)[0] === key; }
  function opOf(o) { return isObject(o) && keys(o).length === 1 ? keys(o)[0] : null; }
  function isText(v) { return typeof v === "string" && v.trim() !== ""; }
  function isScalar(v) { return v === null || ["string", "number", "boolean"].indexOf(typeof v) >= 0; }

  function equal(a, b) {
    if (a === b) { return true; }
    if (Array.isArray(a)) {
      if (!Array.isArray(b) || a.length !== b.length) { return false; }
      for (var i = 0; i < a.length; i++) { if (!equal(a[i], b[i])) { return false; } }
      return true;
    }
    if (isObject(a) && isObject(b)) {
      var ka = keys(a), kb = keys(b);
      if (ka.length !== kb.length) { return false; }
      return ka.every(function (k) { return Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]); });
    }
    return false;
  }

  // A value as typed: JSON when it parses (80, true, "80", ["a", "b"]), else the text itself.
  function valueText(v) {
    if (typeof v === "string") {
      try { JSON.parse(v); } catch (e) { return v; }
    }
    return JSON.stringify(v);
  }
  function typedValue(text) {
    try {
      var v = JSON.parse(text);
      if (isScalar(v) || (Array.isArray(v) && v.every(isScalar))) { return v; }
    } catch (e) { /* plain text */ }
    return text;
  }
  function listText(items) { return items.join(", "); }
  function textList(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(function (s) { return s; });
  }
  function listable(items) {
    return Array.isArray(items) && items.every(function (s) {
      return isText(s) && s === s.trim() && s.indexOf(",") < 0;
    });
  }

  // --- JSON Logic -> a tree of nodes the builder can show (null when it cannot) --------------

  function parseNode(logic) {
    var op = opOf(logic);
    if (op === null) { return null; }
    var arg = logic[op];
    if (GROUPS[op]) {
      if (!Array.isArray(arg)) { return null; }
      var children = arg.map(parseNode);
      if (children.some(function (c) { return c === null; })) { return null; }
      return { kind: "group", op: op, children: children, implicit: false };
    }
    if (op === "completed_all" || op === "completed_any") { return parseCompleted(op, arg); }
    if (op === "holds_badge") { return isText(arg) ? { kind: "holds_badge", template: arg, negate: false } : null; }
    if (op === "!" && only(arg, "holds_badge") && isText(arg.holds_badge)) {
      return { kind: "holds_badge", template: arg.holds_badge, negate: true };
    }
    if (LOOSE[op] || COMPARISONS.some(function (c) { return c[0] === op; })) {
      if (!Array.isArray(arg) || arg.length !== 2) { return null; }
      var left = arg[0], value = arg[1];
      if (!(isScalar(value) || (Array.isArray(value) && value.every(isScalar)))) { return null; }
      if (only(left, "var") && isText(left["var"])) {
        return { kind: "compare", op: LOOSE[op] || op, strict: LOOSE[op] ? op : null, field: left["var"], value: value };
      }
      var ordered = ORDERS.some(function (c) { return c[0] === op; });
      if (ordered && only(left, "count")) { return parseCount(left.count, op, value); }
      if (ordered && only(left, "best_score")) { return parseBest(left.best_score, op, value); }
    }
    return null;
  }

  function parseCompleted(op, arg) {
    if (listable(arg)) { return { kind: op, ids: arg, entityType: "", objectForm: false }; }
    if (!isObject(arg) || !listable(arg.entity_ids)) { return null; }
    if (keys(arg).some(function (k) { return k !== "entity_ids" && k !== "entity_type"; })) { return null; }
    if ("entity_type" in arg && !isText(arg.entity_type)) { return null; }
    return { kind: op, ids: arg.entity_ids, entityType: arg.entity_type || "", objectForm: true };
  }

  function parseCount(spec, op, value) {
    if (!isObject(spec)) { return null; }
    var node = { kind: "count", op: op, value: value, types: [], typeList: false, entityType: "", ids: [], within: "" };
    var ok = keys(spec).every(function (k) {
      var v = spec[k];
      if (k === "type" && isText(v)) { node.types = [v]; return true; }
      if (k === "type" && listable(v) && v.length) { node.types = v; node.typeList = true; return true; }
      if (k === "entity_type" && isText(v)) { node.entityType = v; return true; }
      if (k === "entity_ids" && listable(v) && v.length) { node.ids = v; return true; }
      if (k === "within" && isText(v)) { node.within = v; return true; }
      return false;
    });
    return ok ? node : null;
  }

  function parseBest(spec, op, value) {
    if (isText(spec)) { return { kind: "best_score", op: op, value: value, entity: spec, percent: false, objectForm: false, percentKey: false }; }
    if (!isObject(spec) || !isText(spec.entity_id)) { return null; }
    if (keys(spec).some(function (k) { return k !== "entity_id" && k !== "percent"; })) { return null; }
    if ("percent" in spec && typeof spec.percent !== "boolean") { return null; }
    return { kind: "best_score", op: op, value: value, entity: spec.entity_id, percent: !!spec.percent, objectForm: true, percentKey: "percent" in spec };
  }

  function parseRoot(logic) {
    if (logic === null || (isObject(logic) && keys(logic).length === 0)) {
      return { kind: "group", op: "and", children: [], implicit: true };
    }
    var node = parseNode(logic);
    if (node === null) { return null; }
    if (node.kind === "group") { return node; }
    return { kind: "group", op: "and", children: [node], implicit: true };
  }

  // --- the tree -> JSON Logic ----------------------------------------------------------------

  function one(key, value) { var o = {}; o[key] = value; return o; }

  function toLogic(node) {
    switch (node.kind) {
      case "group":
        return one(node.op, node.children.map(toLogic));
      case "compare":
        var op = node.strict && LOOSE[node.strict] === node.op ? node.strict : node.op;
        return one(op, [{ "var": node.field }, node.value]);
      case "completed_all":
      case "completed_any":
        if (!node.objectForm && !node.entityType) { return one(node.kind, node.ids); }
        var spec = { entity_ids: node.ids };
        if (node.entityType) { spec.entity_type = node.entityType; }
        return one(node.kind, spec);
      case "count":
        var count = {};
        if (node.types.length) { count.type = node.typeList || node.types.length > 1 ? node.types : node.types[0]; }
        if (node.entityType) { count.entity_type = node.entityType; }
        if (node.ids.length) { count.entity_ids = node.ids; }
        if (node.within) { count.within = node.within; }
        return one(node.op, [{ count: count }, node.value]);
      case "best_score":
        var best = node.entity;
        if (node.objectForm || node.percent) {
          best = { entity_id: node.entity };
          if (node.percentKey || node.percent) { best.percent = node.percent; }
        }
        return one(node.op, [{ best_score: best }, node.value]);
      case "holds_badge":
        var holds = { holds_badge: node.template };
        return node.negate ? { "!": holds } : holds;
    }
    return null;
  }

  function rootLogic(root) {
    if (!root.children.length) { return null; }
    if (root.implicit && root.children.length === 1) { return toLogic(root.children[0]); }
    return toLogic(root);
  }

  function fresh(kind) {
    switch (kind) {
      case "group": return { kind: "group", op: "and", children: [], implicit: false };
      case "compare": return { kind: "compare", op: "==", field: "", value: "" };
      case "completed_all":
      case "completed_any": return { kind: kind, ids: [], entityType: "", objectForm: false };
      case "count": return { kind: "count", op: ">=", value: 1, types: [], typeList: false, entityType: "", ids: [], within: "" };
      case "best_score": return { kind: "best_score", op: ">=", value: 80, entity: "", percent: false, objectForm: false, percentKey: false };
      case "holds_badge": return { kind: "holds_badge", template: "", negate: false };
    }
    return null;
  }

  // --- the builder -----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function Builder(fieldset) {
    this.fieldset = fieldset;
    this.textarea = fieldset.querySelector("textarea[name=condition]");
    this.jsonField = fieldset.querySelector(".condition-json");
    try { this.templates = JSON.parse(fieldset.getAttribute("data-templates") || "[]"); } catch (e) { this.templates = []; }
    this.notice = el("p", { "class": "notice cb-notice", role: "status", hidden: "" });
    this.toggle = el("button", { type: "button", "class": "small cb-toggle", "aria-pressed": "false", text: "JSON" });
    this.tree = el("div", { "class": "cb-tree" });
    var bar = el("div", { "class": "cb-toolbar" }, [
      el("span", { "class": "cb-title", text: "Condition builder" }), this.toggle
    ]);
    this.root = null;
    var anchor = this.jsonField;
    fieldset.insertBefore(bar, anchor);
    fieldset.insertBefore(this.notice, anchor);
    fieldset.insertBefore(this.tree, anchor);
    if (!document.getElementById("cb-fields")) {
      document.body.appendChild(el("datalist", { id: "cb-fields" }, FIELDS.map(function (f) { return el("option", { value: f }); })));
    }
    var self = this;
    this.toggle.addEventListener("click", function () {
      if (self.toggle.getAttribute("aria-pressed") === "true") { self.load(true); } else { self.showJson(""); }
    });
    this.load(false);
  }

  Builder.prototype.load = function (asked) {
    var text = this.textarea.value.trim();
    var logic = null;
    if (text) {
      try { logic = JSON.parse(text); } catch (e) {
        return this.showJson("This JSON does not parse (" + e.message + "): correct it here, then switch back to the builder.");
      }
    }
    var root = parseRoot(logic);
    var same = root !== null && (equal(rootLogic(root), logic) || (isObject(logic) && !keys(logic).length && !root.children.length));
    if (!same) {
      return this.showJson("The builder cannot show this condition exactly (it uses operators or shapes beyond comparisons, AND/OR groups and history checks): edit it as JSON.");
    }
    this.root = root;
    this.notice.hidden = true;
    this.jsonField.hidden = true;
    this.tree.hidden = false;
    this.toggle.setAttribute("aria-pressed", "false");
    this.toggle.textContent = "JSON";
    this.render();
    this.write();
    if (asked) { this.toggle.focus(); }
  };

  Builder.prototype.showJson = function (message) {
    this.notice.textContent = message;
    this.notice.hidden = !message;
    this.jsonField.hidden = false;
    this.tree.hidden = true;
    this.toggle.setAttribute("aria-pressed", "true");
    this.toggle.textContent = "Builder";
  };

  Builder.prototype.write = function () {
    var logic = rootLogic(this.root);
    this.textarea.value = logic === null ? "" : JSON.stringify(logic, null, 2);
  };

  Builder.prototype.changed = function () { this.write(); };

  Builder.prototype.rerender = function (focus) {
    this.write();
    this.render();
    if (focus) {
      var target = this.tree.querySelector("[data-node='" + focus + "'] input, [data-node='" + focus + "'] select");
      if (target) { target.focus(); }
    }
  };

  Builder.prototype.render = function () {
    this.tree.textContent = "";
    this.tree.appendChild(this.group(this.root, null));
  };

  Builder.prototype.id = function () { serial += 1; return "cb-" + serial; };

  Builder.prototype.labelled = function (label, control, extra) {
    var id = this.id();
    control.id = id;
    return el("div", { "class": "cb-control " + (extra || "") }, [el("label", { "for": id, text: label }), control]);
  };

  Builder.prototype.select = function (options, value, onChange) {
    var select = el("select", {}, options.map(function (o) { return el("option", { value: o[0], text: o[1] }); }));
    if (!options.some(function (o) { return o[0] === value; })) {
      select.appendChild(el("option", { value: value, text: value }));
    }
    select.value = value;
    select.addEventListener("change", function () { onChange(select.value); });
    return select;
  };

  Builder.prototype.input = function (value, onInput, attrs) {
    var input = el("input", attrs || { type: "text" });
    input.value = value;
    input.addEventListener("input", function () { onInput(input.value); });
    return input;
  };

  Builder.prototype.group = function (node, parent) {
    var self = this;
    var box = el("div", { "class": "cb-group" + (parent ? "" : " cb-root"), role: "group" });
    box.setAttribute("aria-label", parent ? "Group of conditions" : "Conditions");
    if (node.domId) { box.setAttribute("data-node", node.domId); }
    var head = el("div", { "class": "cb-head" });
    head.appendChild(this.labelled(parent ? "This group: match" : "Match", this.select(
      [["and", "all of these (AND)"], ["or", "any of these (OR)"]], node.op,
      function (v) { node.op = v; node.implicit = false; self.changed(); }
    )));
    if (parent) { head.appendChild(this.remover(parent, node, "Remove this group")); }
    box.appendChild(head);
    if (!node.children.length) {
      box.appendChild(el("p", { "class": "help cb-empty", text: parent
        ? "An empty group: add conditions to it, or remove it."
        : "No condition: the rule acts on every event its trigger matches." }));
    }
    var list = el("ul", { "class": "cb-children" });
    node.children.forEach(function (child) {
      list.appendChild(el("li", {}, [child.kind === "group" ? self.group(child, node) : self.leaf(child, node)]));
    });
    box.appendChild(list);
    var add = el("div", { "class": "cb-add" });
    [["compare", "Add condition"], ["completed_all", "Add history check"], ["group", "Add group"]].forEach(function (item) {
      var button = el("button", { type: "button", "class": "small", text: item[1] });
      button.addEventListener("click", function () {
        var made = fresh(item[0]);
        made.domId = self.id();
        node.children.push(made);
        self.rerender(made.domId);
      });
      add.appendChild(button);
    });
    box.appendChild(add);
    return box;
  };

  Builder.prototype.remover = function (parent, node, label) {
    var self = this;
    var button = el("button", { type: "button", "class": "small cb-remove", text: "Remove" });
    button.setAttribute("aria-label", label);
    button.addEventListener("click", function () {
      parent.children.splice(parent.children.indexOf(node), 1);
      self.rerender(null);
    });
    return button;
  };

  Builder.prototype.leaf = function (node, parent) {
    var self = this;
    var row = el("div", { "class": "cb-rule" });
    if (node.domId) { row.setAttribute("data-node", node.domId); }
    var change = function () { self.changed(); };
    if (node.kind === "compare") {
      row.appendChild(this.labelled("Field", this.input(node.field, function (v) { node.field = v.trim(); change(); },
        { type: "text", list: "cb-fields", placeholder: "event.data.score", autocomplete: "off", spellcheck: "false" }), "cb-wide"));
      row.appendChild(this.labelled("Operator", this.select(COMPARISONS, node.op, function (v) { node.op = v; change(); })));
      row.appendChild(this.labelled("Value", this.input(valueText(node.value), function (v) { node.value = typedValue(v); change(); })));
      row.appendChild(this.remover(parent, node, "Remove this condition"));
      return row;
    }
    row.classList.add("cb-history");
    row.appendChild(this.labelled("History check", this.select(HISTORY, node.kind, function (v) {
      var made = fresh(v);
      made.domId = node.domId;
      parent.children[parent.children.indexOf(node)] = made;
      self.rerender(null);
    })));
    if (node.kind === "completed_all" || node.kind === "completed_any") {
      row.appendChild(this.labelled("Entity ids (separated by commas)", this.input(listText(node.ids), function (v) { node.ids = textList(v); change(); }), "cb-wide"));
      row.appendChild(this.labelled("Entity type (optional)", this.input(node.entityType, function (v) { node.entityType = v.trim(); change(); })));
    } else if (node.kind === "count") {
      row.appendChild(this.labelled("Event types (optional)", this.input(listText(node.types), function (v) { node.types = textList(v); change(); }, { type: "text", placeholder: "mission.completed" })));
      row.appendChild(this.labelled("Within (optional)", this.input(node.within, function (v) { node.within = v.trim(); change(); }, { type: "text", placeholder: "P30D" })));
      row.appendChild(this.labelled("Entity ids (optional)", this.input(listText(node.ids), function (v) { node.ids = textList(v); change(); })));
      row.appendChild(this.labelled("Entity type (optional)", this.input(node.entityType, function (v) { node.entityType = v.trim(); change(); })));
      this.comparison(row, node, change);
    } else if (node.kind === "best_score") {
      row.appendChild(this.labelled("On entity id", this.input(node.entity, function (v) { node.entity = v.trim(); change(); }, { type: "text", placeholder: "quiz-7" })));
      var percent = el("input", { type: "checkbox" });
      percent.checked = node.percent;
      percent.addEventListener("change", function () { node.percent = percent.checked; change(); });
      row.appendChild(this.labelled("As a percentage", percent, "cb-check"));
      this.comparison(row, node, change);
    } else if (node.kind === "holds_badge") {
      var options = [["", "— choose a template —"]].concat(this.templates.map(function (t) { return [t.id, t.name]; }));
      row.appendChild(this.labelled("Template", this.select(options, node.template, function (v) { node.template = v; change(); }), "cb-wide"));
      var negate = el("input", { type: "checkbox" });
      negate.checked = node.negate;
      negate.addEventListener("change", function () { node.negate = negate.checked; change(); });
      row.appendChild(this.labelled("Does not hold it", negate, "cb-check"));
    }
    row.appendChild(this.remover(parent, node, "Remove this history check"));
    return row;
  };

  Builder.prototype.comparison = function (row, node, change) {
    row.appendChild(this.labelled("Operator", this.select(ORDERS, node.op, function (v) { node.op = v; change(); })));
    row.appendChild(this.labelled("Value", this.input(valueText(node.value), function (v) { node.value = typedValue(v); change(); }, { type: "text", inputmode: "decimal" })));
  };

  // --- action rows: show what the chosen action type needs ------------------------------------

  function actionRow(row) {
    var type = row.querySelector("[data-action-type]");
    var template = row.querySelector("[data-action-template]");
    var hint = row.querySelector("[data-fields-hint]");
    function update() {
      row.querySelectorAll("[data-for]").forEach(function (part) {
        part.hidden = part.getAttribute("data-for") !== type.value;
      });
      var option = template.options[template.selectedIndex];
      var fields = option ? option.getAttribute("data-fields") : "";
      if (hint) { hint.textContent = fields ? "This template's fields: " + fields : ""; }
    }
    type.addEventListener("change", update);
    template.addEventListener("change", function () {
      var option = template.options[template.selectedIndex];
      var kind = option ? option.getAttribute("data-kind") : null;
      if (kind === "certificate" && type.value === "award") { type.value = "issue_certificate"; }
      if (kind === "badge" && type.value === "issue_certificate") { type.value = "award"; }
      update();
    });
    update();
  }

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    document.querySelectorAll("[data-condition-editor]").forEach(function (fieldset) { fieldset.builder = new Builder(fieldset); });
    document.querySelectorAll("[data-action-row]").forEach(actionRow);
  });
})();
