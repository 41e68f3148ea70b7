// Small keyboard helpers; every page works without this script.
"use strict";
document.addEventListener("keydown", function (event) {
  // "/" jumps to the page's main search field, as in many search tools.
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var field = document.querySelector("[data-shortcut='/']");
  if (field) {
    event.preventDefault();
    field.focus();
    field.select();
  }
});
document.addEventListener("submit", function (event) {
  // A second click while the server is still answering would post the form twice.
  var form = event.target;
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
});
window.addEventListener("pageshow", function () {
  // Coming back to a page from the history: its forms may be sent again.
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
  });
});
