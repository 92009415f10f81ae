/* Keyboard shortcuts of the review screen. Every action is an ordinary link or
   form button, so the screen works without this script too. */
(function () {
  "use strict";
  var TYPING = { INPUT: true, TEXTAREA: true, SELECT: true };
  var RATING_WAIT_MS = 700; // time to type a second digit (values 10, -2) before choosing
  var busy = false;
  var pending = "";
  var timer = null;

  function follow(id) {
    var link = document.getElementById(id);
    if (link && link.href) { busy = true; window.location.href = link.href; return true; }
    return false;
  }

  function press(button) {
    if (!button || button.disabled) { return false; }
    // A form the browser will not send (an empty required note) must not leave the keys dead.
    if (button.form && !button.hasAttribute("formnovalidate") && !button.form.checkValidity()) {
      button.form.reportValidity();
      return true;
    }
    busy = true;
    button.click();
    return true;
  }

  function byKey(key) {
    var buttons = document.querySelectorAll("button[data-keys]");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute("data-keys").split(" ").indexOf(key) >= 0) { return buttons[i]; }
    }
    return null;
  }

  function ratingButtons() {
    return Array.prototype.slice.call(document.querySelectorAll("button[data-value]"));
  }

  function showPending(text) {
    var out = document.getElementById("pending");
    if (out) { out.textContent = text ? "Getypt: " + text : ""; }
  }

  function typeRating(ch) {
    var buttons = ratingButtons();
    clearTimeout(timer);
    pending = ch === "-" ? "-" : pending + ch;
    var exact = null;
    var longer = false;
    buttons.forEach(function (b) {
      var v = b.getAttribute("data-value");
      if (v === pending) { exact = b; } else if (v.indexOf(pending) === 0) { longer = true; }
    });
    if (exact && !longer) { pending = ""; showPending(""); press(exact); return; }
    if (!exact && !longer) { pending = ""; showPending("geen waarde " + ch); return; }
    showPending(pending);
    if (exact) {
      timer = setTimeout(function () { pending = ""; showPending(""); press(exact); }, RATING_WAIT_MS);
    }
  }

  document.addEventListener("keydown", function (e) {
    var target = e.target;
    if (target && (TYPING[target.tagName] || target.isContentEditable)) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && target.form) {
        e.preventDefault();
        var primary = target.form.querySelector("button.primary") || target.form.querySelector("button[type=submit]");
        press(primary);
      } else if (e.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (busy || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var key = e.key;
    var handled = false;
    if (ratingButtons().length && (key === "-" || /^[0-9]$/.test(key))) {
      typeRating(key);
      handled = true;
    } else if (key === "j" || key === "ArrowRight" || key === "ArrowDown") {
      handled = follow("next");
    } else if (key === "k" || key === "ArrowLeft" || key === "ArrowUp") {
      handled = follow("prev");
    } else if ((key === "Enter" || key === "t") && document.querySelector("[data-typefield]")) {
      // Text items are not typed into by accident: j/k still move; Enter or t starts typing.
      var typefield = document.querySelector("[data-typefield]");
      typefield.focus();
      typefield.setSelectionRange(typefield.value.length, typefield.value.length);
      handled = true;
    } else if (key === "u") {
      var undo = document.querySelector("#undo-form button");
      handled = press(undo);
    } else if (key.length === 1) {
      handled = press(byKey(key.toLowerCase()));
    }
    if (handled) { e.preventDefault(); }
  });

  window.addEventListener("pageshow", function () { busy = false; });
  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector("[data-autofocus]");
    if (field) {
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
    }
  });
}());
