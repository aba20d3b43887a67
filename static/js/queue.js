// The host console's pitch queue: drag a pitch still to come onto another one's place. A drop
// fills in the console's hidden "place" form and submits it, so htmx posts it like any other
// console action and the console comes back in the new order. The ↑/↓ buttons stay the way
// with a keyboard or without JavaScript. Listeners sit on the document, so a console swapped
// in by htmx (or reloaded by a live update, even mid-drag) needs no binding.
(function () {
  "use strict";

  var MOVABLE = ".queue .queue-item[data-pitch-id]";
  // The dragged pitch travels with the drag itself: anything else dragged over the queue
  // (text, a link, a file, or a pitch from a console replaced mid-drag) is not a move.
  var TYPE = "application/x-mlc-pitch";
  var draggedId = null; // only to leave the dragged item itself unhighlighted

  function carriesPitch(evt) {
    var types = evt.dataTransfer && evt.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, TYPE) !== -1;
  }

  function movableAt(evt) {
    var el = evt.target;
    if (el && el.nodeType !== 1) el = el.parentElement; // text was dragged over
    return el && el.closest ? el.closest(MOVABLE) : null;
  }

  function clear(name) {
    document.querySelectorAll("." + name).forEach(function (el) { el.classList.remove(name); });
  }

  function finish() {
    draggedId = null;
    clear("queue-dragging");
    clear("queue-drop-target");
  }

  document.addEventListener("dragstart", function (evt) {
    var item = movableAt(evt);
    if (!item) return;
    draggedId = item.getAttribute("data-pitch-id");
    item.classList.add("queue-dragging");
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData(TYPE, draggedId);
    evt.dataTransfer.setData("text/plain", item.querySelector(".queue-title").textContent);
  });

  document.addEventListener("dragover", function (evt) {
    var item = carriesPitch(evt) && movableAt(evt);
    if (!item) return;
    evt.preventDefault(); // this is a place to drop on
    evt.dataTransfer.dropEffect = "move";
    if (item.getAttribute("data-pitch-id") === draggedId) {
      clear("queue-drop-target");
    } else if (!item.classList.contains("queue-drop-target")) {
      clear("queue-drop-target");
      item.classList.add("queue-drop-target");
    }
  });

  document.addEventListener("dragleave", function (evt) {
    var item = movableAt(evt);
    if (item && !(evt.relatedTarget && item.contains(evt.relatedTarget))) {
      item.classList.remove("queue-drop-target");
    }
  });

  document.addEventListener("drop", function (evt) {
    var item = carriesPitch(evt) && movableAt(evt);
    if (!item) return;
    evt.preventDefault();
    var pitchId = evt.dataTransfer.getData(TYPE);
    finish();
    if (!pitchId) return;
    var form = item.closest(".console-queue").querySelector("form.queue-place");
    if (!form || item.getAttribute("data-pitch-id") === pitchId) return;
    form.elements.pitch_id.value = pitchId;
    form.elements.position.value = item.getAttribute("data-position");
    form.requestSubmit();
  });

  // Also after a drop outside the queue, or Escape.
  document.addEventListener("dragend", finish);
})();
