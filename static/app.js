// Small behaviours that CSP forbids inline: confirmations, copy buttons.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]")) {
    var form = el.form;
    if (form && !form.hasAttribute("hx-post") && !form.hasAttribute("hx-get")) form.requestSubmit();
  }
});

// "Copy" buttons: select the target text and copy it (the clipboard API needs https, the intranet may not have it).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  source.focus();
  source.select();
  var done = function () { button.textContent = "已复制"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// Drafts of long field forms (data-draft="key") are kept in this browser while typing, so that a
// failed submission on a weak phone connection loses nothing; the saved page clears them.
(function () {
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "file" && el.type !== "submit" && el.type !== "hidden";
    });
  }
  function save(form) {
    var data = {};
    fields(form).forEach(function (el) { data[el.name] = el.type === "checkbox" ? el.checked : el.value; });
    try { localStorage.setItem("draft:" + form.dataset.draft, JSON.stringify(data)); } catch (e) { /* storage full or off */ }
  }
  function restore(form, data) {
    fields(form).forEach(function (el) {
      if (!(el.name in data)) return;
      if (el.type === "checkbox") el.checked = data[el.name]; else el.value = data[el.name];
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
      el.dataset.draftClear.split(" ").forEach(function (key) { localStorage.removeItem("draft:" + key); });
    });
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var stored = localStorage.getItem("draft:" + form.dataset.draft);
      if (stored && !form.querySelector(".error")) {
        var bar = document.createElement("div");
        bar.className = "flash flash-ok";
        bar.textContent = "本机暂存了上次未提交的内容。";
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = "恢复暂存内容";
        button.addEventListener("click", function () { restore(form, JSON.parse(stored)); bar.remove(); });
        bar.appendChild(button);
        form.parentNode.insertBefore(bar, form);
      }
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
    });
  });
})();

// A "select all" checkbox ticks every enabled checkbox of the given name.
document.addEventListener("change", function (event) {
  var name = event.target.getAttribute && event.target.getAttribute("data-select-all");
  if (!name) return;
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
    if (!box.disabled) box.checked = event.target.checked;
  });
});

// Forms marked data-track remember unsaved edits; a form marked data-guard (e.g. 发送) will not
// submit while another form on the page holds unsaved edits, so nothing typed is thrown away.
document.addEventListener("input", function (event) {
  var form = event.target.form;
  if (form && form.hasAttribute("data-track")) form.setAttribute("data-dirty", "1");
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.hasAttribute && form.hasAttribute("data-track")) form.removeAttribute("data-dirty");
  if (!form.hasAttribute || !form.hasAttribute("data-guard")) return;
  var dirty = document.querySelector("form[data-track][data-dirty]");
  if (dirty) {
    event.preventDefault();
    event.stopImmediatePropagation();
    window.alert("还有未保存的修改（" + (dirty.getAttribute("data-track") || "表单") + "），请先点击该处的“保存”。");
    dirty.scrollIntoView({block: "center"});
  }
}, true);

// The answer form shows only the fields of the chosen kind (限时解决 / 整改计划并承诺 / 政策性说明).
function showKindFields(form) {
  var checked = form.querySelector("input[name=kind]:checked");
  form.querySelectorAll("[data-kinds]").forEach(function (el) {
    el.hidden = !!checked && el.getAttribute("data-kinds").split(" ").indexOf(checked.value) < 0;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.name === "kind" && event.target.form) showKindFields(event.target.form);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-kind-fields]").forEach(showKindFields);
});

// Print buttons (code slips).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});

// Tally grids: each row's total beside it, flagged when above the questionnaires returned;
// Enter moves to the next cell as in a spreadsheet (the last one submits).
(function () {
  function refresh(form) {
    var ballots = parseInt((form.querySelector("[data-ballots]") || {}).value, 10);
    form.querySelectorAll("tr[data-row]").forEach(function (row) {
      var sum = 0;
      row.querySelectorAll("[data-count]").forEach(function (input) { sum += parseInt(input.value, 10) || 0; });
      var cell = row.querySelector("[data-sum]");
      if (!cell) return;
      cell.textContent = sum;
      cell.classList.toggle("over", !isNaN(ballots) && sum > ballots);
    });
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-tally]");
    if (form) refresh(form);
  });
  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form[data-tally]");
    if (!form || event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-ballots], input[data-count]"));
    var next = inputs[inputs.indexOf(event.target) + 1];
    if (next) { event.preventDefault(); next.focus(); next.select(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-tally]").forEach(refresh);
  });
})();

// Ballots entered one by one: on a question, a digit key picks that option (1 = the first; 0 = 未作答)
// and moves to the next question, so a clerk types a whole questionnaire as "1 2 1 1 …" and Enter.
document.addEventListener("keydown", function (event) {
  var form = event.target.closest && event.target.closest("form[data-ballot-keys]");
  if (!form || !/^[0-9]$/.test(event.key) || event.target.type !== "radio") return;
  var set = event.target.closest("fieldset");
  var radios = set.querySelectorAll("input[type=radio]");
  var pick = event.key === "0" ? radios[radios.length - 1] : radios[parseInt(event.key, 10) - 1];
  if (!pick) return;
  event.preventDefault();
  pick.checked = true;
  var sets = Array.prototype.slice.call(form.querySelectorAll("fieldset"));
  var next = sets[sets.indexOf(set) + 1];
  if (next) next.querySelector("input[type=radio]").focus();
  else form.querySelector("button[type=submit]").focus();
});
