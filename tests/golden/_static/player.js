/* podops player: progressive enhancement over <audio data-player>. Without this script the
   browser's own controls stay, and every link and field still works. No framework, no network. */
(() => {
  "use strict";

  const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];
  const BACK = 15;
  const AHEAD = 30;
  const store = {  // localStorage may be off (private mode, a sandboxed iframe): then nothing is kept
    get(key) {
      try { return window.localStorage.getItem("podops:" + key); } catch (error) { return null; }
    },
    set(key, value) {
      try {
        if (value === null) {
          window.localStorage.removeItem("podops:" + key);
        } else {
          window.localStorage.setItem("podops:" + key, String(value));
        }
      } catch (error) { /* not kept: the player works all the same */ }
    },
  };

  const pad = (n) => String(n).padStart(2, "0");
  const clock = (value) => {
    const total = Math.max(0, Math.floor(value || 0));
    const hours = Math.floor(total / 3600);
    const rest = pad(Math.floor(total / 60) % 60) + ":" + pad(total % 60);
    return hours ? hours + ":" + rest : rest.replace(/^0(?=\d)/, "");
  };
  const speak = (value) => {  // "1 minute 5 seconds", for aria-valuetext
    const total = Math.max(0, Math.floor(value || 0));
    const parts = [[Math.floor(total / 3600), "hour"], [Math.floor(total / 60) % 60, "minute"], [total % 60, "second"]]
      .filter(([n], i) => n || i === 2).map(([n, unit]) => n + " " + unit + (n === 1 ? "" : "s"));
    return parts.join(" ");
  };
  const make = (tag, attributes, text) => {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => node.setAttribute(name, attributes[name]));
    if (text) {
      node.textContent = text;
    }
    return node;
  };
  const button = (name, label, text) => make("button", { type: "button", class: "pp__button pp__" + name,
                                                          "aria-label": label }, text);
  const quietly = (promise) => {
    if (promise && promise.catch) {
      promise.catch(() => { /* autoplay refused or the source failed: the position is still set */ });
    }
  };

  function enhance(audio) {
    let chapters = [];
    try {
      const data = document.getElementById(audio.getAttribute("data-chapters"));
      chapters = data ? JSON.parse(data.textContent) : [];
    } catch (error) { /* a theme's own markup: no chapter marks */ }
    const title = audio.getAttribute("data-title") || document.title;
    const key = "position:" + (audio.getAttribute("data-guid") || audio.currentSrc || audio.src);
    const duration = () => (isFinite(audio.duration) && audio.duration > 0 ? audio.duration
      : parseFloat(audio.getAttribute("data-duration")) || 0);

    const ui = make("div", { class: chapters.length ? "pp pp--chapters" : "pp", role: "group",
                             "aria-label": "Player: " + title });
    const play = button("play", "Play");
    play.appendChild(make("span", { class: "pp__icon", "aria-hidden": "true" }));
    const back = button("back", "Back " + BACK + " seconds", "−" + BACK);
    const ahead = button("ahead", "Forward " + AHEAD + " seconds", "+" + AHEAD);
    const timeline = make("div", { class: "pp__timeline" });
    const seek = make("input", { class: "pp__seek", type: "range", min: "0", max: "0", step: "1", value: "0",
                                 "aria-label": "Position in " + title });
    const marks = make("div", { class: "pp__marks" });
    const time = make("span", { class: "pp__time" }, "0:00");
    const speed = button("speed", "Playback speed");
    const chapter = make("p", { class: "pp__chapter" });
    const resume = make("p", { class: "pp__resume", hidden: "" });
    const resumeButton = make("button", { type: "button", class: "pp__button pp__resume-at" });
    const restart = make("button", { type: "button", class: "pp__button pp__restart" }, "Start over");
    timeline.append(seek, marks);
    resume.append(resumeButton, restart);
    ui.append(play, back, ahead, timeline, time, speed, chapter, resume);
    audio.after(ui);
    audio.controls = false;
    audio.classList.add("pp__audio");

    const goto = (seconds) => {
      const end = duration();
      audio.currentTime = Math.max(0, end ? Math.min(seconds, end) : seconds);
      show();
    };
    const skip = (delta) => goto(audio.currentTime + delta);
    const toggle = () => (audio.paused ? quietly(audio.play()) : audio.pause());
    const current = () => {
      let found = -1;
      chapters.forEach((c, i) => {
        if (c.start <= audio.currentTime + 0.05) {
          found = i;
        }
      });
      return found;
    };

    const rate = (value) => {
      audio.playbackRate = audio.defaultPlaybackRate = value;
      const text = String(value).replace(/^0\./, "0.") + "×";
      speed.textContent = text;
      speed.setAttribute("aria-label", "Playback speed " + text + ", change");
    };
    const saved = parseFloat(store.get("speed"));
    rate(SPEEDS.indexOf(saved) >= 0 ? saved : 1);
    speed.addEventListener("click", () => {
      const next = SPEEDS[(SPEEDS.indexOf(audio.playbackRate) + 1) % SPEEDS.length] || 1;
      rate(next);
      store.set("speed", next === 1 ? null : next);
    });

    const drawMarks = () => {
      const end = duration();
      marks.textContent = "";
      if (!end) {
        return;
      }
      chapters.forEach((c, i) => {
        const mark = make("button", { type: "button", class: "pp__mark", style: "left:" + (100 * c.start / end) + "%",
                                      "aria-label": "Chapter " + (i + 1) + ": " + c.title + " (" + clock(c.start) + ")",
                                      title: c.title, "data-start": String(c.start) });
        mark.addEventListener("click", () => { goto(c.start); quietly(audio.play()); });
        marks.appendChild(mark);
      });
    };

    let shownChapter = null;
    const show = () => {
      const end = duration();
      const now = audio.currentTime;
      seek.max = String(Math.ceil(end));
      seek.value = String(Math.floor(now));
      seek.style.setProperty("--done", (end ? 100 * now / end : 0) + "%");
      seek.setAttribute("aria-valuetext", speak(now) + (end ? " of " + speak(end) : ""));
      time.textContent = clock(now) + (end ? " / " + clock(end) : "");
      const index = current();
      if (index !== shownChapter) {
        shownChapter = index;
        chapter.textContent = index >= 0 ? chapters[index].title : "";
        chapter.hidden = index < 0;
        if (index >= 0) {
          chapter.prepend(make("span", { class: "pp__chapter-number" }, "Chapter " + (index + 1) + " of "
                                                                           + chapters.length + " · "));
        }
        Array.prototype.forEach.call(marks.children, (m, i) => m.classList.toggle("pp__mark--current", i === index));
      }
    };
    const state = () => {
      const playing = !audio.paused;
      play.setAttribute("aria-label", playing ? "Pause" : "Play");
      ui.classList.toggle("pp--playing", playing);
    };

    play.addEventListener("click", toggle);
    back.addEventListener("click", () => skip(-BACK));
    ahead.addEventListener("click", () => skip(AHEAD));
    seek.addEventListener("input", () => goto(parseFloat(seek.value)));
    audio.addEventListener("play", () => { state(); resume.hidden = true; });
    audio.addEventListener("pause", state);
    audio.addEventListener("durationchange", () => { drawMarks(); show(); });
    drawMarks();
    show();

    /* Where the listener stopped, per episode: saved every few seconds, on pause and on leaving. */
    let lastSave = 0;
    const remember = () => {
      const end = duration();
      const now = audio.currentTime;
      store.set(key, now > 1 && !(end && now > end - 2) && !audio.ended ? now.toFixed(1) : null);
      lastSave = now;
    };
    audio.addEventListener("timeupdate", () => {
      show();
      if (Math.abs(audio.currentTime - lastSave) >= 5) {
        remember();
      }
    });
    ["pause", "seeked", "ended"].forEach((name) => audio.addEventListener(name, remember));
    window.addEventListener("pagehide", remember);

    const start = () => {
      const fragment = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
      const position = parseFloat(store.get(key));
      if (fragment) {
        goto(parseFloat(fragment[1]));  // a shared link that starts at a moment wins
      } else if (position > 1 && position < duration() - 1) {
        goto(position);
        resumeButton.textContent = "Resume at " + clock(position);
        resume.hidden = false;
      }
    };
    resumeButton.addEventListener("click", () => { quietly(audio.play()); });
    restart.addEventListener("click", () => { goto(0); store.set(key, null); resume.hidden = true; play.focus(); });
    if (audio.readyState >= 1) {
      start();
    } else {
      audio.addEventListener("loadedmetadata", start, { once: true });
    }

    /* Lock screens and headsets (Media Session API): what plays, and the buttons they offer. */
    const session = navigator.mediaSession;
    if (session && window.MediaMetadata) {
      const art = audio.getAttribute("data-artwork");
      session.metadata = new window.MediaMetadata({
        title: title, artist: audio.getAttribute("data-show") || "", album: audio.getAttribute("data-show") || "",
        artwork: art ? [{ src: new URL(art, document.baseURI).href }] : [],
      });
      const chapterAt = (step) => () => {
        const next = chapters[current() + step];
        goto(next ? next.start : step < 0 ? 0 : duration());
      };
      const handlers = {
        play: () => quietly(audio.play()), pause: () => audio.pause(),
        seekbackward: (details) => skip(-((details && details.seekOffset) || BACK)),
        seekforward: (details) => skip((details && details.seekOffset) || AHEAD),
        seekto: (details) => goto(details.seekTime),
        previoustrack: chapters.length ? chapterAt(-1) : null, nexttrack: chapters.length ? chapterAt(1) : null,
      };
      Object.keys(handlers).forEach((action) => {
        try {
          session.setActionHandler(action, handlers[action]);
        } catch (error) { /* an action this browser does not know */ }
      });
      audio.addEventListener("timeupdate", () => {
        const end = duration();
        if (end && session.setPositionState) {
          try {
            session.setPositionState({ duration: end, playbackRate: audio.playbackRate,
                                       position: Math.min(audio.currentTime, end) });
          } catch (error) { /* a position the browser refuses, e.g. while the duration changes */ }
        }
      });
    }

    return { audio: audio, goto: goto, skip: skip, toggle: toggle };
  }

  const players = Array.prototype.map.call(document.querySelectorAll("audio[data-player]"), enhance);
  const player = players[0];

  /* Keyboard, for the page's first player: space (or k) plays or pauses, ← (j) goes back, → (l)
     forward. Never while typing in a field, never with a modifier, and space on a focused button
     or link presses that control instead. */
  document.addEventListener("keydown", (event) => {
    if (!player) {
      return;
    }
    const target = event.target;
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey
        || (target.closest && target.closest("input, textarea, select, [contenteditable]"))) {
      return;
    }
    const onControl = target.closest && target.closest("button, a, summary");
    if ((event.key === " " || event.key === "k") && !(onControl && event.key === " ")) {
      player.toggle();
    } else if (event.key === "ArrowLeft" || event.key === "j") {
      player.skip(-BACK);
    } else if (event.key === "ArrowRight" || event.key === "l") {
      player.skip(AHEAD);
    } else {
      return;
    }
    event.preventDefault();
  });

  /* Chapter and transcript links point at the audio with a #t= media fragment; with a player on
     the page they seek it instead of leaving the page. */
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-start]");
    const start = link && parseFloat(link.getAttribute("data-start"));
    if (player && link && !isNaN(start)) {
      event.preventDefault();
      player.goto(start);
      quietly(player.audio.play());
    }
  });

  /* Mark the chapter being heard in the chapter list, for sighted and screen-reader users alike. */
  const links = Array.prototype.slice.call(document.querySelectorAll(".chapters a[data-start]"));
  if (player && links.length) {
    player.audio.addEventListener("timeupdate", () => {
      const now = player.audio.currentTime;
      const heard = links.filter((link) => parseFloat(link.getAttribute("data-start")) <= now + 0.05).pop();
      links.forEach((link) => (link === heard ? link.setAttribute("aria-current", "true")
                                              : link.removeAttribute("aria-current")));
    });
  }

  /* Copy buttons stay hidden without JavaScript; the readonly fields can still be selected. */
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), (copy) => {
    const field = document.getElementById(copy.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    const label = copy.textContent;
    const done = () => {
      copy.textContent = "Copied";
      window.setTimeout(() => { copy.textContent = label; }, 2000);
    };
    const fallback = () => {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (error) { /* the field is selected; the listener can copy it by hand */ }
    };
    copy.hidden = false;
    copy.addEventListener("click", () => {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
})();
