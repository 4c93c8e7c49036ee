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
