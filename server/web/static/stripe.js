// Stripe Elements on the folio page. The server renders the mount point
// (#stripe-elements) with the publishable key and, while the cardholder
// has to act, the PaymentIntent's or SetupIntent's client secret. This
// mounts the Payment Element there; on submit Stripe confirms the card in
// its own frames (the card never touches this page) and the form then
// posts to Aura's refresh action, which asks Stripe for the outcome.
(function () {
  "use strict";
  var root = document.getElementById("stripe-elements");
  if (!root || !root.dataset.clientSecret) {
    return;
  }
  var form = document.getElementById("stripe-confirm");
  var errorBox = document.getElementById("stripe-error");
  function fail(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = false;
  }
  if (typeof window.Stripe !== "function") {
    fail("Stripe's card fields could not load. Check the connection and reload the page.");
    return;
  }
  var stripe = window.Stripe(root.dataset.stripeKey);
  var elements = stripe.elements({ clientSecret: root.dataset.clientSecret });
  var element = elements.create("payment");
  element.mount("#stripe-payment-element");
  var busy = false;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    var opts = { elements: elements, redirect: "if_required", confirmParams: { return_url: window.location.href } };
    var confirm = root.dataset.mode === "setup" ? stripe.confirmSetup(opts) : stripe.confirmPayment(opts);
    confirm.then(function (result) {
      if (result.error) {
        busy = false;
        fail(result.error.message || "The card was not accepted.");
        return;
      }
      form.submit();
    });
  });
})();
