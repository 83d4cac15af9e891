/* Import pages: the resumable upload in parts and the live tracker of one import.
 *
 * Upload: the chosen file is sliced into parts (size given by the server) and each part is
 * POSTed with its byte offset; a part that fails is sent again after a pause, and the server's
 * offset always wins (a retried part is harmless, a gap is refused). The upload is remembered
 * in localStorage by file name, size and date: choosing the same file again after a reload or a
 * lost connection continues at the server's offset. Then "finish" and on to the mapping page.
 *
 * Tracker: progress arrives over the WebSocket /ws/progress/import.<id>/; when the socket
 * drops or cannot open, the JSON status endpoint is polled until it is back. Shown figures
 * never go backwards (a late or smaller message is ignored); the page starts from the
 * database's figures, so a reload or a tab opened later shows the truth at once.
 */
(function () {
  "use strict";

  var RETRY_PAUSES_MS = [1000, 2000, 4000, 8000, 15000, 30000, 30000, 30000];
  var COUNTS = ["done", "inserted", "updated", "unchanged", "duplicates", "errors"];

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (error) {
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function bytesText(n) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i ? n.toFixed(1) : String(n)) + " " + units[i];
  }

  // -- upload ------------------------------------------------------------------------------

  function Stop(message) { this.message = message; }

  /* One JSON request; network failures and 5xx answers are retried with growing pauses. */
  async function requestJson(url, options, onRetry) {
    for (var attempt = 0; ; attempt += 1) {
      var response = null;
      try {
        response = await fetch(url, Object.assign({ credentials: "same-origin" }, options, {
          headers: Object.assign({ "X-CSRFToken": csrfToken(), "Accept": "application/json" },
            (options && options.headers) || {}),
        }));
      } catch (error) {
        response = null;
      }
      if (response && response.status < 500) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") < 0) {
          throw new Stop("Your session has ended or you may no longer upload: sign in again, " +
            "then choose the same file to continue.");
        }
        return { status: response.status, body: await response.json() };
      }
      if (attempt >= RETRY_PAUSES_MS.length) {
        throw new Stop("The server cannot be reached. Choose the same file again later: the " +
          "upload continues where it stopped.");
      }
      if (onRetry) { onRetry(RETRY_PAUSES_MS[attempt]); }
      await sleep(RETRY_PAUSES_MS[attempt]);
    }
  }

  function uploadKey(file) {
    return "cmp-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  async function resumable(file) {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(uploadKey(file)) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.status_url) { return null; }
    var answer = await requestJson(saved.status_url, { method: "GET" });
    if (answer.status !== 200 || answer.body.size !== file.size) {
      localStorage.removeItem(uploadKey(file));
      return null;
    }
    return answer.body;
  }

  async function uploadFile(form, file, show) {
    var state = await resumable(file);
    if (state) {
      show(state.offset, "Resuming at " + bytesText(state.offset) + "…");
    } else {
      var fields = new FormData();
      fields.append("name", file.name);
      fields.append("size", String(file.size));
      var created = await requestJson(form.dataset.createUrl, { method: "POST", body: fields });
      if (created.status !== 201) { throw new Stop(created.body.error || "The upload was refused."); }
      state = created.body;
      localStorage.setItem(uploadKey(file), JSON.stringify(state));
    }
    var offset = state.offset;
    var began = Date.now();
    var sentNow = 0;
    while (!state.complete && offset < file.size) {
      var end = Math.min(offset + state.part_bytes, file.size);
      var answer = await requestJson(state.part_url + "?offset=" + offset, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: file.slice(offset, end),
      }, function (pause) {
        show(offset, "Connection lost; trying again in " + Math.round(pause / 1000) + " s…");
      });
      if (answer.status === 200) {
        sentNow += answer.body.offset - offset;
        offset = answer.body.offset;
      } else if (answer.status === 409 && answer.body.code === "offset") {
        offset = answer.body.offset; // the server's offset wins
      } else {
        throw new Stop(answer.body.error || "The part was refused.");
      }
      var seconds = Math.max((Date.now() - began) / 1000, 0.001);
      show(offset, bytesText(offset) + " of " + bytesText(file.size) + " · " +
        bytesText(Math.round(sentNow / seconds)) + "/s");
    }
    show(file.size, "Checking the file…");
    var finished = await requestJson(state.finish_url, { method: "POST" });
    if (finished.status !== 200) { throw new Stop(finished.body.error || "The upload could not be completed."); }
    localStorage.removeItem(uploadKey(file));
    show(file.size, "Uploaded. Opening the column mapping…");
    window.location.assign(finished.body.mapping_url);
  }

  function initUpload(form) {
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("button[type=submit]");
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("[role=progressbar]");
    var text = box.querySelector("[data-upload-status]");
    var busy = false;
    window.addEventListener("beforeunload", function (event) {
      if (busy) { event.preventDefault(); event.returnValue = ""; }
    });
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file || !window.fetch || !file.slice) { return; } // the plain form upload
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      button.disabled = true;
      box.hidden = false;
      text.classList.remove("error");
      var show = function (offset, message) {
        var percent = file.size ? Math.floor((100 * offset) / file.size) : 100;
        bar.firstElementChild.style.width = percent + "%";
        bar.setAttribute("aria-valuenow", String(percent));
        text.textContent = message;
      };
      uploadFile(form, file, show).catch(function (error) {
        text.textContent = error instanceof Stop ? error.message : "The upload stopped: " + error;
        text.classList.add("error");
      }).finally(function () {
        busy = false;
        button.disabled = false;
      });
    });
  }

  // -- tracker -----------------------------------------------------------------------------

  function initTracker(root) {
    var shown = JSON.parse(document.getElementById("import-initial").textContent);
    var labels = JSON.parse(document.getElementById("import-status-labels").textContent);
    var finishedStatuses = JSON.parse(document.getElementById("import-finished-statuses").textContent);
    var outcome = document.getElementById("import-outcome");
    var badge = document.querySelector("[data-import-status]");
    var note = document.querySelector("[data-import-message]");
    var mode = root.querySelector("[data-live-mode]");
    var socket = null;
    var pollTimer = null;
    var reconnects = 0;
    var stopped = false;
    var refreshedAt = 0;
    var refreshedDone = shown.done;
    // A failed import may be resumed: its page keeps watching until it runs again.
    var awaitingResume = shown.status === "FAILED" && root.dataset.resumable === "true";

    function isFinished(status) { return finishedStatuses.indexOf(status) >= 0; }
    function rank(status) { return isFinished(status) ? 2 : (status === "RUNNING" ? 1 : 0); }

    /* A message is shown only if nothing in it is older than what is shown. */
    function isNewer(message) {
      if (typeof message.done !== "number") { return false; }
      for (var i = 0; i < COUNTS.length; i += 1) {
        var name = COUNTS[i];
        if (typeof message[name] === "number" && message[name] < shown[name]) { return false; }
      }
      // A resumed import goes from FAILED back to RUNNING with its rows unchanged.
      var resumed = awaitingResume && message.status === "RUNNING";
      if (message.done === shown.done && message.status && !resumed &&
          rank(message.status) < rank(shown.status)) { return false; }
      return true;
    }

    function setField(name, text) {
      root.querySelectorAll("[data-field=" + name + "]").forEach(function (element) {
        element.textContent = text;
      });
    }

    function refreshOutcome() {
      refreshedAt = Date.now();
      refreshedDone = shown.done;
      if (window.htmx && outcome) { window.htmx.trigger(outcome, "import-refresh"); }
    }

    function render(message) {
      shown = Object.assign({}, shown, message);
      COUNTS.forEach(function (name) { setField(name, String(shown[name])); });
      setField("total", shown.total === null || shown.total === undefined ? "?" : String(shown.total));
      setField("rate", String(shown.rate));
      setField("percent", shown.percent === null || shown.percent === undefined ? "—" : shown.percent + " %");
      setField("eta_seconds", shown.eta_seconds === null || shown.eta_seconds === undefined ? "—" : shown.eta_seconds + " s");
      var bar = root.querySelector("[data-progress-bar]");
      var percent = shown.percent === null || shown.percent === undefined ? 0 : Math.min(shown.percent, 100);
      bar.style.width = percent + "%";
      bar.parentElement.setAttribute("aria-valuenow", String(percent));
      if (shown.status) {
        badge.className = "badge " + shown.status;
        badge.textContent = labels[shown.status] || shown.status;
      }
      if (typeof message.message === "string" && note) {
        note.textContent = message.message;
        note.hidden = !message.message;
      }
      if (shown.status === "RUNNING") { awaitingResume = false; }
      if (isFinished(shown.status)) {
        if (!stopped && !(awaitingResume && shown.status === "FAILED")) { finish(); }
      } else if (shown.done > refreshedDone && Date.now() - refreshedAt > 3000) {
        refreshOutcome(); // a chunk committed: its reconciliation row
      }
    }

    function receive(message) {
      if (isNewer(message)) { render(message); }
    }

    function poll() {
      fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (message) { if (message) { receive(message); } })
        .catch(function () { /* the next poll tries again */ });
    }

    function startPolling(every) {
      if (pollTimer) { clearInterval(pollTimer); }
      pollTimer = stopped ? null : setInterval(poll, every);
    }

    function setMode(text) { mode.textContent = text; }

    function finish() {
      stopped = true;
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
      if (socket) { socket.close(); socket = null; }
      setMode("finished");
      poll(); // the final message text
      refreshOutcome();
    }

    function connect() {
      if (stopped) { return; }
      if (!window.WebSocket) { setMode("polling"); startPolling(2000); return; }
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      try {
        socket = new WebSocket(scheme + window.location.host + root.dataset.wsPath);
      } catch (error) {
        socket = null;
        dropped();
        return;
      }
      socket.onopen = function () {
        reconnects = 0;
        setMode("live");
        poll(); // what happened while the socket was down
        startPolling(15000); // a slow safety net: the socket is the fast path
      };
      socket.onmessage = function (event) {
        try { receive(JSON.parse(event.data)); } catch (error) { /* not a progress message */ }
      };
      socket.onclose = function () {
        socket = null;
        dropped();
      };
    }

    function dropped() {
      if (stopped) { return; }
      setMode("polling");
      startPolling(2000);
      reconnects += 1;
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, Math.min(reconnects, 5))));
    }

    if (isFinished(shown.status) && !awaitingResume) { setMode("finished"); return; }
    connect();
  }

  function init() {
    var form = document.querySelector("[data-upload-form]");
    if (form) { initUpload(form); }
    var tracker = document.querySelector("[data-import-tracker]");
    if (tracker) { initTracker(tracker); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
