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

  // --- live updates ------------------------------------------------------------------------
  // The stream sends one rendering for everyone; items it adds get the viewer's own controls
  // here. The server checks every action whatever this adds.

  var me = viewer ? viewer.getAttribute("data-user-id") : "";
  var moderator = viewer && viewer.getAttribute("data-can-moderate") === "true";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers:inherited"))["X-CSRFToken"];
    } catch (e) {
      return "";
    }
  }

  function postForm(url, label, extra, confirmText) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    form.className = "inline";
    form.setAttribute("hx-post", url);
    if (confirmText) form.setAttribute("data-confirm", confirmText);
    var fields = Object.assign({csrf_token: csrfToken()}, extra || {});
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link";
    button.textContent = label;
    form.appendChild(button);
    return form;
  }

  function decorateComment(item) {
    var comment = item.querySelector(".comment");
    if (!comment || item.querySelector(".comment-controls")) return;
    var id = comment.getAttribute("data-comment-id");
    var controls = document.createElement("div");
    controls.className = "comment-controls";
    controls.id = "comment-controls-" + id;
    var section = item.closest(".comments");
    var visible = !comment.querySelector(".comment-gone");
    if (me && visible && comment.getAttribute("data-author-id") === me) {
      // Editing ends with a cancelled event or a withdrawn pitch; deleting never does.
      if (!section || !section.hasAttribute("data-edits-closed")) {
        var edit = document.createElement("a");
        edit.href = "/comments/" + id + "/edit";
        edit.textContent = "Edit";
        controls.appendChild(edit);
      }
      var del = postForm("/comments/" + id + "/delete", "Delete", null, "Delete your comment?");
      if (section) {
        del.setAttribute("hx-target", "#" + section.id);
        del.setAttribute("hx-swap", "outerHTML");
      }
      controls.appendChild(del);
    }
    if (moderator && visible) {
      var hide = postForm("/comments/" + id + "/hide", "Hide", null,
        "Hide this comment? Its author is told.");
      if (section) {
        hide.setAttribute("hx-target", "#" + section.id);
        hide.setAttribute("hx-swap", "outerHTML");
      }
      controls.appendChild(hide);
    }
    comment.insertAdjacentElement("afterend", controls);
    if (window.htmx) htmx.process(controls);
  }

  // A top-level comment that arrived live gets the viewer's reply box, as on the page.
  var replyCount = 0;
  function replyBox(section, comment) {
    var id = comment.getAttribute("data-comment-id");
    var author = comment.querySelector(".comment-author");
    var details = document.createElement("details");
    details.className = "reply-box";
    var summary = document.createElement("summary");
    summary.textContent = "Reply";
    details.appendChild(summary);
    var url = section.getAttribute("data-post-url");
    var form = postForm(url, "Post reply", {parent_id: id});
    form.className = "stacked";
    form.setAttribute("hx-sync", "this:drop");
    form.setAttribute("hx-target", "#" + section.id);
    form.setAttribute("hx-swap", "outerHTML");
    form.setAttribute("novalidate", "");
    var field = document.createElement("div");
    field.className = "field";
    var label = document.createElement("label");
    var fieldId = "reply-body-" + id + "-" + (++replyCount);
    label.htmlFor = fieldId;
    label.textContent = "Your reply to " + (author ? author.textContent : "this comment");
    var body = document.createElement("textarea");
    body.id = fieldId;
    body.name = "body";
    body.rows = 3;
    field.appendChild(label);
    field.appendChild(body);
    var button = form.querySelector("button");
    button.className = "small";
    var row = document.createElement("p");
    row.appendChild(button);
    form.appendChild(field);
    form.appendChild(row);
    details.appendChild(form);
    return details;
  }

  function decorateReplies(item) {
    var comment = item.querySelector(".comment");
    var section = item.closest(".comments");
    if (!me || !comment || !section || section.hasAttribute("data-closed")) return;
    if (comment.hasAttribute("data-parent-id") || comment.querySelector(".comment-gone")) return;
    if (item.querySelector(".reply-box")) return;
    var box = replyBox(section, comment);
    item.appendChild(box);
    if (window.htmx) htmx.process(box);
  }

  // An offer that arrived live: accept (the pitch's author, on an open offer) or withdraw /
  // leave the team (the member who offered).
  function decorateOffer(item) {
    var offer = item.querySelector(".offer");
    var section = item.closest(".offers");
    if (!me || !offer || !section || item.querySelector(".offer-controls")) return;
    var id = offer.getAttribute("data-offer-id");
    var controls = document.createElement("span");
    controls.className = "offer-controls";
    controls.id = "offer-controls-" + id;
    var form = null;
    var open = !section.hasAttribute("data-closed");
    if (open && section.getAttribute("data-author-id") === me && item.closest(".offer-list")) {
      form = postForm("/offers/" + id + "/accept", "Accept");
      form.querySelector("button").className = "small";
      var who = document.createElement("span");
      who.className = "visually-hidden";
      var name = offer.querySelector("strong");
      who.textContent = " " + (name ? name.textContent : "this member") + " onto the team";
      form.querySelector("button").appendChild(who);
    } else if (offer.getAttribute("data-user-id") === me) {
      form = postForm("/offers/" + id + "/withdraw",
        item.closest(".team") ? "Leave the team" : "Withdraw my offer");
    }
    if (form) {
      form.setAttribute("hx-target", "#" + section.id);
      form.setAttribute("hx-swap", "outerHTML");
      controls.appendChild(form);
    }
    item.appendChild(controls);
    if (window.htmx) htmx.process(controls);
  }

  function decoratePitch(item) {
    var card = item.querySelector(".pitch-card");
    if (!card || item.querySelector(".vote")) return;
    var id = card.getAttribute("data-pitch-id");
    var box = document.createElement("div");
    box.className = "vote";
    box.id = "vote-" + id;
    if (!me) {
      var login = document.createElement("a");
      login.className = "button small secondary";
      login.href = viewer.getAttribute("data-login-url");
      login.textContent = "Sign in to vote";
      box.appendChild(login);
    } else if (card.getAttribute("data-author-id") === me) {
      var mine = document.createElement("p");
      mine.className = "hint";
      mine.textContent = "Your pitch";
      box.appendChild(mine);
    } else {
      // No "vote" field: the server toggles, so this works whatever the viewer did before.
      var form = postForm("/pitches/" + id + "/vote", "Vote");
      form.setAttribute("hx-target", "#vote-" + id);
      form.setAttribute("hx-swap", "outerHTML");
      form.querySelector("button").className = "vote-button";
      box.appendChild(form);
    }
    item.appendChild(box);
    if (window.htmx) htmx.process(box);
  }

  function decorate(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll(".comment-item").forEach(decorateComment);
    root.querySelectorAll(".comment-item[data-live]").forEach(decorateReplies);
    root.querySelectorAll(".offer-item[data-live]").forEach(decorateOffer);
    root.querySelectorAll(".board-item").forEach(decoratePitch);
    var empty = document.querySelectorAll(".comments-empty, .board-empty");
    empty.forEach(function (note) {
      var list = note.previousElementSibling;
      if (list && list.children.length) note.remove();
    });
  }

  var live = document.getElementById("live");
  if (live) {
    live.addEventListener("htmx:sse:after:message", function () { decorate(document); });
    live.addEventListener("htmx:sse:after:connection", function () {
      live.setAttribute("data-connected", "true");
    });
    live.addEventListener("htmx:sse:error", function () {
      live.removeAttribute("data-connected");
    });
    // Reload regions of this page from the page itself (each viewer gets their own copy).
    function reload(selectors) {
      selectors.forEach(function (selector) {
        document.querySelectorAll(selector).forEach(function (region) {
          if (region.id && window.htmx) {
            htmx.ajax("GET", window.location.href,
              {target: "#" + region.id, select: "#" + region.id, swap: "outerHTML"});
          }
        });
      });
    }
    window.mlcLive = {reload: reload};
    // The server could not replay what this page missed (a restart, a long sleep).
    live.addEventListener("resync", function () {
      reload(["#jam", "#pitch-detail", ".vote-box", ".offers", ".comments", "#audience",
        "#console", "#projector"]);
    });
    // A host changed the jam's rules (voting, submissions, tallies): the controls change for
    // everyone. Spread the reloads over a second so a full room does not ask at once.
    live.addEventListener("jam-rules", function () {
      window.setTimeout(function () {
        reload(["#jam", "#pitch-detail", ".vote-box"]);
      }, Math.random() * 1000);
    });
  }
})();
