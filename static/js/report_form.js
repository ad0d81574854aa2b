/* The report form: firearm and ignored-warning fields only for their categories, severity raise-only,
   the department option only for confidential reports, and no double sending. The form works without
   this script; the server checks everything again. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("report-form");
  if (!form) {
    return;
  }
  var ORDER = { low: 0, medium: 1, high: 2, critical: 3 };
  var severity = form.querySelector("select[name=severity]");
  var firearmFields = form.querySelector("[data-firearm-fields]");
  var warningFields = form.querySelector("[data-warning-fields]");
  var injuryFields = form.querySelector("[data-injury-fields]");
  var injuries = form.querySelector("input[name=injuries]");
  var showDepartment = form.querySelector("[data-show-department]");
  var severityTouched = false;

  function checked(name) {
    return form.querySelector("input[name=" + name + "]:checked");
  }

  function updateCategory() {
    var category = checked("category");
    if (firearmFields) {
      firearmFields.hidden = !(category && category.dataset.firearm === "1");
    }
    if (warningFields) {
      warningFields.hidden = !(category && category.dataset.warning === "1");
    }
    if (!severity || !category) {
      return;
    }
    var floorName = category.dataset.defaultSeverity;
    var floor = ORDER[floorName];
    Array.prototype.forEach.call(severity.options, function (option) {
      // The blank "usual severity" choice is for pages without this script.
      option.disabled = !option.value || ORDER[option.value] < floor;
    });
    if (!severityTouched || !severity.value || ORDER[severity.value] < floor) {
      severity.value = floorName;
    }
  }

  function updateInjuries() {
    if (injuryFields && injuries) {
      injuryFields.hidden = !injuries.checked;
    }
  }

  function updateIdentity() {
    var identity = checked("identity");
    if (showDepartment) {
      showDepartment.hidden = !(identity && identity.value === "confidential");
    }
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "severity") {
      severityTouched = true;
    } else if (name === "category") {
      updateCategory();
    } else if (name === "injuries") {
      updateInjuries();
    } else if (name === "identity") {
      updateIdentity();
    }
  });

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) {
      return;
    }
    // After this tick, so the button's own submission still goes through.
    window.setTimeout(function () {
      button.disabled = true;
      if (button.dataset.sendingLabel) {
        button.textContent = button.dataset.sendingLabel;
      }
    }, 0);
  });

  // A page re-shown after an error keeps a raised severity the reporter chose.
  severityTouched = Boolean(severity && severity.value);
  updateCategory();
  updateInjuries();
  updateIdentity();
})();
