/* SafeTrack dashboard: refresh the queue every few seconds without reloading the page.
 *
 * The page works without this script (reload to refresh; acknowledging is a plain form). With it, the
 * script fetches the queue fragment (same filters as the page) and swaps each [data-part] in place,
 * unless the user is in the middle of something there (a confirmation open, focus inside a form).
 * It pauses while the tab is hidden and refreshes as soon as it is shown again.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // Print buttons on the investigation record.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  var live = document.getElementById("dashboard-live");
  if (!live || !window.fetch || !window.DOMParser) { return; }

  var url = live.getAttribute("data-queue-url");
  var seconds = parseInt(live.getAttribute("data-poll-seconds"), 10) || 5;
  var status = live.querySelector("[data-refresh-status]");
  var announcer = live.querySelector("[data-announcer]");
  var timer = null;
  var failures = 0;
  var stopped = false;

  function busy(part) {
    if (part.querySelector("details[open]")) { return true; }
    var active = document.activeElement;
    return !!(active && active !== document.body && part.contains(active) && active.closest("form"));
  }

  function counts(root) {
    var section = root.querySelector("[data-count]");
    return section ? {
      open: parseInt(section.getAttribute("data-count"), 10) || 0,
      overdue: parseInt(section.getAttribute("data-overdue"), 10) || 0
    } : null;
  }

  function announce(before, after) {
    if (!announcer || !before || !after) { return; }
    if (after.open > before.open) {
      announcer.textContent = live.getAttribute("data-new-text") || "New report waiting for acknowledgement.";
    } else if (after.overdue > before.overdue) {
      announcer.textContent = live.getAttribute("data-overdue-text") || "A report is now overdue.";
    }
  }

  function setStatus(text) {
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text || "";
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (!stopped && !document.hidden) { timer = setTimeout(refresh, delay); }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.headers.get("X-SafeTrack-Fragment") !== "queue") {
          if (response.redirected || response.status === 403 || response.status === 404) {
            stopped = true;
            setStatus(live.getAttribute("data-stopped-text") || "Automatic refresh stopped: reload the page.");
          }
          throw new Error("no fragment");
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var before = counts(live);
        doc.querySelectorAll("[data-part]").forEach(function (fresh) {
          var name = fresh.getAttribute("data-part");
          var current = live.querySelector('[data-part="' + name + '"]');
          if (current && !busy(current) && current.innerHTML !== fresh.innerHTML) {
            current.innerHTML = fresh.innerHTML;
          }
        });
        announce(before, counts(live));
        failures = 0;
        setStatus("");
        schedule(seconds * 1000);
      })
      .catch(function () {
        failures += 1;
        if (!stopped) {
          setStatus(live.getAttribute("data-offline-text") || "Could not refresh; retrying.");
          schedule(Math.min(seconds * 1000 * Math.pow(2, failures), 60000));
        }
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { clearTimeout(timer); } else { schedule(0); }
  });
  schedule(seconds * 1000);
})();
