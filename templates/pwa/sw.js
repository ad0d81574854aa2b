{% autoescape off %}/* SafeTrack's service worker (served at /sw.js by incidents.views.pwa.service_worker).

   - The app shell (static files and the offline page) is cached at install, under a name carrying the
     version of those files; activating a new version deletes every older SafeTrack cache.
   - The home page and the report form are fetched from the network when there is signal (and a copy is
     kept), and from that copy when there is none, so a report can be written and saved offline.
   - Reports saved on the phone (IndexedDB, js/outbox.js) are sent by a Background Sync where the
     browser has one; the pages also send them on load and when the connection comes back.
   - Logging out deletes the kept pages: they show the person's productions. */
"use strict";

var VERSION = "{{ version }}";
var SHELL_CACHE = "safetrack-shell-" + VERSION;
var PAGES_CACHE = "safetrack-pages-" + VERSION;
var SHELL = {{ shell }};
var CACHED_PAGES = {{ cached_pages }};
var OFFLINE_URL = {{ offline_url }};
var STATIC_PREFIX = {{ static_prefix }};
var LOGOUT_URL = {{ logout_url }};
// Responses vary on the cookies and the language; a copy kept for this phone's person is the one to use
// offline even after a new cookie (the CSRF one, a language switch) changed the request's headers.
var MATCH = { ignoreVary: true };

importScripts({{ outbox_js }});

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(SHELL);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("safetrack-") === 0 && name !== SHELL_CACHE && name !== PAGES_CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function isCachedPage(url) {
  return CACHED_PAGES.indexOf(url.pathname) !== -1;
}

function keepCopy(request, response) {
  // Only a page that really is the page: not a redirect to the login form, not an error.
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(PAGES_CACHE).then(function (cache) {
      return cache.put(request, copy);
    });
  }
  return response;
}

function fromCopy(request, fallbackToOffline) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request, MATCH);
  }).then(function (copy) {
    if (copy) {
      return copy;
    }
    if (fallbackToOffline) {
      return caches.match(OFFLINE_URL, MATCH);
    }
    return Response.error();
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === LOGOUT_URL) {
    event.respondWith(caches.delete(PAGES_CACHE).then(function () {
      return fetch(request);
    }));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(
      caches.match(request, MATCH).then(function (cached) {
        return cached || fetch(request);
      })
    );
    return;
  }
  if (isCachedPage(url)) {
    event.respondWith(
      fetch(request).then(function (response) {
        return keepCopy(request, response);
      }, function () {
        return fromCopy(request, request.mode === "navigate");
      })
    );
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(function () {
        return caches.match(OFFLINE_URL, MATCH);
      })
    );
  }
});

// --- push notifications (incidents/notifications/push.py builds the payload) -------------------------

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: "SafeTrack", body: event.data ? event.data.text() : "" };
  }
  var options = {
    body: data.body || "",
    tag: data.tag,
    renotify: true,
    requireInteraction: data.severity === "critical",
    icon: SHELL.filter(function (url) { return url.indexOf("icon-192") !== -1; })[0],
    data: data,
    actions: data.acknowledge ? [{ action: "acknowledge", title: data.acknowledge }] : [],
  };
  event.waitUntil(self.registration.showNotification(data.title || "SafeTrack", options));
});

function openPage(url) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (pages) {
    for (var i = 0; i < pages.length; i++) {
      if (new URL(pages[i].url).pathname === url && "focus" in pages[i]) {
        return pages[i].navigate(url).then(function (page) { return page && page.focus(); });
      }
    }
    return self.clients.openWindow(url);
  });
}

/* "Acknowledge" on the notification: the report page's own acknowledge (same access checks, same
   service), posted with the logged-in person's session; then the report opens with the outcome. Not
   logged in here: the signed acknowledge link opens instead (it asks to log in, then to confirm). */
function acknowledge(data) {
  return fetch("/offline/session/", { credentials: "same-origin" }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (who) {
    if (!who || !who.user) {
      return openPage(data.acknowledge_link || data.url);
    }
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", who.csrf);
    body.append("next", data.url);
    return fetch(data.acknowledge_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": who.csrf },
      body: body,
    }).then(function () {
      return openPage(data.url);
    });
  }).catch(function () {
    return openPage(data.url);
  });
}

self.addEventListener("notificationclick", function (event) {
  var data = event.notification.data || {};
  event.notification.close();
  if (event.action === "acknowledge" && data.acknowledge_url) {
    event.waitUntil(acknowledge(data));
  } else if (data.url) {
    event.waitUntil(openPage(data.url));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === SafeTrackOutbox.SYNC_TAG) {
    event.waitUntil(SafeTrackOutbox.sendAll());
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-pages" && Array.isArray(data.urls)) {
    // The home page asks for the report forms it links to, so they open offline later.
    event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) {
      return Promise.all(data.urls.filter(function (href) {
        return isCachedPage(new URL(href, self.location.origin));
      }).map(function (href) {
        return fetch(href, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) {
            return cache.put(href, response);
          }
        }).catch(function () {});
      }));
    }));
  } else if (data.type === "send-outbox") {
    event.waitUntil(SafeTrackOutbox.sendAll());
  }
});
{% endautoescape %}
