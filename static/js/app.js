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
  document.addEventListener("htmx:after:swap", function (evt) {
    if (evt.target && evt.target.querySelectorAll) fillZones(evt.target);
  });

  // Ask before cancelling an event: the form still posts without JavaScript.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.classList && form.classList.contains("cancel-form") &&
        !window.confirm("Cancel this event? Everyone who RSVP'd will be told.")) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);
})();
