/* SafeTrack report page: keep the status, the level, the acknowledge button and the latest trail
 * entries up to date without reloading (incidents/views/report_live.py has the fragment).
 *
 * The page works without this script (reload to see it move). The dashboard's rules apply: a part is
 * not swapped while someone is in the middle of something there (a confirmation open, focus inside a
 * form), polling pauses while the tab is hidden and refreshes as soon as it is shown again, it backs off
 * when the network fails and stops (saying so) when the answer is a login page, a 403 or a 404. What
 * changed is said to screen readers through a polite live region: the status, else the level, else the
 * newest trail entry.
 */
(function () {
  "use strict";

  var live = document.getElementById("report-live");
  if (!live || !window.fetch || !window.DOMParser) { return; }

  var url = live.getAttribute("data-live-url");
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

  function setStatus(text) {
    if (!status) { return; }
    status.hidden = !text;
    status.textContent = text || "";
  }

  function announce(state) {
    if (!announcer || !state) { return; }
    var text = "";
    if (state.getAttribute("data-status") !== live.getAttribute("data-status")) {
      text = state.getAttribute("data-status-text");
    } else if (state.getAttribute("data-level") !== live.getAttribute("data-level")) {
      text = state.getAttribute("data-level-text");
    } else if (parseInt(state.getAttribute("data-latest-seq"), 10) > parseInt(live.getAttribute("data-latest-seq"), 10)) {
      text = state.getAttribute("data-latest-text");
    }
    ["data-status", "data-level", "data-latest-seq"].forEach(function (name) {
      live.setAttribute(name, state.getAttribute(name));
    });
    if (text) { announcer.textContent = text; }
  }

  function swap(doc) {
    doc.querySelectorAll("[data-part]").forEach(function (fresh) {
      var name = fresh.getAttribute("data-part");
      var current = document.querySelector('[data-part="' + name + '"]');
      if (current && !busy(current) && current.innerHTML !== fresh.innerHTML) {
        current.innerHTML = fresh.innerHTML;
      }
    });
    var earlier = doc.querySelector('[data-part="timeline-earlier"]');
    var details = document.querySelector("[data-earlier]");
    if (earlier && details) {
      details.hidden = (parseInt(earlier.getAttribute("data-count"), 10) || 0) === 0;
    }
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (!stopped && !document.hidden) { timer = setTimeout(refresh, delay); }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok || response.headers.get("X-SafeTrack-Fragment") !== "report") {
          if (response.redirected || response.status === 403 || response.status === 404) {
            stopped = true;
            setStatus(live.getAttribute("data-stopped-text"));
          }
          throw new Error("no fragment");
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var state = doc.querySelector("[data-live-state]");
        swap(doc);
        announce(state);
        failures = 0;
        setStatus("");
        schedule(seconds * 1000);
      })
      .catch(function () {
        failures += 1;
        if (!stopped) {
          setStatus(live.getAttribute("data-offline-text"));
          schedule(Math.min(seconds * 1000 * Math.pow(2, failures), 60000));
        }
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { clearTimeout(timer); } else { schedule(0); }
  });
  schedule(seconds * 1000);
})();
