/* On every page: the service worker, sending the reports saved on this phone when there is signal, and,
   on the home page, the list of those reports and the "Add SafeTrack to your home screen" button (where
   the browser offers installing). Needs js/outbox.js and the JavaScript catalog (gettext). */
(function () {
  "use strict";
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var outbox = window.SafeTrackOutbox;
  var owner = (document.querySelector("meta[name=safetrack-user]") || {}).content || "";
  var home = window.location.pathname === "/" ? document.getElementById("main") : null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Keep this page and the report forms it links to, so they open without signal later.
      if (home && owner && registration.active) {
        var urls = Array.prototype.map.call(document.querySelectorAll("a[href^='/reports/new/']"), function (a) {
          return a.getAttribute("href");
        });
        registration.active.postMessage({ type: "keep-pages", urls: urls.concat(["/", "/reports/new/"]) });
      }
    }).catch(function () {});
  }

  if (!outbox || !window.indexedDB) {
    return;
  }

  function sendWaiting() {
    if (navigator.onLine !== false && owner) {
      outbox.sendAll();
    }
  }
  window.addEventListener("online", sendWaiting);
  sendWaiting();

  if (home) {
    installButton();
  }
  if (!owner) {
    waitingForLogin();
    return;
  }
  if (!home) {
    return;
  }

  // --- the home page: reports waiting on this phone ----------------------------------------------
  var section = document.createElement("section");
  section.className = "outbox mb-4";
  section.id = "outbox";
  section.setAttribute("aria-labelledby", "outbox-title");
  section.hidden = true;
  var heading = document.createElement("h2");
  heading.className = "h5";
  heading.id = "outbox-title";
  heading.textContent = gettext("Reports saved on this phone");
  var list = document.createElement("ul");
  list.className = "list-group";
  list.setAttribute("aria-live", "polite");
  section.appendChild(heading);
  section.appendChild(list);
  var title = home.querySelector("h1");
  if (title) {
    title.insertAdjacentElement("afterend", section);
  } else {
    home.insertBefore(section, home.firstChild);
  }

  function when(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : date.toLocaleString(document.documentElement.lang || undefined, {
      dateStyle: "short",
      timeStyle: "short",
    });
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-secondary ms-2";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function row(draft) {
    var li = document.createElement("li");
    li.className = "list-group-item";
    li.dataset.draft = draft.key;
    li.dataset.status = draft.status;
    var title = document.createElement("strong");
    title.textContent = draft.title || gettext("Untitled report");
    li.appendChild(title);
    var line = document.createElement("div");
    line.className = "small";
    var saved = interpolate(gettext("Saved on this phone at %(when)s."), { when: when(draft.savedAt) }, true);
    if (draft.status === "sent") {
      var link = document.createElement("a");
      link.href = draft.url;
      link.textContent = interpolate(gettext("Sent: report #%(number)s"), { number: draft.report }, true);
      line.appendChild(link);
      line.appendChild(document.createTextNode(" · " + saved));
      if (draft.receipt) {
        var receipt = document.createElement("div");
        receipt.className = "mt-1";
        receipt.textContent = interpolate(
          gettext("Receipt code, to follow it up anonymously (write it down, it is shown only here): %(code)s"),
          { code: draft.receipt }, true);
        line.appendChild(receipt);
      }
      line.appendChild(button(gettext("Hide"), function () { outbox.remove(draft.key); }));
    } else if (draft.status === "refused") {
      line.textContent = gettext("Not accepted:") + " " + (draft.errors || []).join(" ") + " " + saved;
      line.appendChild(button(gettext("Delete"), function () {
        if (window.confirm(gettext("Delete this report from the phone? It was never sent."))) {
          outbox.remove(draft.key);
        }
      }));
    } else {
      line.textContent = gettext("Waiting for signal: it will be sent automatically.") + " " + saved;
    }
    li.appendChild(line);
    return li;
  }

  function draw() {
    outbox.all().then(function (drafts) {
      var mine = drafts.filter(function (draft) { return String(draft.owner) === String(owner); });
      list.innerHTML = "";
      mine.forEach(function (draft) { list.appendChild(row(draft)); });
      section.hidden = mine.length === 0;
    });
  }
  window.addEventListener("safetrack-outbox", draw);
  if ("serviceWorker" in navigator) {
    // The service worker's sync writes to the same store: redraw when it may have.
    navigator.serviceWorker.addEventListener("message", draw);
    window.addEventListener("focus", draw);
  }
  draw();

  // --- signed out (a session that ended while reports waited): say they wait, never what they say ----
  function waitingForLogin() {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    outbox.all().then(function (drafts) {
      var waiting = drafts.filter(function (draft) { return draft.status !== "sent" && draft.status !== "refused"; });
      if (!waiting.length) {
        return;
      }
      var note = document.createElement("div");
      note.className = "alert alert-warning";
      note.id = "outbox-login";
      note.setAttribute("role", "status");
      note.textContent = interpolate(ngettext(
        "%(count)s report saved on this phone is waiting to be sent: log in with the account that saved it, and it is sent.",
        "%(count)s reports saved on this phone are waiting to be sent: log in with the account that saved them, and they are sent.",
        waiting.length), { count: waiting.length }, true);
      main.insertBefore(note, main.firstChild);
    });
  }

  // --- "Add SafeTrack to your home screen", where the browser offers it -----------------------------
  function installButton() {
    var installPrompt = null;
    var install = document.createElement("button");
    install.type = "button";
    install.className = "btn btn-outline-dark w-100 mb-4";
    install.id = "install-app";
    install.hidden = true;
    install.textContent = gettext("Add SafeTrack to your home screen");
    home.appendChild(install);
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      installPrompt = event;
      install.hidden = false;
    });
    install.addEventListener("click", function () {
      if (!installPrompt) {
        return;
      }
      installPrompt.prompt();
      installPrompt.userChoice.then(function () {
        installPrompt = null;
        install.hidden = true;
      });
    });
    window.addEventListener("appinstalled", function () {
      install.hidden = true;
    });
  }
})();
