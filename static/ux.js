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

  // The inspection form: a finding's 检查项 list shows only the chosen 评议方面's items (labels read
  // "方面：检查项"), and its 问题来源 follows the 检查方式 until the user picks one.
  function narrowItems(dimension) {
    var items = dimension.form && dimension.form.elements[dimension.name.replace(/dimension_id$/, "item_id")];
    if (!items) return;
    var prefix = dimension.value !== "0" ? dimension.options[dimension.selectedIndex].text + "：" : null;
    Array.prototype.forEach.call(items.options, function (option) {
      option.hidden = option.value !== "0" && prefix !== null && option.text.indexOf(prefix) !== 0;
    });
    if (items.selectedOptions[0] && items.selectedOptions[0].hidden) items.value = "0";
  }
  function followMethod(onlyNew) {
    var method = document.querySelector("form select[name=method]");
    if (!method) return;
    document.querySelectorAll('select[name$="-source"]').forEach(function (source) {
      var follow = onlyNew ? !source.dataset.seen : !source.dataset.picked;
      source.dataset.seen = "1";
      if (follow && source.querySelector('option[value="' + method.value + '"]')) source.value = method.value;
    });
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.name) return;
    if (/-dimension_id$/.test(el.name)) narrowItems(el);
    else if (/-source$/.test(el.name)) el.dataset.picked = "1";
    else if (el.name === "method") followMethod(false);
  });

  // Rows that save on change (/units: group and key flag) ask first and say what the change means;
  // "取消" puts the old value back and nothing is sent.
  window.addEventListener("change", function (event) {
    var el = event.target;
    var form = el.form;
    if (!form || !form.hasAttribute("data-confirm-change")) return;
    var unit = form.getAttribute("data-confirm-change");
    var message = null;
    if (el.tagName === "SELECT") {
      var old = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; })[0];
      var now = el.options[el.selectedIndex];
      if (old && old.value !== "0") {
        message = "将" + unit + "从“" + old.text + "”改到“" + now.text + "”：本年度该单位的检查清单评价、检查记录和反馈将由“" +
          now.text + "”负责，“" + old.text + "”的成员将不再能查看和评价该单位。确定修改？";
      }
    } else if (el.type === "checkbox") {
      message = el.checked ? "将" + unit + "设为本年度重点评议部门？综合评定时它将与其他重点评议部门一起排名。"
        : "取消" + unit + "的本年度重点评议部门标记？综合评定时它将回到本类单位中排名。";
    }
    if (message && !window.confirm(message)) {
      event.stopImmediatePropagation();
      if (el.type === "checkbox") el.checked = el.defaultChecked;
      else Array.prototype.forEach.call(el.options, function (o) { o.selected = o.defaultSelected; });
    }
  }, true);

  // The answer to a click appears where the user clicked: after an htmx answer, the row acted on is brought
  // back into view (it may have moved) and a message that landed at the top of the page, out of sight, is
  // shown at the bottom of the screen; a page opened at an anchor (…#documents) shows its messages there.
  var actedOn = null;
  window.addEventListener("submit", function (event) {
    var holder = event.target.closest && event.target.closest("tr[id], section[id], li[id]");
    actedOn = holder ? holder.id : null;
  }, true);
  function offScreen(el) {
    var box = el.getBoundingClientRect();
    return box.bottom < 0 || box.top > window.innerHeight;
  }
  function toast(flash) {
    var old = document.getElementById("toast");
    if (old) old.remove();
    var box = document.createElement("div");
    box.id = "toast";
    box.className = "toast";
    box.setAttribute("role", "status");
    Array.prototype.slice.call(flash.querySelectorAll(".flash")).forEach(function (f) { box.appendChild(f); });  // moved, not copied
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link toast-close";
    close.textContent = "关闭";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 10000);
  }
  document.addEventListener("htmx:after:settle", function () {
    var row = actedOn && document.getElementById(actedOn);
    if (row && offScreen(row)) row.scrollIntoView({block: "center"});
    actedOn = null;
    var flash = document.getElementById("flash");
    if (flash && flash.querySelector(".flash") && offScreen(flash)) toast(flash);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
    var flash = document.getElementById("flash");
    if (!target || !flash || !flash.querySelector(".flash")) return;
    var heading = target.querySelector("h2, h1");
    Array.prototype.slice.call(flash.querySelectorAll(".flash")).forEach(function (f) {
      if (heading) heading.insertAdjacentElement("afterend", f); else target.insertBefore(f, target.firstChild);
    });
  });

  function init(root) {
    labelTables(root);
    root.querySelectorAll("textarea[maxlength], input[maxlength]").forEach(counter);
    root.querySelectorAll('select[name$="-dimension_id"]').forEach(narrowItems);
  }
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    document.querySelectorAll('select[name$="-source"]').forEach(function (s) { s.dataset.seen = "1"; });
  });
  document.addEventListener("htmx:after:swap", function () { init(document); followMethod(true); });
})();
