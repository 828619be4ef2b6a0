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

// Signature pad: <canvas data-signature-pad> inside a form with a hidden "data_url" input. Drawing uses
// pointer events (mouse, finger, stylus); submitting puts the drawing in the input as a PNG data URL.
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
    var form = canvas.closest("form");
    var input = form.querySelector("input[name=data_url]");
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    context.lineWidth = 2.2;
    context.lineCap = "round";
    context.strokeStyle = "#1f2330";
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
    var clear = form.querySelector("[data-signature-clear]");
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
