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

// --- Quick booking panel (scheduling/templates/scheduling/quick_book/) -------------------------------------
// The patient type-ahead: [data-quick-book-search] is an ARIA combobox whose listbox htmx fills; the arrow
// keys move through the options, Enter or a click chooses one (its id goes in [data-quick-book-patient],
// whose change event refreshes the panel's warnings), Escape closes the list. The panel's answers 400 and
// 409 (the form again, with its errors) are swapped like a 200. [data-quick-book-close] outside the
// calendar's <aside id="quick-book"> (the panel as a page) goes back to the calendar.
(function () {
  "use strict";
  function panelOf(element) { return element.closest ? element.closest("[data-quick-book]") : null; }
  function options(panel) { return Array.prototype.slice.call(panel.querySelectorAll("[role=option]")); }
  function listbox(panel) { return panel.querySelector("[role=listbox]"); }
  function input(panel) { return panel.querySelector("[data-quick-book-search]"); }
  function setActive(panel, index) {
    var all = options(panel);
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("is-active", i === index);
    });
    if (index >= 0 && all[index]) {
      input(panel).setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input(panel).removeAttribute("aria-activedescendant");
    }
  }
  function activeIndex(panel) {
    return options(panel).findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
  }
  function close(panel) {
    var list = listbox(panel);
    if (list) { list.hidden = true; }
    input(panel).setAttribute("aria-expanded", "false");
    input(panel).removeAttribute("aria-activedescendant");
  }
  function choose(panel, option) {
    var hidden = panel.querySelector("[data-quick-book-patient]");
    hidden.value = option.getAttribute("data-patient-id");
    input(panel).value = option.getAttribute("data-patient-name");
    panel.querySelector("[data-quick-book-chosen]").textContent =
      "Chosen: " + option.getAttribute("data-patient-name") + " (" + option.getAttribute("data-patient-born") + ")";
    close(panel);
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-quick-book-search]")) { return; }
    var panel = panelOf(field), list = listbox(panel), all = options(panel);
    var open = list && !list.hidden && all.length > 0, index = activeIndex(panel);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) { return; }
      event.preventDefault();
      list.hidden = false;
      field.setAttribute("aria-expanded", "true");
      var step = event.key === "ArrowDown" ? 1 : -1;
      setActive(panel, index < 0 ? (step > 0 ? 0 : all.length - 1) : (index + step + all.length) % all.length);
    } else if (event.key === "Enter") {
      event.preventDefault();  // never books from the search box
      if (open && index >= 0) { choose(panel, all[index]); }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close(panel);
    }
  });
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-quick-book-search]")) { return; }
    var panel = panelOf(field), hidden = panel.querySelector("[data-quick-book-patient]");
    if (hidden.value) {  // typing again un-chooses the patient chosen
      hidden.value = "";
      panel.querySelector("[data-quick-book-chosen]").textContent = "";
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest ? event.target.closest("[data-quick-book] [role=option]") : null;
    if (option) { choose(panelOf(option), option); return; }
    var button = event.target.closest ? event.target.closest("[data-quick-book-close]") : null;
    if (button && !button.closest("#quick-book")) {
      window.location.assign(panelOf(button).getAttribute("data-calendar-url"));
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;  // the swap's target (the event itself may come from its children)
    if (!target || target.id !== "qb-patient-results" || event.target !== target) { return; }
    var panel = panelOf(target), list = listbox(panel);
    var open = Boolean(list && !list.hidden && options(panel).length);
    input(panel).setAttribute("aria-expanded", open ? "true" : "false");
    input(panel).removeAttribute("aria-activedescendant");
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && panelOf(event.detail.elt)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
// --- End of the quick booking panel ------------------------------------------------------------------------
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
