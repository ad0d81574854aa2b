/* The report form on a phone with bad or no signal (loaded after js/report_form.js and js/outbox.js).

   - Each draft gets its own idempotency key (a page the service worker kept offline would otherwise
     give every draft the same one), so the server files it once however often it is sent.
   - "Send" posts the form in the background. With no signal (or no answer in time) the report is saved
     on this phone instead, photos included, and sent when the signal comes back.
   - A form the service worker kept from earlier shows the phone's time as "when", not the time the copy
     was made; a time nobody typed is left out, so the server uses the time the draft was saved.
   Without this script the form posts as usual, with the key the server put in it. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch || !window.SafeTrackOutbox || !window.indexedDB || !window.FormData) {
    return;
  }
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (text) { return text; };
  var keyInput = form.querySelector("input[name=idempotency_key]");
  var savedAtInput = form.querySelector("input[name=saved_at]");
  var occurredAt = form.querySelector("input[name=occurred_at]");
  var attachments = form.querySelector("input[data-offline-max-bytes]");
  var button = form.querySelector("button[type=submit]");
  var buttonLabel = button ? button.textContent : "";
  var owner = (document.querySelector("meta[name=safetrack-user]") || {}).content || "";
  var maxBytes = Number(attachments && attachments.dataset.offlineMaxBytes) || 20 * 1024 * 1024;
  var SEND_TIMEOUT_MS = 45000;
  var SENT_KEY = "safetrack-sent-key:" + (form.getAttribute("action") || "");
  var occurredTyped = false;

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* The production's clock now, from the gap between the time the server wrote in the field (production
     time) and when it wrote it (UTC): the phone's own zone may differ. */
  function productionNow() {
    var rendered = Date.parse(occurredAt.dataset.renderedAt || "");
    var shown = Date.parse((occurredAt.defaultValue || "") + ":00Z");
    if (isNaN(rendered) || isNaN(shown)) {
      return null;
    }
    var offset = Math.round((shown - rendered) / 900000) * 900000; // zones move in quarter hours
    var now = new Date(Date.now() + offset);
    return now.getUTCFullYear() + "-" + pad(now.getUTCMonth() + 1) + "-" + pad(now.getUTCDate()) + "T" +
      pad(now.getUTCHours()) + ":" + pad(now.getUTCMinutes());
  }

  function freshDraft() {
    if (keyInput) {
      keyInput.value = newKey();
    }
    if (savedAtInput) {
      savedAtInput.value = "";
    }
    occurredTyped = false;
    if (occurredAt) {
      var now = productionNow();
      if (now) {
        occurredAt.value = now;
      }
    }
  }

  var status = document.createElement("div");
  status.className = "offline-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  form.parentNode.insertBefore(status, form);

  function say(kind, text, link) {
    status.innerHTML = "";
    var box = document.createElement("div");
    box.className = "alert alert-" + kind;
    var p = document.createElement("p");
    p.className = "mb-0 fw-semibold";
    p.textContent = text;
    box.appendChild(p);
    if (link) {
      var a = document.createElement("a");
      a.className = "alert-link";
      a.href = link.href;
      a.textContent = link.text;
      var more = document.createElement("p");
      more.className = "mb-0 mt-2";
      more.appendChild(a);
      box.appendChild(more);
    }
    status.appendChild(box);
    status.scrollIntoView({ block: "start" });
  }

  function busy(on) {
    if (!button) {
      return;
    }
    // Runs after report_form.js, which may disable the button itself on submit: undo that too.
    window.setTimeout(function () {
      button.disabled = on;
      button.textContent = on ? (button.dataset.sendingLabel || buttonLabel) : buttonLabel;
    }, 0);
  }

  function productionId() {
    var match = /[?&]production=(\d+)/.exec(form.getAttribute("action") || "");
    return match ? match[1] : "";
  }

  function chosenFiles() {
    // Every file input of the form (the camera's and the picker's share the name).
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name=attachments]"), function (input) {
      Array.prototype.push.apply(files, Array.prototype.slice.call(input.files || []));
    });
    return files;
  }

  function saveOnPhone(loggedOut) {
    var files = chosenFiles();
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    if (total > maxBytes) {
      say("danger", interpolate(
        gettext("These photos are too big to keep on the phone (%(size)s MB at most, all together). Remove some, or send it when you have signal."),
        { size: Math.floor(maxBytes / 1048576) }, true));
      return Promise.resolve(false);
    }
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string" || name === "csrfmiddlewaretoken" || name === "saved_at") {
        return;
      }
      if (name === "occurred_at" && !occurredTyped) {
        value = ""; // nobody typed a time: the server takes the time it was saved
      }
      fields.push([name, value]);
    });
    var savedAt = new Date().toISOString();
    fields.push(["saved_at", savedAt]);
    var titleInput = form.querySelector("input[name=title]");
    var draft = {
      key: keyInput ? keyInput.value : newKey(),
      owner: owner,
      production: productionId(),
      action: form.getAttribute("action"),
      title: titleInput ? titleInput.value : "",
      savedAt: savedAt,
      status: "waiting",
      fields: fields,
      files: files.map(function (file) {
        return { field: "attachments", name: file.name, type: file.type, blob: file };
      }),
    };
    return window.SafeTrackOutbox.put(draft).then(function () {
      form.reset();
      freshDraft();
      say(
        "warning",
        loggedOut
          ? gettext("You are logged out, so the report is saved on this phone: log in and it will be sent. Do not rely on it for an emergency: tell someone now.")
          : gettext("Saved on this phone. It will be sent as soon as you have signal. Do not rely on it for an emergency: tell someone now."),
        { href: "/", text: gettext("See the reports waiting on this phone") }
      );
      window.SafeTrackOutbox.askForSync();
      return true;
    }, function () {
      say("danger", gettext("This phone could not keep the report (its storage may be full). Tell someone on set now."));
      return false;
    });
  }

  function csrfFromCookie() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function rememberSent() {
    try {
      window.sessionStorage.setItem(SENT_KEY, keyInput ? keyInput.value : "");
    } catch (error) {
      // private mode without storage: "Back" then "Send" may file a second report, as without this script
    }
  }

  function sendNow() {
    rememberSent();
    var token = csrfFromCookie();
    var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (token && tokenInput) {
      tokenInput.value = token; // a form kept from earlier may carry an older token
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      window.clearTimeout(timer);
      var landed = new URL(response.url).pathname;
      if (response.redirected && /\/reports\/\d+\/filed\/$/.test(landed)) {
        window.location.assign(response.url);
        return;
      }
      if (response.redirected && landed.indexOf("/accounts/login/") === 0) {
        return saveOnPhone(true).then(function () { busy(false); });
      }
      // An error to show, the receipt of an anonymous report, a login page: let the browser post the
      // form as usual. The key is the same, so a report already filed is not filed again.
      busy(false);
      HTMLFormElement.prototype.submit.call(form);
    }, function () {
      window.clearTimeout(timer);
      return saveOnPhone().then(function () { busy(false); });
    });
  }

  if (occurredAt) {
    occurredAt.addEventListener("input", function () {
      occurredTyped = true;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    busy(true);
    if (navigator.onLine === false) {
      saveOnPhone().then(function () { busy(false); });
    } else {
      sendNow();
    }
  });

  // A fresh form gets its own key. One shown again after an error keeps the key it was sent with
  // (nothing was filed with it). One the browser fills in again on "Back" after it was sent gets that
  // key back (the browser restores what was typed, not the hidden key), so sending it again files
  // nothing twice.
  function chooseKey() {
    var title = form.querySelector("input[name=title]");
    var navigation = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var sentKey = null;
    try {
      sentKey = window.sessionStorage.getItem(SENT_KEY);
    } catch (error) {
      sentKey = null;
    }
    if (document.getElementById("form-errors")) {
      occurredTyped = true;
    } else if (sentKey && keyInput && title && title.value && navigation && navigation.type === "back_forward") {
      keyInput.value = sentKey;
      occurredTyped = true;
    } else {
      freshDraft();
    }
  }
  // The browser puts back what was typed only once the page has loaded.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      chooseKey();
    }
  });
})();
