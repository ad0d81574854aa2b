/* On every page: a form sent back with errors takes the focus to them, so a screen reader reads what is
   wrong and a keyboard starts there (without JavaScript the page still opens at the form, by its
   action's #fragment). The first in the page of: an error summary, a form's other errors, a field refused. */
(function () {
  "use strict";
  var ERRORS = "#form-errors, [data-error-summary], main form .alert-danger, main form .is-invalid, " +
    "main form .invalid-feedback";

  function focusErrors() {
    var target = document.querySelector(ERRORS);
    if (!target) {
      return;
    }
    if (target.classList.contains("invalid-feedback")) {
      var field = target.parentElement && target.parentElement.querySelector("input, select, textarea");
      target = field || target;
    }
    if (!target.matches("input, select, textarea, button, a[href]") && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }

  // After the load: the browser's own move to the page's #fragment would otherwise take the focus back.
  window.addEventListener("load", function () {
    window.setTimeout(focusErrors, 0);
  });
})();
