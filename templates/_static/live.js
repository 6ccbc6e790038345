/* podops: the live page reads the stream server's status (Icecast status-json.xsl) every
   data-refresh seconds: on air or not, listeners, the current title. When the status cannot be
   read (no statusUrl, CORS, offline, an http status on an https page) the page keeps the
   schedule it was built with, and the on-air mark follows the schedule and the clock. */
(function () {
  "use strict";

  var root = document.getElementById("live");
  var player = document.getElementById("live-player");
  if (!root || !player) {
    return;
  }
  var onAir = document.getElementById("on-air");
  var listeners = document.getElementById("listeners");
  var nowPlaying = document.getElementById("now-playing");
  var note = document.getElementById("live-status-note");
  var statusUrl = root.getAttribute("data-status-url");
  var mount = root.getAttribute("data-mount") || "/";
  var secure = root.getAttribute("data-secure-stream");
  var refresh = Math.min(30, Math.max(15, parseInt(root.getAttribute("data-refresh"), 10) || 20)) * 1000;
  var https = window.location.protocol === "https:";

  /* An https page cannot play an http stream: switch to the secure URL before anyone presses play. */
  if (https && secure && /^http:/i.test(player.getAttribute("src") || "")) {
    player.setAttribute("src", secure);
  }

  function show(live, count, title) {
    onAir.textContent = live ? "On air" : "Off air";
    onAir.classList.toggle("on-air--live", live);
    if (count === null) {
      listeners.hidden = true;
    } else {
      listeners.textContent = count + (count === 1 ? " listener" : " listeners");
      listeners.hidden = false;
    }
    nowPlaying.textContent = title ? "Now playing: " + title : "";
    nowPlaying.hidden = !title;
  }

  /* What the schedule says right now, by this browser's clock. */
  function scheduled() {
    var now = Date.now();
    return Array.prototype.some.call(document.querySelectorAll(".broadcast[data-start]"), function (item) {
      return Date.parse(item.getAttribute("data-start")) <= now && now < Date.parse(item.getAttribute("data-end"));
    });
  }

  function pathOf(url) {
    try {
      return new URL(url, window.location.href).pathname;
    } catch (error) {
      return "";
    }
  }

  /* icestats.source is an object with one mount, a list with several, absent with none. */
  function findSource(data) {
    var sources = data && data.icestats ? data.icestats.source : null;
    if (!sources) {
      return null;
    }
    if (!Array.isArray(sources)) {
      sources = [sources];
    }
    for (var i = 0; i < sources.length; i += 1) {
      if (sources[i] && pathOf(sources[i].listenurl) === mount) {
        return sources[i];
      }
    }
    return null;
  }

  function degrade() {
    show(scheduled(), null, "");
    note.hidden = false;
  }

  function poll() {
    if (!statusUrl || (https && /^http:/i.test(statusUrl)) || !window.fetch) {
      degrade();
      return;
    }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, 8000) : null;
    window.fetch(statusUrl, {cache: "no-store", mode: "cors", signal: controller ? controller.signal : undefined})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var source = findSource(data);
        var title = source ? [source.artist, source.title].filter(Boolean).join(" – ") : "";
        var count = source ? parseInt(source.listeners, 10) : 0;
        show(Boolean(source), isNaN(count) ? null : count, title);
        note.hidden = true;
      })
      .catch(degrade)
      .then(function () {
        if (timer) {
          window.clearTimeout(timer);
        }
      });
  }

  poll();
  window.setInterval(poll, refresh);
  /* Pressing play makes one more listener: count again once the server has seen the player. */
  player.addEventListener("playing", function () {
    window.setTimeout(poll, 2000);
  });
}());
