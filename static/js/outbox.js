/* Reports saved on this phone while there is no signal, and sending them when it comes back.

   Shared by the pages (js/offline_report.js saves, js/pwa.js lists and sends) and the service worker
   (a Background Sync sends), so both use one store and one way of sending. Each draft keeps the
   idempotency key it was saved with: the server files one report per key, so a draft sent by the page
   and by the service worker at once, or sent again after its answer was lost, is filed once.

   A draft belongs to the account that saved it: it is only sent while that account is logged in. */
(function (root) {
  "use strict";

  var DB_NAME = "safetrack";
  var STORE = "drafts";
  var SYNC_TAG = "safetrack-outbox";
  var SESSION_URL = "/offline/session/";
  var SEND_TIMEOUT_MS = 60000;
  var sending = null;

  function open() {
    return new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function withStore(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : result);
        };
        tx.onerror = tx.onabort = function () {
          db.close();
          reject(tx.error);
        };
      });
    });
  }

  function all() {
    return withStore("readonly", function (store) {
      return store.getAll();
    }).then(function (drafts) {
      return (drafts || []).sort(function (a, b) {
        return a.savedAt < b.savedAt ? -1 : 1;
      });
    });
  }

  function put(draft) {
    draft.updatedAt = new Date().toISOString();
    return withStore("readwrite", function (store) {
      store.put(draft);
    }).then(notify);
  }

  function remove(key) {
    return withStore("readwrite", function (store) {
      store.delete(key);
    }).then(notify);
  }

  function notify() {
    // Pages listing the drafts redraw: told by an event in a page, by a message from the service worker.
    if (root.clients && typeof root.clients.matchAll === "function") {
      return root.clients.matchAll({ type: "window" }).then(function (pages) {
        pages.forEach(function (page) {
          page.postMessage({ type: "outbox" });
        });
      });
    }
    if (typeof root.dispatchEvent === "function" && typeof root.CustomEvent === "function") {
      root.dispatchEvent(new root.CustomEvent("safetrack-outbox"));
    }
  }

  function session() {
    return fetch(SESSION_URL, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.status === 401) {
          return null;
        }
        if (!response.ok) {
          throw new Error("session " + response.status);
        }
        return response.json();
      }
    );
  }

  function formData(draft, csrf) {
    var data = new FormData();
    draft.fields.forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
    draft.files.forEach(function (file) {
      data.append(file.field, new File([file.blob], file.name, { type: file.type }));
    });
    data.append("csrfmiddlewaretoken", csrf);
    return data;
  }

  function sendOne(draft, csrf) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(draft.action, {
      method: "POST",
      body: formData(draft, csrf),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      clearTimeout(timer);
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        return null; // logged out, a proxy's page, a server error: try again later
      }
      return response.json().then(function (answer) {
        if (response.ok && answer.report) {
          draft.status = "sent";
          draft.report = answer.report;
          draft.url = answer.url;
          draft.receipt = answer.receipt || "";
          draft.files = []; // sent: the photos need not take room on the phone any more
          return put(draft);
        }
        if (response.status === 400 && answer.errors) {
          draft.status = "refused";
          draft.errors = answer.errors;
          return put(draft);
        }
        return null;
      });
    }, function () {
      clearTimeout(timer); // no signal after all: it stays waiting
      return null;
    });
  }

  /* Send every waiting draft of the account logged in here; resolves when done. One run at a time per
     page or worker (the server still files once if a page and the worker run together). */
  function sendAll() {
    if (sending) {
      return sending;
    }
    sending = all().then(function (drafts) {
      var waiting = drafts.filter(function (draft) {
        return draft.status === "waiting";
      });
      if (!waiting.length) {
        return null;
      }
      return session().then(function (who) {
        if (!who || !who.user) {
          return null;
        }
        return waiting.filter(function (draft) {
          return String(draft.owner) === String(who.user);
        }).reduce(function (chain, draft) {
          return chain.then(function () {
            return sendOne(draft, who.csrf);
          });
        }, Promise.resolve());
      });
    }).catch(function () {
      return null;
    }).then(function () {
      sending = null;
    });
    return sending;
  }

  function askForSync() {
    if (!root.navigator || !("serviceWorker" in root.navigator)) {
      return Promise.resolve(false);
    }
    return root.navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync && typeof registration.sync.register === "function") {
        return registration.sync.register(SYNC_TAG).then(function () { return true; }, function () { return false; });
      }
      return false;
    });
  }

  root.SafeTrackOutbox = {
    SYNC_TAG: SYNC_TAG,
    all: all,
    put: put,
    remove: remove,
    sendAll: sendAll,
    askForSync: askForSync,
  };
})(self);
