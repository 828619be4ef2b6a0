// Behaviour that templates declare with data attributes (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  // <form data-confirm="..."> asks before a destructive action.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();

// Signature pad: <canvas data-signature-pad> inside a form with a hidden "data_url" input (or the input
// named by data-signature-input, for a form with several pads; each pad's [data-signature-clear] button
// sits in its own fieldset). Drawing uses pointer events (mouse, finger, stylus); submitting puts the
// drawing in the input as a PNG data URL. A drawing already in the input (a form shown again after an
// error) is drawn back on the pad.
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
    var form = canvas.closest("form");
    var name = canvas.getAttribute("data-signature-input") || "data_url";
    var input = form.querySelector("input[name='" + name + "']");
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    context.lineWidth = 2.2;
    context.lineCap = "round";
    context.strokeStyle = "#1f2330";
    if (input.value.indexOf("data:image/png;base64,") === 0) {
      var earlier = new Image();
      earlier.onload = function () {
        context.drawImage(earlier, 0, 0, canvas.width, canvas.height);
        drawn = true;
      };
      earlier.src = input.value;
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height)
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      var p = point(event);
      context.beginPath();
      context.moveTo(p.x, p.y);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p.x, p.y);
      context.stroke();
      drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    var clear = (canvas.closest("fieldset") || form).querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        input.value = "";
      });
    }
    form.addEventListener("submit", function () {
      input.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  });
})();

// Copy buttons: <button type="button" data-copy="text"> copies the text to the clipboard and says "Copied"
// for a moment (event delegation, so buttons loaded later by htmx work too).
(function () {
  "use strict";
  function copyFallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    document.body.removeChild(area);
    return copied;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    event.preventDefault();
    var text = button.getAttribute("data-copy");
    if (!button.hasAttribute("data-copy-label")) {
      button.setAttribute("data-copy-label", button.textContent);
    }
    function done() {
      button.textContent = "Copied";
      window.clearTimeout(button.copyTimer);
      button.copyTimer = window.setTimeout(function () {
        button.textContent = button.getAttribute("data-copy-label");
      }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { if (copyFallback(text)) { done(); } });
    } else if (copyFallback(text)) {
      done();
    }
  });
})();

// Appointment-type colours on the calendars and settings pages: <... data-type-color="#7a4e8a"> gets that
// colour as its accent (set through the CSSOM: the CSP forbids style attributes in the markup).
(function () {
  "use strict";
  var hex = /^#[0-9a-fA-F]{6}$/;
  function paint(root) {
    root.querySelectorAll("[data-type-color]").forEach(function (element) {
      var colour = element.getAttribute("data-type-color");
      if (!hex.test(colour)) { return; }
      if (element.classList.contains("type-swatch")) {
        element.style.backgroundColor = colour;
      } else {
        element.style.borderLeftColor = colour;
      }
    });
  }
  paint(document);
  document.addEventListener("htmx:afterSwap", function (event) { paint(event.target); });
})();

// --- Top bar search (templates: medspa/search/) ------------------------------------------------------------
// "/" (when not typing in a field) and Ctrl+K / Cmd+K put the cursor in the search box; htmx fills the
// results popup as one types. Escape closes the popup, the cursor back in the box; the up and down arrows
// move through the results, Enter opens the one focused (it is a link). A click or a focus elsewhere closes
// the popup.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search]");
  if (!form) { return; }
  var input = form.querySelector("input[name=q]");
  var popup = form.querySelector("[data-search-popup]");

  function typing(element) {
    return element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }
  function show(open) { popup.classList.toggle("is-closed", !open); }
  function focusBox(event) {
    event.preventDefault();
    input.focus();
    input.select();
    show(true);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey) { return; }
    if ((event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey)) {
      focusBox(event);
    } else if (event.key === "/" && !event.ctrlKey && !event.metaKey && !typing(event.target)) {
      focusBox(event);
    }
  });

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      show(false);
      input.focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
    var links = Array.prototype.slice.call(popup.querySelectorAll("a[href]"));
    if (!links.length) { return; }
    event.preventDefault();
    show(true);
    var at = links.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? at + 1 : (at === -1 ? links.length - 1 : at - 1);
    if (next >= links.length || next < 0) {
      input.focus();
    } else {
      links[next].focus();
    }
  });

  input.addEventListener("input", function () { show(true); });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) { show(false); }
  });
  form.addEventListener("focusout", function (event) {
    if (event.relatedTarget && !form.contains(event.relatedTarget)) { show(false); }
  });
})();
// --- End of the top bar search ---------------------------------------------------------------------------
