// First-use helps for every page (CSP forbids inline scripts, so they live here):
// tables turn into labelled cards on a phone, forms warn before typed text is lost, text fields count down.
(function () {
  "use strict";

  // Phone cards: each cell learns its column's heading; app.css shows it before the value below 600 px.
  function labelTables(root) {
    root.querySelectorAll("table.table").forEach(function (table) {
      if (table.matches(".tally-grid, .matrix-table, [data-keep-table]")) return;
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) return;
      table.classList.add("cards");
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[column]) cell.setAttribute("data-label", heads[column]);
          column += cell.colSpan || 1;
        });
      });
    });
  }

  // A form holds unsaved changes when a field differs from what the page was served with.
  function changed(form) {
    var posts = (form.getAttribute("method") || "").toLowerCase() === "post" || form.hasAttribute("hx-post");
    if (!posts || form.hasAttribute("data-no-warn")) return false;
    return Array.prototype.some.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.type === "file") return el.files && el.files.length > 0;
      if (el.tagName === "SELECT") {
        var defaults = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; });
        if (!defaults.length) return !el.multiple && el.selectedIndex > 0;
        return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return el.value !== el.defaultValue;
    });
  }
  function changedForms(except) {
    return Array.prototype.filter.call(document.forms, function (f) { return f !== except && changed(f); });
  }

  var leaving = false;  // a form is being submitted: the page may go
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !changedForms(null).length) return;
    event.preventDefault();
    event.returnValue = "";  // the browser asks “离开此网站？”
  });

  // Before any other handler (confirmations run on document): a guarded action (e.g. 发送) first says
  // that another form holds unsaved changes; any other submission lets the page go without a warning.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-guard")) {
      var dirty = changedForms(form)[0];
      if (dirty) {
        event.preventDefault();
        event.stopImmediatePropagation();
        var label = dirty.getAttribute("data-track") || (dirty.querySelector("legend, h2, h3") || {}).textContent || "表单";
        window.alert("还有未保存的修改（" + label.trim() + "），请先点击该处的“保存”，再发送。");
        dirty.scrollIntoView({block: "center"});
        return;
      }
    }
    leaving = true;
    setTimeout(function () { leaving = false; }, 3000);  // a refused (422) or htmx answer keeps the page
  }, true);

  // Text limits: “限 200 字”, then “还可输入 12 字” near the end and “已达上限” at it.
  function counter(field) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    if (!max || field.dataset.counted || field.type === "hidden" || field.type === "password") return;
    if (field.type !== "textarea" && field.tagName !== "TEXTAREA" && max < 40) return;  // short codes, names
    field.dataset.counted = "1";
    var note = document.createElement("span");
    note.className = "char-count small muted";
    note.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", note);
    function update() {
      var left = max - field.value.length;
      note.textContent = left <= 0 ? "已达 " + max + " 字上限" : left <= Math.max(20, max / 5) ? "还可输入 " + left + " 字" : "限 " + max + " 字";
      note.classList.toggle("char-count-low", left <= Math.max(20, max / 5));
    }
    field.addEventListener("input", update);
    update();
  }

  function init(root) {
    labelTables(root);
    root.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(counter);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:after:swap", function () { init(document); });
})();
