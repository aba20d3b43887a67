// Jam and discussion pages: behaviour that needs JavaScript, kept out of the HTML for a strict CSP.
// Every form on these pages also works without it.
(function () {
  "use strict";

  var viewer = document.getElementById("jam-viewer");

  function viewerZone() {
    var zone = viewer && viewer.getAttribute("data-tz");
    if (zone) return zone;
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // Shared fragments (comments, pitches) are rendered once for everyone, in the event's zone;
  // show each time in the viewer's zone instead (profile setting, else the browser's).
  var formatter = null;
  try {
    formatter = new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      timeZone: viewerZone() || undefined, timeZoneName: "short"
    });
  } catch (e) {
    formatter = null;
  }

  function localTimes(root) {
    if (!formatter || !root.querySelectorAll) return;
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var part = {};
      formatter.formatToParts(when).forEach(function (p) { part[p.type] = p.value; });
      // The same shape as the server's: "Sat 6 Dec 2026, 15:00 CET".
      el.textContent = part.weekday + " " + part.day + " " + part.month + " " + part.year +
        ", " + part.hour + ":" + part.minute + " " + part.timeZoneName;
      el.removeAttribute("data-local");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  // Only times not yet shown locally carry data-local, so scanning the document is cheap.
  document.addEventListener("htmx:after:swap", function () { localTimes(document); });

  // Confirmation before withdrawing a pitch or deleting / hiding a comment: app.js asks for
  // every form with data-confirm.
})();
