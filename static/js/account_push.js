/* The account page's "Turn on push notifications on this phone": the browser asks for permission only
   when the button is tapped; the subscription goes to the server, which pushes through the browser's own
   push service. */
(function () {
  "use strict";
  var controls = document.getElementById("push-controls");
  var button = document.getElementById("push-on");
  var status = document.getElementById("push-status");
  var gettext = window.gettext || function (text) { return text; };
  if (!controls || !button) {
    return;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    status.textContent = gettext("This browser cannot receive push notifications. On an iPhone, add SafeTrack to the home screen first and open it from there.");
    return;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function csrf() {
    var match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function save(subscription) {
    return fetch(controls.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(subscription.toJSON()),
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.error || String(response.status));
        }
      });
    });
  }

  navigator.serviceWorker.ready.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (existing) {
    if (existing && Notification.permission === "granted") {
      status.textContent = gettext("Push notifications are on for this phone.");
      return save(existing); // the server may have dropped it (a push service said it was gone)
    }
    button.hidden = false;
  }).catch(function () {
    button.hidden = false;
  });

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error(gettext("Notifications are blocked for SafeTrack in this browser's settings."));
      }
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(controls.dataset.vapidKey),
      });
    }).then(save).then(function () {
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      status.textContent = gettext("Push notifications could not be turned on:") + " " + error.message;
    });
  });
})();
