/* SafeTrack: the receipt code's "Copy" and "Print" buttons (hidden without JavaScript; the code can
 * still be selected by hand, and the browser's Print command prints only the receipt card). */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function copyBySelection(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    return copied;
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      function done(ok) {
        status.textContent = button.getAttribute(ok ? "data-copied-text" : "data-failed-text");
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(copyBySelection(target)); });
      } else {
        done(copyBySelection(target));
      }
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
