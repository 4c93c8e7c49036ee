// Print buttons and "select all" boxes: small behaviours that CSP forbids inline.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});

document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-check-all]")) return;
  var name = box.getAttribute("data-check-all");
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (el) {
    el.checked = box.checked;
  });
});
