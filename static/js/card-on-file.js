// A card typed into Stripe's own field (Stripe.js Card Element), saved for later with a SetupIntent
// (https://docs.stripe.com/payments/save-and-reuse). The card number goes from the browser to Stripe only:
// the form carries the SetupIntent's id, which the server asks Stripe about.
//
// <div data-stripe-card data-publishable-key data-client-secret data-account data-result="setup_intent">
// inside a form, with a hidden input named by data-result. On submit, the card is confirmed first; the form
// is then sent with the SetupIntent's id. A field left empty where the card is optional is skipped.
(function () {
  "use strict";
  function mount(box) {
    if (box.getAttribute("data-mounted")) { return; }
    if (typeof window.Stripe !== "function") {
      box.querySelector("[data-card-error]").textContent =
        "The card field could not load (Stripe did not answer). Reload the page to try again.";
      return;
    }
    box.setAttribute("data-mounted", "1");
    var options = box.getAttribute("data-account") ? { stripeAccount: box.getAttribute("data-account") } : {};
    var stripe = window.Stripe(box.getAttribute("data-publishable-key"), options);
    var card = stripe.elements().create("card", { hidePostalCode: false });
    card.mount(box.querySelector("[data-card-element]"));
    var form = box.closest("form");
    var result = form.querySelector("input[name='" + box.getAttribute("data-result") + "']");
    var errors = box.querySelector("[data-card-error]");
    var optional = box.hasAttribute("data-optional");
    var touched = false;
    card.on("change", function () { touched = true; errors.textContent = ""; });
    form.addEventListener("submit", function (event) {
      if (result.value || (optional && !touched)) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter;
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      errors.textContent = "";
      box.setAttribute("aria-busy", "true");
      stripe.confirmCardSetup(box.getAttribute("data-client-secret"), { payment_method: { card: card } })
        .then(function (answer) {
          box.removeAttribute("aria-busy");
          form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
          if (answer.error) {
            errors.textContent = answer.error.message || "The card could not be saved. Check it and try again.";
            return;
          }
          result.value = answer.setupIntent.id;
          if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
        });
    }, true);
  }
  function mountAll(root) {
    (root || document).querySelectorAll("[data-stripe-card]").forEach(mount);
  }
  document.addEventListener("DOMContentLoaded", function () { mountAll(document); });
  document.addEventListener("htmx:load", function (event) { mountAll(event.target); });
})();
