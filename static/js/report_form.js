/* The report form: firearm and ignored-warning questions only for their categories (the ammunition then
   required by the browser too), severity raise-only, the department option only for confidential
   reports, thumbnails of the photos chosen, Enter in the earlier-report search searches, and no double
   sending. The form works without this script; the server checks everything again. */
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
  var previews = form.querySelector("[data-attachment-previews]");
  var search = form.querySelector("input[name=earlier_q]");
  var searchButton = form.querySelector("[data-earlier-search]");
  var severityTouched = false;

  function checked(name) {
    return form.querySelector("input[name=" + name + "]:checked");
  }

  function updateCategory() {
    var category = checked("category");
    var firearm = Boolean(category && category.dataset.firearm === "1");
    if (firearmFields) {
      firearmFields.hidden = !firearm;
      Array.prototype.forEach.call(firearmFields.querySelectorAll("[data-required-for-firearms]"), function (input) {
        input.required = firearm;
      });
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

  // A small picture (or the name, for a PDF) of every file chosen, so the reporter sees what goes with it.
  function updatePreviews() {
    if (!previews) {
      return;
    }
    previews.textContent = "";
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name=attachments]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        var item = document.createElement("div");
        item.className = "attachment-preview";
        if (/^image\//.test(file.type) && window.FileReader) {
          var img = document.createElement("img");
          img.alt = "";
          var reader = new FileReader();
          reader.onload = function () {
            img.src = reader.result;
          };
          reader.readAsDataURL(file);
          item.appendChild(img);
        }
        var name = document.createElement("div");
        name.textContent = file.name;
        item.appendChild(name);
        previews.appendChild(item);
      });
    });
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
    } else if (name === "attachments") {
      updatePreviews();
    }
  });

  if (search && searchButton) {
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        searchButton.click();
      }
    });
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.hasAttribute("data-earlier-search")) {
      return;
    }
    var button = form.querySelector("button[type=submit].btn-report");
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
  updatePreviews();
})();
