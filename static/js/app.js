// Behaviour that needs JavaScript, kept out of the HTML for a strict CSP.
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  var zone = browserZone();

  // The server shows times in this zone when the member has not chosen one.
  if (zone && document.cookie.indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  }

  function fillZones(root) {
    root.querySelectorAll("[data-browser-tz]").forEach(function (el) {
      if (!zone || el.value) return;
      if (el.tagName === "SELECT" && !el.querySelector('option[value="' + CSS.escape(zone) + '"]')) return;
      el.value = zone;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { fillZones(document); });
  // After htmx replaces a box the keyboard was in (the RSVP box), keep focus there and
  // let screen readers hear its new status.
  var focusedBox = null;
  // An element with data-version (a live tally) never goes back in time: when what arrives
  // (a live message, or a member's own response that raced one) is older than what the page
  // shows, the page keeps its own copy.
  function keepNewer(fragment) {
    if (!fragment || !fragment.querySelectorAll) return;
    fragment.querySelectorAll("[data-version][id]").forEach(function (incoming) {
      var current = document.getElementById(incoming.id);
      if (!current || !current.hasAttribute("data-version")) return;
      if (Number(incoming.getAttribute("data-version")) < Number(current.getAttribute("data-version"))) {
        incoming.replaceWith(current.cloneNode(true));
      }
    });
  }
  document.addEventListener("htmx:before:swap", function (evt) {
    var tasks = evt.detail && evt.detail.tasks;
    if (tasks) tasks.forEach(function (task) { keepNewer(task.fragment); });
  });

  document.addEventListener("htmx:before:swap", function () {
    var active = document.activeElement;
    var box = active && active.closest ? active.closest("[id]") : null;
    focusedBox = box && box.id ? box.id : null;
  });
  document.addEventListener("htmx:after:swap", function (evt) {
    if (evt.target && evt.target.querySelectorAll) fillZones(evt.target);
    if (!focusedBox || document.activeElement !== document.body) return;
    var box = document.getElementById(focusedBox);
    if (!box) return;
    var target = box.querySelector("button, [tabindex='-1']") || box;
    if (target === box && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "-1");
    target.focus();
  });

  // Ask before destructive actions: the forms still post without JavaScript.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // Escape closes an open disclosure menu (Add to calendar) and returns focus to it.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    var open = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("details[open]") : null;
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });
})();
