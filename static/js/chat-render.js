// Renders chat messages (docs/chat-protocol.md) as DOM nodes, for the shopper widget and the seller inbox.
// Text is only ever inserted as text nodes: nothing a shopper, a seller or the bot types becomes HTML.
// A new message type is one entry in RENDERERS (and its data documented in the protocol).
(function () {
  "use strict";

  var URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // Plain text with http(s) links made clickable (as <a> elements built from text, never parsed HTML).
  function linkify(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    String(text || "").replace(URL_RE, function (url, offset) {
      if (offset > last) fragment.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = el("a", "chat-link", url);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      fragment.appendChild(link);
      last = offset + url.length;
      return url;
    });
    if (last < text.length) fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  function safeUrl(url) {
    // Only same-site paths or http(s) URLs end up in href/src.
    if (typeof url !== "string") return null;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") return url;
    return /^https?:\/\//i.test(url) ? url : null;
  }

  function renderText(message) {
    var body = el("div", "chat-msg__text");
    body.appendChild(linkify(message.text));
    return body;
  }

  function str(options, key, fallback) {
    return (options && options.strings && options.strings[key]) || fallback;
  }

  // "Add to cart" under a bot's product card (data.product.variants), when the viewer may buy
  // (options.addToCart(variantId, done), done(ok, text)): a variant <select> when there is a choice, the
  // button, and the outcome in a live region. A card without variants (a seller's) offers no button.
  function renderBuy(product, options) {
    var variants = (product.variants || []).filter(function (v) { return v && v.id !== undefined && v.id !== null; });
    if (!variants.length || typeof options.addToCart !== "function") return null;
    var available = variants.filter(function (v) { return v.available !== false; });
    var box = el("div", "chat-buy");
    if (!available.length || product.available === false) {
      box.appendChild(el("p", "chat-buy__soldout", str(options, "sold_out", "Sold out")));
      return box;
    }
    var select = null;
    if (variants.length > 1) {
      var prices = {};
      variants.forEach(function (v) { prices[v.price_text] = true; });
      var showPrice = Object.keys(prices).length > 1;
      var label = el("label", "chat-buy__option");
      label.appendChild(el("span", "chat-buy__label", str(options, "option", "Option")));
      select = el("select", "chat-buy__select");
      variants.forEach(function (v) {
        var text = v.title || "";
        if (showPrice && v.price_text) text += " – " + v.price_text;
        if (v.available === false) text += " – " + str(options, "sold_out", "Sold out");
        var option = new Option(text, String(v.id));
        option.disabled = v.available === false;
        select.appendChild(option);
      });
      select.value = String(available[0].id);
      label.appendChild(select);
      box.appendChild(label);
    }
    var name = str(options, "add_to_cart", "Add to cart");
    var button = el("button", "chat-buy__add", name);
    button.type = "button";
    if (product.title) button.setAttribute("aria-label", name + " " + product.title);
    var status = el("p", "chat-buy__status");
    status.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      if (button.getAttribute("aria-disabled") === "true") return; // a disabled button would lose the focus
      var variantId = select ? Number(select.value) : available[0].id;
      button.setAttribute("aria-disabled", "true");
      status.classList.remove("chat-buy__status--error");
      status.textContent = str(options, "adding", "Adding…");
      options.addToCart(variantId, function (ok, text) {
        button.removeAttribute("aria-disabled");
        status.classList.toggle("chat-buy__status--error", !ok);
        status.textContent = text || "";
      });
    });
    box.appendChild(button);
    box.appendChild(status);
    return box;
  }

  // One product: image, title, price, "View" (and "Add to cart" when the viewer may buy).
  function productCard(product, options, className) {
    var card = el("div", "chat-card" + (className ? " " + className : ""));
    var image = el("img", "chat-card__img");
    image.alt = "";
    image.width = 96;
    image.height = 96;
    image.setAttribute("data-fallback", "");
    image.src = safeUrl(product.image) || "/static/img/placeholder.svg";
    card.appendChild(image);
    var info = el("div", "chat-card__info");
    info.appendChild(el("p", "chat-card__title", product.title || ""));
    info.appendChild(el("p", "chat-card__price", product.price_text || ""));
    var href = safeUrl(product.url);
    if (href) {
      var view = el("a", "chat-card__view", str(options, "view", "View"));
      view.href = href;
      view.setAttribute("aria-label", str(options, "view", "View") + " " + (product.title || ""));
      info.appendChild(view);
    }
    var buy = renderBuy(product, options);
    if (buy) info.appendChild(buy);
    card.appendChild(info);
    return card;
  }

  // The bot's answer comes with its cards (a seller's card has the title, price and link as its text).
  function botText(message) {
    if (!(message.sender && message.sender.kind === "bot") || !message.text) return null;
    return renderText(message);
  }

  function renderProductCard(message, options) {
    options = options || {};
    var product = (message.data && message.data.product) || {};
    if (!product.title) product = Object.assign({}, product, { title: message.text });
    var card = productCard(product, options);
    var text = botText(message);
    if (!text) return card;
    var box = el("div", "chat-product");
    box.appendChild(text);
    box.appendChild(card);
    return box;
  }

  // Several products side by side: the message's text, then a list that scrolls sideways (focusable, so the
  // arrow keys scroll it; each card's links and buttons are in the Tab order).
  function renderCarousel(message, options) {
    options = options || {};
    var box = el("div", "chat-carousel");
    if (message.text) box.appendChild(renderText(message));
    var list = el("ul", "chat-carousel__list");
    list.setAttribute("role", "list");
    list.tabIndex = 0;
    list.setAttribute("aria-label", str(options, "products", "Products"));
    var products = (message.data && message.data.products) || [];
    products.forEach(function (product) {
      if (!product) return;
      var item = el("li", "chat-carousel__item");
      item.setAttribute("role", "listitem");
      item.appendChild(productCard(product, options, "chat-card--stacked"));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  // A form's answers as a small list ("Budget: 150 €"), in the form's field order; empty answers left out.
  function renderAnswers(data) {
    var values = data.values || {};
    var labels = data.labels || {};
    var names = Object.keys(labels).filter(function (n) { return Object.prototype.hasOwnProperty.call(values, n); });
    Object.keys(values).forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    var list = el("dl", "chat-answers");
    names.forEach(function (name) {
      var value = values[name];
      if (value === undefined || value === null || String(value).trim() === "") return;
      var row = el("div", "chat-answers__row");
      row.appendChild(el("dt", null, labels[name] || name));
      row.appendChild(el("dd", null, String(value)));
      list.appendChild(row);
    });
    return list.children.length ? list : null;
  }

  function renderFormResponse(message) {
    return renderAnswers(message.data || {}) || renderText(message);
  }

  var EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  // The form itself, for the shopper (options.submitForm(seq, values, done), done(error|null)).
  function buildForm(message, form, options) {
    var node = el("form", "chat-form__form");
    node.noValidate = true;
    var prefix = "chat-form-" + message.seq;
    var fields = (form.fields || []).filter(function (f) { return f && f.name; });
    var error = el("p", "chat-form__error");
    error.setAttribute("role", "alert");
    node.appendChild(error);
    if (fields.some(function (f) { return f.required; })) {
      node.appendChild(el("p", "chat-form__note", str(options, "form_required_note", "Fields marked * are required.")));
    }
    var inputs = {};
    var errors = {};
    fields.forEach(function (field) {
      var id = prefix + "-" + String(field.name).replace(/[^\w-]/g, "");
      var wrap = el("div", "chat-field");
      var label = el("label", null, field.label || field.name);
      label.htmlFor = id;
      if (field.required) {
        var mark = el("span", "chat-field__required", " *");
        mark.setAttribute("aria-hidden", "true");
        label.appendChild(mark);
      }
      var input = el("input");
      input.type = field.type === "email" ? "email" : "text";
      input.id = id;
      input.name = field.name;
      input.maxLength = 200; // the server's limit for an answer
      if (field.type === "email") input.autocomplete = "email";
      if (field.required) input.required = true;
      var fieldError = el("p", "chat-field__error");
      fieldError.id = id + "-error";
      input.setAttribute("aria-describedby", fieldError.id);
      wrap.appendChild(label);
      wrap.appendChild(input);
      wrap.appendChild(fieldError);
      node.appendChild(wrap);
      inputs[field.name] = input;
      errors[field.name] = fieldError;
    });
    var submit = el("button", "button button--primary chat-form__submit", form.submit || str(options, "send", "Send"));
    submit.type = "submit";
    node.appendChild(submit);

    function show(fieldErrors, text) {
      var first = null;
      fields.forEach(function (field) {
        var problem = fieldErrors[field.name] || "";
        errors[field.name].textContent = problem;
        if (problem) {
          inputs[field.name].setAttribute("aria-invalid", "true");
          first = first || inputs[field.name];
        } else {
          inputs[field.name].removeAttribute("aria-invalid");
        }
      });
      error.textContent = text || "";
      if (first) first.focus();
    }

    node.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.getAttribute("aria-disabled") === "true") return;
      var values = {};
      var problems = {};
      fields.forEach(function (field) {
        var value = inputs[field.name].value.trim();
        values[field.name] = value;
        if (field.required && !value) {
          problems[field.name] = str(options, "form_field_required", "Please fill in this field.");
        } else if (value && field.type === "email" && !EMAIL_RE.test(value)) {
          problems[field.name] = str(options, "form_email_invalid", "Please enter a valid email address.");
        }
      });
      show(problems, "");
      if (Object.keys(problems).length) return;
      submit.setAttribute("aria-disabled", "true");
      options.submitForm(message.seq, values, function (failure) {
        submit.removeAttribute("aria-disabled");
        if (failure) show(failure.fields || {}, failure.message || "");
      });
    });
    return node;
  }

  // A form the bot asks the shopper to fill in (data.form). The shopper's widget shows the form until it is
  // answered (options.formAnswer(seq) returns the form_response message), then a read-only summary; the
  // inbox lists the fields asked for.
  function renderForm(message, options) {
    options = options || {};
    var form = (message.data && message.data.form) || {};
    var box = el("div", "chat-form");
    if (message.text) box.appendChild(renderText(message));
    var answer = typeof options.formAnswer === "function" ? options.formAnswer(message.seq) : null;
    if (answer) {
      var summary = el("div", "chat-form__summary");
      summary.tabIndex = -1;
      summary.appendChild(el("p", "chat-form__sent", str(options, "form_sent", "Sent. Thank you!")));
      var answers = renderAnswers(answer.data || {});
      if (answers) summary.appendChild(answers);
      box.appendChild(summary);
    } else if (typeof options.submitForm === "function" && typeof message.seq === "number") {
      box.appendChild(buildForm(message, form, options));
    } else {
      var asked = el("ul", "chat-form__asked");
      (form.fields || []).forEach(function (field) {
        if (!field || !field.name) return;
        asked.appendChild(el("li", null, (field.label || field.name) + (field.required ? " *" : "")));
      });
      box.appendChild(asked);
    }
    return box;
  }

  // options.systemTexts (optional): {event: "text with {name}"} shows system notes in the viewer's language;
  // without it (or for an unknown event) the stored text is shown.
  function renderSystem(message, options) {
    var data = message.data || {};
    var template = options && options.systemTexts && options.systemTexts[data.event];
    var text = typeof template === "string" ? template.split("{name}").join(data.name || "") : message.text;
    return el("p", "chat-msg__system", text);
  }

  // "{name}"-style placeholders, each value inserted once (never re-scanned).
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  // Amounts come formatted by the server (shop currency, viewer's locale). An amount is "zero" when its text
  // has no non-zero digit; the integer wins when the server sends it too.
  function nonZero(amount, text) {
    if (typeof amount === "number") return amount !== 0;
    return /[1-9]/.test(String(text || ""));
  }

  function negative(text) {
    return /^[-−]/.test(text) ? text : "−" + text;
  }

  // Lines of a checkout or an order: "2 × Olive Tree – Large ... €108.00".
  function renderLines(lines) {
    var list = el("ul", "chat-lines");
    (lines || []).forEach(function (line) {
      var item = el("li", "chat-lines__item");
      var image = safeUrl(line.image);
      if (image) {
        var img = el("img", "chat-lines__img");
        img.alt = "";
        img.width = 40;
        img.height = 40;
        img.setAttribute("data-fallback", "");
        img.src = image;
        item.appendChild(img);
      }
      var name = el("span", "chat-lines__name");
      name.appendChild(document.createTextNode((line.quantity || 1) + " × "));
      var href = safeUrl(line.url);
      var title = el(href ? "a" : "span", null, line.title || "");
      if (href) title.href = href;
      name.appendChild(title);
      if (line.variant_title) name.appendChild(el("span", "chat-lines__variant", line.variant_title));
      item.appendChild(name);
      item.appendChild(el("span", "chat-lines__price", line.total_text || ""));
      list.appendChild(item);
    });
    return list;
  }

  // rows: [[label, text, className?]] as a description list (a div per pair, as HTML allows).
  function renderTotals(rows) {
    var list = el("dl", "chat-totals");
    rows.forEach(function (row) {
      var pair = el("div", "chat-totals__row" + (row[2] ? " " + row[2] : ""));
      pair.appendChild(el("dt", null, row[0]));
      pair.appendChild(el("dd", null, row[1]));
      list.appendChild(pair);
    });
    return list;
  }

  // The amounts of a checkout or an order: subtotal, discount (when there is one, named by its label or its
  // code: "Discount (10% off Teak table)"), shipping, total.
  function amountRows(data, options, discount) {
    var rows = [[str(options, "subtotal", "Subtotal"), data.subtotal_text || ""]];
    if (data.discount_text && nonZero(discount, data.discount_text)) {
      var named = data.discount_label || data.discount_code;
      var label = named ? fill(str(options, "discount_named", "Discount ({label})"), { label: named })
        : str(options, "discount", "Discount");
      rows.push([label, negative(data.discount_text), "chat-totals__row--discount"]);
    }
    if (data.shipping_text) rows.push([str(options, "shipping", "Shipping"), data.shipping_text]);
    rows.push([str(options, "total", "Total"), data.total_text || "", "chat-totals__row--total"]);
    return rows;
  }

  // A checkout posted in the conversation (docs/checkout.md). The shopper's widget adds the details form and
  // the card field under the newest one (chat-checkout.js); here it is only the summary.
  function renderCheckout(message, options) {
    var checkout = (message.data && message.data.checkout) || {};
    var card = el("div", "chat-checkout");
    if (checkout.token) card.dataset.checkoutToken = checkout.token;
    card.appendChild(el("p", "chat-checkout__title", str(options, "checkout_title", "Order summary")));
    card.appendChild(renderLines(checkout.lines));
    card.appendChild(renderTotals(amountRows(checkout, options, checkout.discount)));
    // The applied discount gives nothing on this cart any more (below its minimum, product removed): why.
    if (checkout.discount_problem) {
      card.appendChild(el("p", "chat-checkout__problem", checkout.discount_problem));
    }
    return card;
  }

  // An order confirmed, its status on request, or a refund: number, status, lines, total, status page link.
  function renderOrder(message, options) {
    var data = message.data || {};
    var order = data.order || {};
    var name = order.name || (order.number ? "#" + order.number : "");
    var titles = {
      confirmed: str(options, "order_confirmed", "Order {name} is confirmed. Thank you!"),
      refunded: str(options, "order_refund_event", "{amount} refunded on order {name}")
    };
    var card = el("div", "chat-order chat-order--" + String(data.event || "status").replace(/[^a-z_]/g, ""));
    if (order.number) card.dataset.orderNumber = order.number;
    card.appendChild(el("p", "chat-order__title",
      fill(titles[data.event] || str(options, "order_title", "Order {name}"),
        { name: name, amount: data.amount_text || "" })));
    var status = str(options, "order_" + order.status, order.status_text || order.status || "");
    card.appendChild(el("p", "chat-order__status chat-order__status--" +
      String(order.status || "").replace(/[^a-z_]/g, ""), status));
    card.appendChild(renderLines(order.lines));
    var rows = amountRows(order, options, order.discount_total);
    if (order.refunded_text && nonZero(order.refunded_total, order.refunded_text)) {
      rows.push([str(options, "refunded", "Refunded"), order.refunded_text]);
    }
    card.appendChild(renderTotals(rows));
    var href = safeUrl(order.url);
    if (href) {
      var label = str(options, "view_order", "View order");
      var view = el("a", "chat-order__view", label);
      view.href = href;
      if (name) view.setAttribute("aria-label", label + " " + name);
      card.appendChild(view);
    }
    return card;
  }

  // An offer card's button for the shopper: "Apply", or "Applied" once this offer is the cart's discount. It
  // stays focusable when applied (aria-disabled: a disabled button would drop the keyboard focus).
  function setOfferApplied(card, applied, options) {
    var button = card.querySelector(".chat-offer__apply");
    if (!button) return;
    var label = card.dataset.offerLabel || "";
    var text = applied ? str(options, "applied", "Applied") : str(options, "apply", "Apply");
    button.textContent = text;
    button.setAttribute("aria-label", label ? text + " " + label : text);
    button.setAttribute("aria-disabled", applied ? "true" : "false");
    button.classList.toggle("is-applied", !!applied);
    card.classList.toggle("chat-offer--applied", !!applied);
  }

  // A discount offered to the shopper (data.offer, shop.discounts.offer_data): the note as its heading ("Welcome!
  // 5% off your first order"), the label, until when, the minimum order and the code. The shopper's widget
  // (options.applyOffer(id, done(ok, text)), options.appliedOffer() -> the cart's offer id) adds "Apply";
  // the inbox (options.seller) shows the offer's status instead. Amounts never leave the server: Apply sends
  // only the offer's id.
  function renderOffer(message, options) {
    options = options || {};
    var offer = (message.data && message.data.offer) || {};
    var card = el("div", "chat-offer");
    if (offer.id !== undefined && offer.id !== null) card.dataset.offerId = String(offer.id);
    card.dataset.offerLabel = offer.label || "";
    card.appendChild(el("p", "chat-offer__title", offer.note || str(options, "offer_title", "A discount for you")));
    if (offer.label) card.appendChild(el("p", "chat-offer__label", offer.label));
    if (offer.until) {
      var until = fill(str(options, "until", "Valid {until}"), { until: offer.until });
      card.appendChild(el("p", "chat-offer__until", until));
    }
    if (offer.min_subtotal_text) {
      card.appendChild(el("p", "chat-offer__min",
        fill(str(options, "min_order", "Minimum order: {amount}"), { amount: offer.min_subtotal_text })));
    }
    if (offer.code) {
      var code = el("p", "chat-offer__code", str(options, "code", "Code:") + " ");
      code.appendChild(el("code", null, offer.code));
      card.appendChild(code);
    }
    if (options.seller) {
      var status = String(offer.status || "").replace(/[^a-z_]/g, "");
      if (status) {
        card.appendChild(el("p", "chat-offer__status chat-offer__status--" + status,
          str(options, "offer_" + status, status)));
      }
      return card;
    }
    if (typeof options.applyOffer !== "function" || card.dataset.offerId === undefined || offer.status !== "active") {
      return card;
    }
    var button = el("button", "chat-offer__apply");
    button.type = "button";
    var outcome = el("p", "chat-offer__outcome");
    outcome.setAttribute("aria-live", "polite");
    var error = el("p", "chat-offer__error");
    error.setAttribute("role", "alert");
    card.appendChild(button);
    card.appendChild(outcome);
    card.appendChild(error);
    function isApplied() {
      return typeof options.appliedOffer === "function" && String(options.appliedOffer()) === card.dataset.offerId;
    }
    setOfferApplied(card, isApplied(), options);
    button.addEventListener("click", function () {
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      error.textContent = "";
      outcome.textContent = str(options, "applying", "Applying…");
      options.applyOffer(offer.id, function (ok, text) {
        outcome.textContent = ok ? text || "" : "";
        error.textContent = ok ? "" : text || "";
        setOfferApplied(card, ok || isApplied(), options);
      });
    });
    return card;
  }

  var RENDERERS = {
    text: renderText,
    product_card: renderProductCard,
    carousel: renderCarousel,
    form: renderForm,
    form_response: renderFormResponse,
    system: renderSystem,
    checkout: renderCheckout,
    order: renderOrder,
    offer: renderOffer
  };

  function formatTime(iso, locale) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    try {
      return date.toLocaleTimeString(locale || undefined, { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return date.toISOString().slice(11, 16);
    }
  }

  // options: {viewer: "shopper"|"seller", locale, strings, mineLabel, systemTexts} and, in the shopper's widget,
  // addToCart(variantId, done(ok, text)), submitForm(seq, values, done(error|null)), formAnswer(seq) -> Message.
  // strings: {view, you}, for the bot's cards and forms {add_to_cart, adding, option, sold_out, products, send,
  // form_required_note, form_field_required, form_email_invalid, form_sent} and, for checkout and order cards,
  // {checkout_title, subtotal, discount, shipping, total, refunded, view_order, order_title, order_confirmed,
  // order_refund_event, order_<status>, discount_named} ("{name}", "{amount}", "{label}"), and for offer cards
  // {offer_title, apply, applying, applied, code, until ("{until}"), min_order ("{amount}"), offer_<status>}.
  // Offer cards: options.seller (the inbox: the status, no button), or in the shopper's widget
  // applyOffer(offerId, done(ok, text)) and appliedOffer() -> the id of the offer on the cart (or null).
  // mineLabel (optional): shown instead of the sender's name on the viewer's own messages ("You").
  function renderMessage(message, options) {
    options = options || {};
    var kind = (message.sender && message.sender.kind) || "system";
    var mine = (options.viewer === "shopper" && kind === "shopper") ||
      (options.viewer === "seller" && kind === "seller");
    var item = el("li", "chat-msg chat-msg--" + kind + (mine ? " chat-msg--mine" : "") +
      " chat-msg--type-" + String(message.type || "text").replace(/[^a-z_]/g, ""));
    if (message.seq !== undefined && message.seq !== null) item.dataset.seq = message.seq; // none while unsent
    if (message.client_id) item.dataset.clientId = message.client_id;
    if (kind !== "system") {
      var meta = el("p", "chat-msg__meta");
      var name = mine && options.mineLabel ? options.mineLabel : message.sender && message.sender.name;
      meta.appendChild(el("span", "chat-msg__sender", name));
      var time = el("time", "chat-msg__time", formatTime(message.created_at, options.locale));
      time.dateTime = message.created_at || "";
      meta.appendChild(time);
      item.appendChild(meta);
    }
    var render = RENDERERS[message.type] || renderText; // unknown types fall back to their text
    item.appendChild(render(message, options));
    return item;
  }

  // The cart's discount changed (applied here or in another tab, removed, replaced): every offer card in
  // `container` says whether it is the one applied now.
  function updateOffers(container, appliedId, options) {
    container.querySelectorAll(".chat-offer[data-offer-id]").forEach(function (card) {
      setOfferApplied(card, appliedId !== null && appliedId !== undefined && String(appliedId) === card.dataset.offerId,
        options || {});
    });
  }

  window.ChatRender = { renderMessage: renderMessage, linkify: linkify, formatTime: formatTime, RENDERERS: RENDERERS,
    updateOffers: updateOffers };
})();
