// Live session pages (host console, audience view): the pitch timer counts down to the end the
// server decided, corrected by the server's clock so every screen reaches zero together; and
// each page reloads its own controls when the session changes.
(function () {
  "use strict";

  // The server's clock minus this one, in ms. Each stage says when the server rendered it; it
  // reaches us a little later (or much later, replayed after a reconnect), which only ever
  // makes the estimate too small: the largest one seen is the best.
  var offset = null;

  function learnClock(root) {
    root.querySelectorAll(".timer[data-now]:not([data-clock])").forEach(function (timer) {
      var serverNow = Date.parse(timer.getAttribute("data-now"));
      if (!isNaN(serverNow)) {
        var seen = serverNow - Date.now();
        offset = offset === null ? seen : Math.max(offset, seen);
      }
      timer.setAttribute("data-clock", "");
    });
  }

  // The page's live region for the timer sits outside the stage (which the stream replaces):
  // a screen reader announces a change in a region it already knows, not a new region.
  function cue(stage, text) {
    var region = document.getElementById(stage.id.replace(/^stage-/, "timer-cue-"));
    if (region && region.textContent !== text) region.textContent = text;
  }

  function show(timer, left) {
    var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    var value = timer.querySelector(".timer-value");
    if (value && value.textContent !== text) value.textContent = text;
    if (left === 0) timer.classList.add("timer-done");
  }

  function tick() {
    document.querySelectorAll(".stage").forEach(function (stage) {
      var timer = stage.querySelector(".timer[data-ends-at]");
      var ends = timer ? Date.parse(timer.getAttribute("data-ends-at")) : NaN;
      if (!isNaN(ends)) {
        show(timer, Math.max(0, Math.ceil((ends - (Date.now() + (offset || 0))) / 1000)));
      }
      // "Time's up" while the stage's timer is at zero; cleared once a new timer starts or the
      // stage moves on.
      cue(stage, stage.querySelector(".timer-done") ? "Time's up" : "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { learnClock(document); tick(); });
  document.addEventListener("htmx:after:swap", function () { learnClock(document); tick(); });
  window.setInterval(tick, 250);

  // Nobody upvotes their own question (the server refuses it too).
  var viewer = document.getElementById("jam-viewer");
  var me = viewer ? viewer.getAttribute("data-user-id") : "";
  function ownQuestions(root) {
    if (!me || !root.querySelectorAll) return;
    root.querySelectorAll('.question[data-author-id="' + me + '"] .upvote').forEach(function (form) {
      form.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { ownQuestions(document); });
  document.addEventListener("htmx:after:swap", function () { ownQuestions(document); });

  // The questions this viewer upvoted. Their own page and responses say (aria-pressed on the
  // button); the stream's one rendering for everyone does not, so it gets what we last knew.
  var upvoted = {};
  function pressedUpvotes(root) {
    if (!me || !root.querySelectorAll) return;
    root.querySelectorAll(".question .upvote button").forEach(function (button) {
      var item = button.closest(".question");
      if (!item) return;
      if (button.hasAttribute("aria-pressed")) {
        upvoted[item.id] = button.getAttribute("aria-pressed") === "true";
      } else {
        button.setAttribute("aria-pressed", upvoted[item.id] ? "true" : "false");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { pressedUpvotes(document); });
  document.addEventListener("htmx:after:swap", function () { pressedUpvotes(document); });

  var live = document.getElementById("live");
  if (live) {
    live.addEventListener("jam-questions", function () {
      if (window.mlcLive && document.getElementById("console")) window.mlcLive.reload(["#console"]);
    });
    // The session changed (another pitch, voting, the timer): the stage came with the message;
    // the controls differ per viewer, so each page fetches its own. The audience spreads its
    // reloads over a second; hosts reload at once.
    live.addEventListener("jam-session", function (evt) {
      if (!window.mlcLive) return;
      // A page that already shows the announced version (the acting host's console, an
      // audience view read after the change) keeps what it has, and what the member is doing.
      var announced = Number(evt.detail && evt.detail.data);
      function current(region) {
        return announced && Number(region.getAttribute("data-version")) >= announced;
      }
      var panel = document.getElementById("console");
      var audience = document.getElementById("audience");
      if (panel) {
        if (!current(panel)) window.mlcLive.reload(["#console"]);
      } else if (document.getElementById("projector")) {
        window.mlcLive.reload(["#projector"]);
      } else if (audience && !current(audience)) {
        window.setTimeout(function () {
          var region = document.getElementById("audience");
          if (region && !current(region)) window.mlcLive.reload(["#audience"]);
        }, Math.random() * 1000);
      }
    });
  }
})();
