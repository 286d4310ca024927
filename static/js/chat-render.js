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

  function renderProductCard(message, options) {
    var product = (message.data && message.data.product) || {};
    var card = el("div", "chat-card");
    var image = el("img", "chat-card__img");
    image.alt = "";
    image.width = 96;
    image.height = 96;
    image.setAttribute("data-fallback", "");
    image.src = safeUrl(product.image) || "/static/img/placeholder.svg";
    card.appendChild(image);
    var info = el("div", "chat-card__info");
    info.appendChild(el("p", "chat-card__title", product.title || message.text));
    info.appendChild(el("p", "chat-card__price", product.price_text || ""));
    var href = safeUrl(product.url);
    if (href) {
      var view = el("a", "chat-card__view", (options.strings && options.strings.view) || "View");
      view.href = href;
      view.setAttribute("aria-label", ((options.strings && options.strings.view) || "View") + " " + (product.title || ""));
      info.appendChild(view);
    }
    card.appendChild(info);
    return card;
  }

  // options.systemTexts (optional): {event: "text with {name}"} shows system notes in the viewer's language;
  // without it (or for an unknown event) the stored text is shown.
  function renderSystem(message, options) {
    var data = message.data || {};
    var template = options && options.systemTexts && options.systemTexts[data.event];
    var text = typeof template === "string" ? template.split("{name}").join(data.name || "") : message.text;
    return el("p", "chat-msg__system", text);
  }

  function str(options, key, fallback) {
    return (options && options.strings && options.strings[key]) || fallback;
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

  // The amounts of a checkout or an order: subtotal, discount (when there is one), shipping, total.
  function amountRows(data, options, discount) {
    var rows = [[str(options, "subtotal", "Subtotal"), data.subtotal_text || ""]];
    if (data.discount_text && nonZero(discount, data.discount_text)) {
      rows.push([str(options, "discount", "Discount"), negative(data.discount_text)]);
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

  var RENDERERS = {
    text: renderText,
    product_card: renderProductCard,
    system: renderSystem,
    checkout: renderCheckout,
    order: renderOrder
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

  // options: {viewer: "shopper"|"seller", locale, strings, mineLabel, systemTexts}
  // strings: {view, you} and, for checkout and order cards, {checkout_title, subtotal, discount, shipping, total,
  // refunded, view_order, order_title, order_confirmed, order_refund_event, order_<status>} ("{name}", "{amount}").
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

  window.ChatRender = { renderMessage: renderMessage, linkify: linkify, formatTime: formatTime, RENDERERS: RENDERERS };
})();
