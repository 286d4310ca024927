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

  var RENDERERS = {
    text: renderText,
    product_card: renderProductCard,
    system: renderSystem
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

  // options: {viewer: "shopper"|"seller", locale, strings: {view, you}, mineLabel, systemTexts}
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
