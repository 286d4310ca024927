// Paying inside the chat panel (docs/checkout.md), for the shopper's widget (chat-widget.js creates it).
//
// The newest `checkout` message of the conversation gets, under its card, the delivery details form, then
// Stripe's card field and a "Pay €…" button. The amounts shown are the server's: the browser only echoes the
// opaque `quote` it was given, and the order is confirmed by an `order` message that the webhook posts.
// Flow: details → POST /details → Stripe.js confirmCardSetup(setup secret) → POST /pay with the payment
// method → "processing" (wait for the order message) | "requires_action" (confirmCardPayment, then /sync) |
// card_declined (new setup secret, another card) | quote_changed / out_of_stock (new total, Pay again).
// A discount applied or removed meanwhile (here, in another tab, by a cart change) comes as `cartChanged()`: the
// checkout is fetched again, so the card's discount line, its total and the Pay button follow.
// Everything people read comes from the template (strings and <template>) or from the server.
(function () {
  "use strict";

  var BASE = "/payments";
  var POLL_EVERY = 4000; // while "processing": in case the order message is missed, ask the server too
  var POLL_MAX = 30;
  var FIELDS = ["email", "name", "address1", "address2", "city", "postal_code", "country"];

  // Stripe.js is loaded once per page, from the URL the server gives (real Stripe or localstripe), only when
  // a shopper reaches the card step. localstripe's stand-in declares globals: loading it twice would throw.
  var stripeScript = null;
  var stripeClients = {}; // publishable key -> Stripe client

  function loadStripe(src) {
    if (window.Stripe) return Promise.resolve(window.Stripe);
    if (stripeScript) return stripeScript;
    stripeScript = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = function () {
        if (typeof window.Stripe === "function") resolve(window.Stripe);
        else reject(new Error("Stripe.js did not load"));
      };
      script.onerror = function () { reject(new Error("Stripe.js did not load")); };
      document.head.appendChild(script);
    });
    stripeScript.catch(function () {
      stripeScript = null; // a later attempt may succeed
    });
    return stripeScript;
  }

  function stripeClient(payment) {
    return loadStripe(payment.js_url).then(function (Stripe) {
      var key = payment.publishable_key;
      // Called without `new`, as Stripe documents it (localstripe's stand-in is an arrow function).
      if (!stripeClients[key]) stripeClients[key] = Stripe(key);
      return stripeClients[key];
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // fetch() as the protocol's answers: always resolves to {ok: true, ...} or {ok: false, error: {...}}.
  function requestJSON(method, url, body, unreachable) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var failed = { ok: false, error: { code: "unreachable", message: unreachable } };
    return fetch(url, init).then(function (response) {
      return response.json().then(function (data) {
        return data && typeof data === "object" ? data : failed;
      }, function () { return failed; });
    }, function () { return failed; });
  }

  // Stripe's errors (card_error, validation_error...) are written for people; a script's own exception is not.
  function stripeMessage(error, fallback) {
    return error && typeof error.message === "string" && error.message && !(error instanceof Error)
      ? error.message : fallback;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // options: {strings, template (<template>), focusAfter() (where focus goes once paid),
  //           onForm(shown) (a payment form appeared or went away), redraw(host, checkout) (new amounts),
  //           discountBox() (optional: the "Have a discount code?" box, placed under the card's totals)}
  function create(options) {
    var S = options.strings || {};
    var active = null; // the checkout whose form is shown (one at a time)
    var candidate = null; // the newest checkout message seen, activated once the current batch is drawn
    var focusToken = null; // a checkout this tab just asked for: its form takes the focus when ready
    var cartTimer = null; // several notices of one change (the ack, `cart_updated`) make one fetch

    function post(a, path, body) {
      return requestJSON("POST", BASE + "/checkout/" + encodeURIComponent(a.token) + path, body || {},
        S.unreachable);
    }

    function current(a) {
      return a === active && !a.closed;
    }

    function formShown(shown) {
      if (options.onForm) options.onForm(shown);
    }

    // What the card shows of a checkout: when any of it changes, the card is drawn again.
    function drawnOf(c) {
      return { total: c.total, item_count: c.item_count, discount_label: c.discount_label || "",
        discount_problem: c.discount_problem || "" };
    }

    // The card above the form shows what Pay charges: drawn again when the total, the items or the discount
    // changed since the message was posted (cart edited, shipping to another country, a price or stock change, a
    // discount applied, removed or no longer applying).
    function syncCard(a) {
      var c = a.checkout;
      if (!c || !options.redraw) return;
      var now = drawnOf(c);
      var same = Object.keys(now).every(function (key) {
        return a.drawn[key] === undefined || a.drawn[key] === now[key];
      });
      if (same) return;
      a.drawn = now;
      options.redraw(a.host, c);
    }

    // --- The form ------------------------------------------------------------------------------------------

    function build(a) {
      var node = options.template.content.firstElementChild.cloneNode(true);
      function part(name) { return node.querySelector("[data-pay-" + name + "]"); }
      a.node = node;
      a.ui = {
        status: part("status"),
        details: part("details"),
        detailsError: part("details-error"),
        detailsSubmit: part("details-submit"),
        country: part("details").elements.country,
        summary: part("summary"),
        address: part("address"),
        edit: part("edit"),
        card: part("card"),
        cardField: part("card-field"),
        cardError: part("card-error"),
        pay: part("button")
      };
      a.ui.details.addEventListener("submit", function (event) {
        event.preventDefault();
        submitDetails(a);
      });
      a.ui.edit.addEventListener("click", function () {
        showDetails(a);
        a.ui.details.elements.email.focus();
      });
      a.ui.card.addEventListener("submit", function (event) {
        event.preventDefault();
        pay(a);
      });
      if (options.discountBox) {
        a.ui.discount = options.discountBox();
        node.insertBefore(a.ui.discount, a.ui.details);
      }
    }

    function showDiscount(a, shown) {
      if (a.ui.discount) a.ui.discount.hidden = !shown;
    }

    function setStatus(a, text) {
      a.ui.status.textContent = text || "";
      a.ui.status.hidden = !text;
    }

    function setCardError(a, text) {
      a.ui.cardError.textContent = text || "";
    }

    function fillCountries(a, countries) {
      if (a.countries || !countries || !countries.length) return;
      a.countries = countries;
      var select = a.ui.country;
      var chosen = select.value;
      var choices = [select.options[0]].concat(countries.map(function (c) { return new Option(c[1], c[0]); }));
      select.replaceChildren.apply(select, choices); // the first option is "Choose a country"
      if (chosen) select.value = chosen;
    }

    function fillDetails(a) {
      var details = (a.checkout && a.checkout.details) || {};
      var form = a.ui.details.elements;
      FIELDS.forEach(function (name) {
        var value = details[name];
        if (value !== undefined && value !== null && value !== "" && form[name]) form[name].value = value;
      });
    }

    function countryName(a, code) {
      var found = (a.countries || []).filter(function (c) { return c[0] === code; })[0];
      return found ? found[1] : code;
    }

    function showDetails(a) {
      a.ui.details.hidden = false;
      a.ui.summary.hidden = true;
      a.ui.card.hidden = true;
    }

    function showSummary(a) {
      var d = (a.checkout && a.checkout.details) || {};
      var lines = [d.name, d.email, d.address1, d.address2,
        [d.postal_code, d.city].filter(Boolean).join(" "), countryName(a, d.country)];
      a.ui.address.replaceChildren();
      lines.filter(Boolean).forEach(function (line, index) {
        if (index) a.ui.address.appendChild(el("br"));
        a.ui.address.appendChild(document.createTextNode(line));
      });
      a.ui.details.hidden = true;
      a.ui.summary.hidden = false;
    }

    function clearFieldErrors(a) {
      a.ui.detailsError.textContent = "";
      FIELDS.forEach(function (name) {
        var input = a.ui.details.elements[name];
        var error = a.node.querySelector('[data-pay-error="' + name + '"]');
        if (!input || !error) return;
        error.textContent = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
    }

    // error.fields: {field name: message}, each shown next to its field and tied to it for screen readers.
    function showFieldErrors(a, error) {
      var first = null;
      Object.keys(error.fields || {}).forEach(function (name) {
        var input = a.ui.details.elements[name];
        var slot = a.node.querySelector('[data-pay-error="' + name + '"]');
        if (!input || !slot) return;
        slot.textContent = error.fields[name];
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", slot.id);
        if (!first || FIELDS.indexOf(name) < FIELDS.indexOf(first.name)) first = input;
      });
      a.ui.detailsError.textContent = error.message || "";
      (first || a.ui.details.elements.email).focus();
    }

    function submitDetails(a) {
      if (a.busy) return;
      var form = a.ui.details.elements;
      var body = {};
      FIELDS.forEach(function (name) { body[name] = form[name] ? form[name].value.trim() : ""; });
      clearFieldErrors(a);
      a.busy = true;
      a.ui.detailsSubmit.disabled = true;
      post(a, "/details", body).then(function (res) {
        if (!current(a)) return;
        a.busy = false;
        a.ui.detailsSubmit.disabled = false;
        if (!res.ok) {
          handleClosed(a, res.error);
          if (!a.closed) showFieldErrors(a, res.error);
          return;
        }
        a.checkout = res.checkout || a.checkout;
        if (res.payment) usePayment(a, res.payment);
        syncCard(a);
        showCardStep(a, true);
      });
    }

    // --- The card --------------------------------------------------------------------------------------------

    function usePayment(a, payment) {
      if (a.payment && a.payment.setup_client_secret !== payment.setup_client_secret) a.paymentMethod = null;
      a.payment = payment;
    }

    // While a payment is in flight the button says so (aria-disabled) but keeps the keyboard focus: a disabled
    // button would drop it on the page's <body>.
    function updatePayButton(a) {
      var payable = !!(a.checkout && a.checkout.item_count > 0);
      a.ui.pay.textContent = (a.checkout && a.checkout.pay_label) || "";
      a.ui.pay.disabled = !a.card || !payable;
      a.ui.pay.setAttribute("aria-disabled", a.busy ? "true" : "false");
    }

    function setBusy(a, busy) {
      a.busy = busy;
      updatePayButton(a);
    }

    function focusCard(a) {
      if (a.card && typeof a.card.focus === "function") {
        a.card.focus();
        return;
      }
      var input = a.ui.cardField.querySelector("input, iframe");
      if (input) input.focus();
    }

    // A new card element each time: after a declined card the shopper types another one into empty fields.
    function mountCard(a) {
      if (!a.stripe) return; // not loaded yet: showCardStep mounts it once it is
      if (a.card) {
        try {
          a.card.destroy();
        } catch (e) { /* already gone */ }
        a.card = null;
      }
      a.ui.cardField.replaceChildren();
      var elements = a.stripe.elements(); // one card element per elements() group (localstripe's rule)
      a.card = elements.create("card");
      a.card.mount(a.ui.cardField);
    }

    function showCardStep(a, focus) {
      showSummary(a);
      a.ui.card.hidden = false;
      updatePayButton(a);
      if (!a.payment) return;
      if (a.card) {
        if (focus) focusCard(a);
        return;
      }
      setStatus(a, S.pay_loading);
      stripeClient(a.payment).then(function (stripe) {
        if (!current(a)) return;
        setStatus(a, "");
        a.stripe = stripe;
        mountCard(a);
        updatePayButton(a);
        a.ui.pay.scrollIntoView({ block: "nearest" });
        if (focus) focusCard(a);
      }, function () {
        if (!current(a)) return;
        setStatus(a, "");
        setCardError(a, S.pay_unavailable);
      });
    }

    // The payment method of the card typed, set up on the checkout's SetupIntent (once per setup secret).
    function paymentMethod(a) {
      var secret = a.payment.setup_client_secret;
      if (a.paymentMethod && a.paymentMethodSecret === secret) return Promise.resolve(a.paymentMethod);
      return Promise.resolve()
        .then(function () { return a.stripe.confirmCardSetup(secret, { payment_method: { card: a.card } }); })
        .then(function (result) {
          if (!result || result.error || !result.setupIntent) {
            setCardError(a, stripeMessage(result && result.error, S.card_invalid));
            return null;
          }
          var method = result.setupIntent.payment_method;
          method = method && typeof method === "object" ? method.id : method;
          a.paymentMethod = method;
          a.paymentMethodSecret = secret;
          return method;
        }, function () {
          setCardError(a, S.card_invalid);
          return null;
        });
    }

    function pay(a) {
      if (!current(a) || a.busy || !a.card || !a.payment) return;
      setBusy(a, true);
      setCardError(a, "");
      setStatus(a, S.pay_working);
      paymentMethod(a).then(function (method) {
        if (!current(a)) return null;
        if (!method) { // a failed set-up may have used up its SetupIntent: the next try gets a fresh one
          return freshPayment(a).then(function () {
            setStatus(a, "");
            setBusy(a, false);
          });
        }
        return post(a, "/pay", { payment_method: method, quote: a.checkout.quote }).then(function (res) {
          if (current(a)) handlePay(a, res);
        });
      });
    }

    function handlePay(a, res) {
      if (res.checkout) a.checkout = res.checkout;
      if (res.payment) usePayment(a, res.payment);
      if (res.ok) {
        if (res.status === "paid") finish(a);
        else if (res.status === "requires_action") authenticate(a, res.client_secret);
        else processing(a);
        return;
      }
      var error = res.error || {};
      setStatus(a, "");
      if (handleClosed(a, error)) return;
      setBusy(a, false);
      setCardError(a, error.message || S.unreachable);
      if (error.code === "card_declined" || error.code === "auth_failed") {
        mountCard(a); // another card, typed into empty fields, set up with the new secret
        updatePayButton(a);
        focusCard(a);
      } else if (error.code === "quote_changed" || error.code === "out_of_stock") {
        syncCard(a);
        a.ui.pay.focus(); // the new total is on the button: pressing it again pays that
      }
    }

    // 3-D Secure inside the page (Stripe's own overlay), then the server reads the PaymentIntent again.
    function authenticate(a, secret) {
      setStatus(a, S.pay_authenticating);
      Promise.resolve()
        .then(function () { return a.stripe.confirmCardPayment(secret); })
        .then(function (result) { return result; }, function () { return null; })
        .then(function (outcome) { sync(a, outcome); });
    }

    // /sync answers like /pay; "open" or "failed" means the bank's check did not pass.
    function sync(a, outcome) {
      post(a, "/sync", {}).then(function (res) {
        if (!current(a)) return;
        if (res.ok && res.status === "requires_action" && res.client_secret && a.stripe) {
          authenticate(a, res.client_secret); // the bank still waits for the shopper
          return;
        }
        if (res.ok && res.status !== "paid" && res.status !== "processing") {
          var message = stripeMessage(outcome && outcome.error, S.auth_failed);
          res = { ok: false, checkout: res.checkout, payment: res.payment,
            error: { code: "auth_failed", message: message } };
        }
        handlePay(a, res);
      });
    }

    // Charged: the order message (posted by the webhook) ends it; the server is asked too, now and then.
    function processing(a) {
      var focused = document.activeElement;
      var hadFocus = !focused || focused === document.body || a.node.contains(focused);
      a.processing = true;
      a.busy = true;
      a.ui.card.hidden = true;
      a.ui.edit.hidden = true;
      showDiscount(a, false); // the amount is charged: too late for a code
      setCardError(a, "");
      setStatus(a, S.pay_processing);
      if (hadFocus) a.ui.status.focus(); // the order card takes it over when it comes (finish)
      var polls = 0;
      clearInterval(a.poll);
      a.poll = setInterval(function () {
        if (!current(a) || ++polls > POLL_MAX) {
          clearInterval(a.poll);
          return;
        }
        refresh(a);
      }, POLL_EVERY);
    }

    // closed / not_found: this checkout cannot be paid any more (paid elsewhere, expired, cart emptied).
    function handleClosed(a, error) {
      if (!error || (error.code !== "closed" && error.code !== "not_found")) return false;
      if (error.code === "closed") {
        refresh(a, error.message);
      } else {
        close(a, error.message);
      }
      return true;
    }

    // Paid: the form goes away (the order card says the rest).
    function finish(a) {
      var hadFocus = a.node.contains(document.activeElement);
      close(a, "");
      // The cart became the order: the header's cart count follows without a reload.
      var count = document.querySelector(".cart-count");
      if (count) count.textContent = "(0)";
      if (a.node.parentNode) a.node.remove();
      if (hadFocus && options.focusAfter) options.focusAfter();
    }

    // No form any more, with a note why (or none).
    function close(a, note) {
      a.closed = true;
      clearInterval(a.poll);
      if (a.card) {
        try {
          a.card.destroy();
        } catch (e) { /* already gone */ }
        a.card = null;
      }
      a.ui.details.hidden = a.ui.summary.hidden = a.ui.card.hidden = true;
      showDiscount(a, false);
      setStatus(a, note);
      if (!note && a.node.parentNode) a.node.remove();
      formShown(false);
    }

    // --- A checkout's state from the server ------------------------------------------------------------------

    function apply(a, res, focus) {
      a.checkout = res.checkout || a.checkout;
      if (res.payment) usePayment(a, res.payment);
      fillCountries(a, res.countries);
      var status = a.checkout.status;
      if (status === "paid") {
        finish(a);
      } else if (status === "expired") {
        close(a, S.checkout_closed);
      } else if (status === "processing" || status === "paying") {
        if (!a.processing && !a.busy) processing(a);
      } else if (status === "requires_action" && !a.busy) {
        // Left during the bank's check (a reload): the server cancels that attempt, or it went through.
        fillDetails(a);
        a.busy = true;
        showCardStep(a, false);
        setStatus(a, S.pay_working);
        sync(a, null);
      } else {
        if (a.processing) { // the charge failed after all (the bank answered late): the shopper may retry
          a.processing = a.busy = false;
          clearInterval(a.poll);
          a.ui.edit.hidden = false;
          showDiscount(a, true);
          setCardError(a, S.pay_failed);
          if (a.card) mountCard(a);
        }
        if (a.busy) return; // a payment in flight answers for itself
        setStatus(a, "");
        syncCard(a);
        fillDetails(a);
        if (a.payment && a.checkout.details_complete) {
          showCardStep(a, focus);
        } else {
          showDetails(a);
          if (focus) a.ui.details.elements.email.focus();
        }
        // The newest message grew a form: bring the card (its top, if taller than the log) into view; a focused
        // field was already scrolled to.
        if (!a.shown && !focus && !a.host.nextElementSibling) a.host.scrollIntoView({ block: "nearest" });
        a.shown = true;
      }
    }

    // GET gives a new SetupIntent secret (one per card tried).
    function freshPayment(a) {
      return requestJSON("GET", BASE + "/checkout/" + encodeURIComponent(a.token), undefined, S.unreachable)
        .then(function (res) {
          if (current(a) && res.ok && res.payment) usePayment(a, res.payment);
        });
    }

    function refresh(a, closedNote) {
      requestJSON("GET", BASE + "/checkout/" + encodeURIComponent(a.token), undefined, S.unreachable)
        .then(function (res) {
          if (!current(a)) return;
          if (!res.ok) {
            if (closedNote !== undefined || res.error.code === "not_found") close(a, closedNote || "");
            return;
          }
          if (closedNote && res.checkout && res.checkout.status !== "paid") {
            close(a, closedNote);
            return;
          }
          apply(a, res, false);
        });
    }

    // drawn: what the card shows of the checkout as the message drew it (drawnOf).
    function activate(token, seq, host, drawn) {
      if (active && active.token === token && !active.closed) {
        // The same checkout posted again (the shopper or a seller pressed it again): the form moves under the
        // newest card with what was typed. Stripe's card iframe does not survive a move: a new one is made.
        if (active.host === host) return;
        active.host = host;
        active.seq = seq;
        active.drawn = drawn;
        host.appendChild(active.node);
        if (active.card && !active.busy) mountCard(active);
        syncCard(active);
        return;
      }
      reset();
      var a = { token: token, seq: seq, host: host, drawn: drawn, busy: false, closed: false, processing: false };
      active = a;
      build(a);
      host.appendChild(a.node);
      formShown(true);
      setStatus(a, S.pay_loading);
      a.ui.details.hidden = true;
      requestJSON("GET", BASE + "/checkout/" + encodeURIComponent(token), undefined, S.unreachable)
        .then(function (res) {
          if (!current(a)) return;
          if (!res.ok) {
            close(a, res.error.code === "not_found" ? "" : res.error.message);
            return;
          }
          var focus = focusToken === token;
          if (focus) focusToken = null;
          apply(a, res, focus);
        });
    }

    // --- What the widget tells ---------------------------------------------------------------------------------

    // Every message drawn in the widget, with its <li>. Messages come in batches (history, catch-up): the
    // newest checkout of the batch is activated once the batch is drawn.
    function onMessage(message, item) {
      var data = message.data || {};
      if (message.type === "checkout" && data.checkout && data.checkout.token) {
        if (active && message.seq <= active.seq) return; // an older checkout: just its card
        if (candidate && message.seq <= candidate.seq) return;
        var drawn = drawnOf(data.checkout);
        candidate = { token: data.checkout.token, seq: message.seq, host: item, drawn: drawn };
        setTimeout(function () {
          var chosen = candidate;
          candidate = null;
          if (chosen && chosen.host.isConnected) activate(chosen.token, chosen.seq, chosen.host, chosen.drawn);
        }, 0);
      } else if (message.type === "order" && data.event === "confirmed" && active && !active.closed &&
                 message.seq > active.seq) {
        var ours = active.checkout && active.checkout.order;
        if (ours && data.order && ours.number === data.order.number) finish(active);
        else refresh(active);
      }
    }

    // This tab asked for a checkout (the "Checkout" button): its form takes the focus when it appears.
    function expect(token) {
      focusToken = token;
      if (active && active.token === token && !active.closed && active.checkout) {
        focusToken = null;
        var field = active.ui.details.hidden ? null : active.ui.details.elements.email;
        if (field) field.focus();
        else if (!active.ui.card.hidden) focusCard(active);
      }
    }

    // The conversation changed (a new one began): forget the form.
    function reset() {
      if (!active) return;
      var a = active;
      active = null;
      a.closed = true;
      clearInterval(a.poll);
      if (a.card) {
        try {
          a.card.destroy();
        } catch (e) { /* already gone */ }
      }
      if (a.node && a.node.parentNode) a.node.remove();
      formShown(false);
    }

    // The cart's discount changed: the open checkout is fetched again (new amounts on the card and on Pay). A
    // payment under way answers for itself (its amount is fixed when it starts).
    function cartChanged() {
      clearTimeout(cartTimer);
      cartTimer = setTimeout(function () {
        cartTimer = null;
        if (active && !active.closed && active.checkout && !active.busy && !active.processing) amounts(active);
      }, 150);
    }

    // Only the amounts: what the shopper is typing in the details form stays as it is.
    function amounts(a) {
      requestJSON("GET", BASE + "/checkout/" + encodeURIComponent(a.token), undefined, S.unreachable)
        .then(function (res) {
          if (!current(a) || a.busy || a.processing) return;
          if (!res.ok) {
            if (res.error.code === "not_found") close(a, "");
            return;
          }
          if (!res.checkout || res.checkout.status !== "open") {
            apply(a, res, false);
            return;
          }
          a.checkout = res.checkout;
          if (res.payment) usePayment(a, res.payment);
          syncCard(a);
          updatePayButton(a);
        });
    }

    return { onMessage: onMessage, expect: expect, reset: reset, cartChanged: cartChanged };
  }

  window.ChatCheckout = { create: create, request: requestJSON };
})();
