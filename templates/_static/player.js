/* podops: small enhancements. Every link and field works without this script. */
(function () {
  "use strict";

  var player = document.getElementById("player");

  /* Chapter and transcript links point at the audio with a #t= media fragment; with a player
     on the page they seek it instead of leaving the page. */
  function seek(start) {
    if (!player || isNaN(start)) {
      return false;
    }
    player.currentTime = start;
    var playing = player.play();
    if (playing && playing.catch) {
      playing.catch(function () { /* autoplay refused: the position is still set */ });
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-start]");
    if (link && seek(parseFloat(link.getAttribute("data-start")))) {
      event.preventDefault();
    }
  });

  /* Mark the chapter being heard, for sighted and screen-reader users alike. */
  var chapters = Array.prototype.slice.call(document.querySelectorAll(".chapters a[data-start]"));
  if (player && chapters.length) {
    player.addEventListener("timeupdate", function () {
      var now = player.currentTime;
      var current = null;
      chapters.forEach(function (link) {
        if (parseFloat(link.getAttribute("data-start")) <= now + 0.05) {
          current = link;
        }
      });
      chapters.forEach(function (link) {
        if (link === current) {
          link.setAttribute("aria-current", "true");
        } else {
          link.removeAttribute("aria-current");
        }
      });
    });
  }

  /* A shared link may end in #t=SECONDS: start there. */
  var fragment = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (player && fragment) {
    var start = parseFloat(fragment[1]);
    if (player.readyState >= 1) {
      player.currentTime = start;
    } else {
      player.addEventListener("loadedmetadata", function () { player.currentTime = start; }, { once: true });
    }
  }

  /* Copy buttons stay hidden without JavaScript; the readonly fields can still be selected. */
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    var label = button.textContent;
    function done() {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    function fallback() {
      field.focus();
      field.select();
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (error) { /* the field is selected; the listener can copy it by hand */ }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
}());
