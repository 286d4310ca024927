// The shopper's chat widget: a launcher and a panel on every storefront page, talking to the /shopper
// Socket.IO namespace (docs/chat-protocol.md). Messages are drawn by ChatRender (chat-render.js).
//
// Delivery ("Delivery rules for clients" in the protocol): a message typed by the shopper goes into an
// outbox in localStorage *before* it is emitted, under a client_id chosen here. The outbox is sent in
// order, one message at a time, each waiting for its acknowledgement. An ack removes it; a timeout or a
// lost connection keeps it (it is sent again, with the same client_id, so the server never stores it
// twice); a refusal drops it and shows why. Every (re)connection says `hello` with the highest seq seen,
// renders what was missed, then sends the outbox. Messages are deduplicated by seq and client_id, so
// several tabs (which share the outbox and all receive every message) stay in step.
//
// The shop's bot answers in the same conversation: its cards have "Add to cart" (the `add_to_cart` event),
// its newest message may offer quick replies (sent as the shopper's own message), and its forms are filled
// in here (`form_submit`). While the bot has the conversation (status "bot") the header says "Assistant".
// With `data-chat-autoconnect` on <body> (the owner turned proactive messages on), the widget connects on
// every page, so the bot's greeting shows in the unread badge before the shopper ever opened the chat.
//
// Discounts: an offer card's "Apply" sends `apply_discount` {offer_id}; "Have a discount code?" (in the actions
// bar, and under the checkout card's totals while paying) sends `apply_discount` {code}; "Remove" sends
// `remove_discount`. The cart's discount (`state.cart`, from /cart.json, the acks and `cart_updated`) says which
// offer card shows "Applied", and an open checkout fetches its amounts again when it changes.
(function () {
  "use strict";

  var root = document.getElementById("chat-widget");
  if (!root || !window.io || !window.ChatRender) return;

  var KEY = "maison-verte.chat.";
  var SEND_TIMEOUT = 5000; // ms before an unanswered send counts as "unknown" (kept, sent again later)
  var HELLO_TIMEOUT = 10000;
  var TYPING_IDLE = 3000; // "not typing" after this long without a keystroke
  var TYPING_REFRESH = 2500; // while typing, "typing" is repeated at most this often
  var RETRY_MAX = 30000;

  var S = JSON.parse(root.dataset.strings || "{}");
  var mount = document.getElementById("chat-widget-root");
  var locale = (mount && mount.dataset.locale) || document.documentElement.lang || "en";
  var baseTitle = document.title;

  function q(name) {
    return root.querySelector("[data-chat-" + name + "]");
  }

  var ui = {
    launcher: document.getElementById("chat-launcher"),
    badge: q("badge"),
    label: q("label"),
    name: q("name"),
    announcer: q("announcer"),
    panel: document.getElementById("chat-panel"),
    close: q("close"),
    sound: q("sound"),
    presence: q("presence"),
    presenceText: q("presence-text"),
    connection: q("connection"),
    log: q("log"),
    list: q("list"),
    empty: q("empty"),
    typing: q("typing"),
    typingText: q("typing-text"),
    emailLink: q("email-link"),
    emailSaved: q("email-saved"),
    emailForm: q("email-form"),
    emailInput: document.getElementById("chat-email-input"),
    emailError: q("email-error"),
    compose: q("compose"),
    input: document.getElementById("chat-input"),
    checkout: q("checkout"),
    orders: q("orders"),
    actionsError: q("actions-error"),
    checkoutTemplate: q("checkout-template"),
    discountBar: q("discount-bar"),
    discountTemplate: q("discount-template")
  };

  // --- Storage (localStorage may be unavailable: private modes, full quota) ------------------------------

  var storage = {
    get: function (name, fallback) {
      try {
        var raw = window.localStorage.getItem(KEY + name);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    },
    set: function (name, value) {
      try {
        window.localStorage.setItem(KEY + name, JSON.stringify(value));
      } catch (e) { /* the widget still works for this page */ }
    }
  };

  // Unsent messages, oldest first: [{client_id, text, created_at}]. Shared by every tab of the shop.
  var outbox = {
    all: function () {
      var items = storage.get("outbox", []);
      return Array.isArray(items) ? items.filter(function (i) { return i && i.client_id && i.text; }) : [];
    },
    add: function (item) {
      var items = outbox.all();
      items.push(item);
      storage.set("outbox", items);
    },
    remove: function (clientId) {
      var items = outbox.all();
      var kept = items.filter(function (i) { return i.client_id !== clientId; });
      if (kept.length !== items.length) storage.set("outbox", kept);
    }
  };

  var state = {
    socket: null,
    started: false,
    ready: false, // connected and `hello` answered: the outbox may be sent
    epoch: 0, // bumped on every (dis)connection: late callbacks of an older connection are ignored
    open: false,
    conversationId: null,
    messages: {}, // seq -> Message
    maxSeq: 0,
    lastSeq: 0, // the conversation's last seq as the server last reported it
    shopperReadSeq: 0, // read here (or in another tab)
    reportedReadSeq: 0, // what the server knows the shopper has read
    sellerReadSeq: 0,
    sellersOnline: null,
    status: null, // the conversation's status: "bot", "waiting", "assigned", "resolved" (null: none yet)
    answers: {}, // form seq -> the shopper's form_response message
    email: null,
    emailFormOpen: false,
    pageSent: false,
    flushing: false,
    flushTimer: null,
    retryDelay: 2000,
    sessionDelay: 1000,
    resyncTimer: null,
    typingSent: false,
    typingAt: 0,
    typingIdle: null,
    typingHide: null,
    announced: 0,
    cart: null, // the cart's discount: {offer: {id, code, label, problem} | null, ...} (CartSummary)
    sound: storage.get("sound", true) !== false
  };
  var pending = {}; // client_id -> <li> of a message still in the outbox

  // --- Small helpers -------------------------------------------------------------------------------------

  function fill(template, values) {
    var text = String(template || "");
    Object.keys(values).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16); // crypto.randomUUID needs a secure context; this works everywhere
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // The server masks card numbers before storing (chat/messages.py); doing the same here keeps them out of
  // localStorage. Same pattern as the server's; built from a string because older browsers lack lookbehind
  // (there the server's masking is the only one).
  var CARD_RUN = (function () {
    try {
      return new RegExp("(?<!\\d)(?:\\d[ -]?){12,18}\\d(?!\\d)", "g");
    } catch (e) {
      return null;
    }
  })();

  function luhnValid(digits) {
    var total = 0;
    for (var i = 0; i < digits.length; i++) {
      var n = Number(digits.charAt(digits.length - 1 - i));
      if (i % 2 === 1) {
        n *= 2;
        if (n > 9) n -= 9;
      }
      total += n;
    }
    return total % 10 === 0;
  }

  function maskCardNumbers(text) {
    if (!CARD_RUN) return text;
    return text.replace(CARD_RUN, function (run) {
      var digits = run.replace(/\D/g, "");
      if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) return run;
      return "•••• •••• •••• " + digits.slice(-4);
    });
  }

  function currentPage() {
    var product = document.querySelector("[data-product-handle]");
    return {
      url: window.location.pathname + window.location.search,
      title: baseTitle,
      product_handle: (product && product.getAttribute("data-product-handle")) || null
    };
  }

  function fromOthers(message) {
    var kind = message.sender && message.sender.kind;
    if (kind === "shopper") return false;
    return !(message.type === "system" && message.data && message.data.event === "email_left");
  }

  function errorOf(ack) {
    return (ack && ack.error) || { code: "server_error", message: S.unreachable };
  }

  // Emit with an acknowledgement and a timeout: done(err, ack); err when not connected or unanswered.
  function call(event, payload, timeout, done) {
    var socket = state.socket;
    if (!socket || !socket.connected) {
      done(new Error("disconnected"));
      return;
    }
    socket.timeout(timeout).emit(event, payload, function (err, ack) {
      done(err || null, ack);
    });
  }

  function noop() {}

  // --- Rendering -----------------------------------------------------------------------------------------

  var CARD_STRINGS = ["view", "you", "add_to_cart", "adding", "option", "sold_out", "products", "send",
    "form_required_note", "form_field_required", "form_email_invalid", "form_sent", "checkout_title", "subtotal",
    "discount", "shipping", "total", "refunded", "view_order", "order_title", "order_confirmed", "order_refund_event",
    "order_pending", "order_paid", "order_fulfilled", "order_cancelled", "order_refunded", "order_partially_refunded",
    "discount_named", "offer_title", "apply", "applying", "applied", "code", "until", "min_order"];

  function renderOptions() {
    var strings = {};
    CARD_STRINGS.forEach(function (key) { strings[key] = S[key]; });
    return {
      viewer: "shopper",
      locale: locale,
      strings: strings,
      mineLabel: S.you,
      addToCart: addToCart,
      submitForm: submitForm,
      formAnswer: function (seq) { return state.answers[seq] || null; },
      applyOffer: applyOffer,
      appliedOffer: appliedOfferId,
      systemTexts: {
        claimed: S.system_claimed,
        transferred: S.system_transferred,
        resolved: S.system_resolved,
        reopened: S.system_reopened,
        email_left: S.system_email_left,
        payment_failed: S.system_payment_failed,
        no_orders: S.system_no_orders,
        handed_over: S.system_handed_over,
        bot_resumed: S.system_bot_resumed
      }
    };
  }

  function nearBottom() {
    return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function setStatus(item, text, isError) {
    var status = item.querySelector(".chat-msg__status");
    if (!text) {
      if (status) status.remove();
      return;
    }
    if (!status) {
      status = document.createElement("p");
      status.className = "chat-msg__status";
      item.appendChild(status);
    }
    status.classList.toggle("chat-msg__status--error", !!isError);
    if (status.textContent !== text) status.textContent = text;
  }

  function updateEmpty() {
    ui.empty.hidden = ui.list.children.length > 0;
  }

  // seqs count per conversation. A shopper writing long after a conversation was resolved starts a new
  // one (seq 1 again): forget the old one's messages and read positions. True when it changed.
  function useConversation(id) {
    if (!id || id === state.conversationId) return false;
    var switched = !!state.conversationId;
    state.conversationId = id;
    storage.set("active", true);
    if (switched) {
      if (checkout) checkout.reset();
      state.messages = {};
      state.answers = {};
      state.status = null;
      state.maxSeq = state.lastSeq = state.shopperReadSeq = state.reportedReadSeq = state.sellerReadSeq = 0;
      ui.list.querySelectorAll("[data-seq]").forEach(function (node) { node.remove(); });
    }
    return switched;
  }

  // A stored message; false when it was already shown (same seq).
  function addMessage(message) {
    if (!message || typeof message.seq !== "number") return false;
    if (message.conversation_id !== state.conversationId) {
      if (state.conversationId && message.conversation_id < state.conversationId) return false; // stale
      useConversation(message.conversation_id);
    }
    if (message.client_id && pending[message.client_id]) {
      pending[message.client_id].remove();
      delete pending[message.client_id];
      outbox.remove(message.client_id);
    }
    if (state.messages[message.seq]) return false;
    state.messages[message.seq] = message;
    var item = ChatRender.renderMessage(message, renderOptions());
    // Stored messages in seq order, followed by the ones still being sent.
    var before = null;
    if (message.seq > state.maxSeq) {
      before = ui.list.querySelector(".chat-msg--pending");
    } else {
      for (var node = ui.list.firstElementChild; node; node = node.nextElementSibling) {
        if (node.classList.contains("chat-msg--pending") || Number(node.dataset.seq) > message.seq) {
          before = node;
          break;
        }
      }
    }
    ui.list.insertBefore(item, before);
    if (message.type === "form_response" && message.data && typeof message.data.form_seq === "number") {
      state.answers[message.data.form_seq] = message;
      redrawForm(message.data.form_seq);
    }
    if (checkoutFlow()) checkout.onMessage(message, item);
    state.maxSeq = Math.max(state.maxSeq, message.seq);
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    return true;
  }

  // A form just answered (here or in another tab): drawn again as its summary, which takes the focus if the
  // form had it.
  function redrawForm(seq) {
    var form = state.messages[seq];
    var node = ui.list.querySelector('.chat-msg[data-seq="' + seq + '"]');
    if (!form || form.type !== "form" || !node) return;
    var hadFocus = node.contains(document.activeElement);
    var fresh = ChatRender.renderMessage(form, renderOptions());
    node.replaceWith(fresh);
    var summary = fresh.querySelector(".chat-form__summary");
    if (hadFocus) (summary || ui.input).focus();
    updateEmail();
  }

  // Quick replies: buttons under the newest bot message, until the shopper writes again. A button sends its
  // text as the shopper's message (the ordinary outbox and `send`), and the buttons go.
  function updateQuickReplies() {
    var newestBot = null;
    var newestShopper = 0;
    Object.keys(state.messages).forEach(function (key) {
      var message = state.messages[key];
      var kind = message.sender && message.sender.kind;
      if (kind === "bot" && (!newestBot || message.seq > newestBot.seq)) newestBot = message;
      if (kind === "shopper") newestShopper = Math.max(newestShopper, message.seq);
    });
    var choices = newestBot && newestBot.data && Array.isArray(newestBot.data.quick_replies)
      ? newestBot.data.quick_replies.filter(function (c) { return typeof c === "string" && c.trim(); }) : [];
    var target = choices.length && newestBot.seq > newestShopper && !Object.keys(pending).length ? newestBot : null;
    ui.list.querySelectorAll(".chat-quick").forEach(function (group) {
      if (target && Number(group.dataset.for) === target.seq) return;
      var hadFocus = group.contains(document.activeElement);
      group.remove();
      if (hadFocus) ui.input.focus();
    });
    if (!target) return;
    var item = ui.list.querySelector('.chat-msg[data-seq="' + target.seq + '"]');
    if (!item || item.querySelector(".chat-quick")) return;
    var group = document.createElement("div");
    group.className = "chat-quick";
    group.dataset.for = target.seq;
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", S.quick_replies);
    choices.forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chat-quick__button";
      button.textContent = choice;
      button.addEventListener("click", function () { sendText(choice); });
      group.appendChild(button);
    });
    item.appendChild(group);
  }

  function renderPending(item) {
    if (pending[item.client_id] || ui.list.querySelector('[data-client-id="' + item.client_id + '"]')) return;
    var node = ChatRender.renderMessage({
      client_id: item.client_id,
      type: "text",
      sender: { kind: "shopper", name: S.you },
      text: item.text,
      data: {},
      created_at: item.created_at
    }, renderOptions());
    node.classList.add("chat-msg--pending");
    setStatus(node, S.sending);
    ui.list.appendChild(node);
    pending[item.client_id] = node;
  }

  function markFailed(clientId, reason) {
    var node = pending[clientId];
    delete pending[clientId];
    outbox.remove(clientId);
    if (!node) return;
    node.classList.remove("chat-msg--pending");
    node.classList.add("chat-msg--failed");
    setStatus(node, fill(S.not_sent, { reason: reason }), true);
    updateQuickReplies();
  }

  // "Sent" or "Read" under the shopper's last stored message.
  function updateReceipts() {
    var own = ui.list.querySelectorAll(".chat-msg--mine[data-seq]");
    for (var i = 0; i < own.length - 1; i++) setStatus(own[i], "");
    var last = own[own.length - 1];
    if (last) setStatus(last, state.sellerReadSeq >= Number(last.dataset.seq) ? S.read : S.sent);
  }

  function receive(messages, live) {
    var stick = nearBottom();
    var added = (messages || []).filter(addMessage);
    if (!added.length) return;
    var news = added.filter(fromOthers);
    // An order confirmed: the cart became the order (and its discount was used): the cart as it is now.
    if (live && added.some(function (m) { return m.type === "order" && m.data && m.data.event === "confirmed"; })) {
      loadCart();
    }
    if (live && news.length) {
      if (news.some(function (m) { return m.sender && m.sender.kind === "seller"; })) setTyping(false);
      chime(news[news.length - 1]);
    }
    updateEmpty();
    updateReceipts();
    updateQuickReplies();
    updateEmail();
    if (stick || added.some(function (m) { return !fromOthers(m); })) scrollToBottom();
    markRead();
    updateUnread(live);
    checkGaps();
  }

  // Messages can arrive out of order, or one can be missed around a reconnection: fetch the gap again.
  function contiguousSeq() {
    var seqs = Object.keys(state.messages).map(Number).sort(function (a, b) { return a - b; });
    if (!seqs.length) return null;
    var seq = seqs[0];
    for (var i = 1; i < seqs.length && seqs[i] === seq + 1; i++) seq = seqs[i];
    return seq;
  }

  function checkGaps() {
    if (state.resyncTimer || (contiguousSeq() || 0) >= state.lastSeq) return;
    state.resyncTimer = setTimeout(function () {
      state.resyncTimer = null;
      if (state.ready && (contiguousSeq() || 0) < state.lastSeq) hello();
    }, 1500);
  }

  // --- Unread count, title, sound ------------------------------------------------------------------------

  // Messages from the seller, the bot or the shop after seq.
  function countAfter(seq) {
    var n = 0;
    Object.keys(state.messages).forEach(function (key) {
      if (Number(key) > seq && fromOthers(state.messages[key])) n++;
    });
    return n;
  }

  function unreadLabel(n) {
    return n === 1 ? S.unread_one : fill(S.unread_many, { n: n });
  }

  // announce: say it to screen readers when the count grows while the panel is closed (live messages only).
  function updateUnread(announce) {
    var n = countAfter(state.shopperReadSeq);
    ui.badge.hidden = n === 0;
    ui.badge.textContent = n > 99 ? "99+" : String(n);
    ui.name.textContent = ui.label.textContent + (n ? ", " + unreadLabel(n) : "");
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
    if (announce && n > state.announced && !state.open) {
      ui.announcer.textContent = root.getAttribute("aria-label") + ": " + unreadLabel(n);
    }
    state.announced = n;
  }

  function reading() {
    return state.open && document.visibilityState === "visible";
  }

  function markRead() {
    if (!reading()) return;
    state.shopperReadSeq = Math.max(state.shopperReadSeq, state.maxSeq);
    updateUnread();
    // Told to the server (read receipts for the seller) when something from the others is newly read.
    if (state.ready && state.conversationId && countAfter(state.reportedReadSeq) > 0) {
      var previous = state.reportedReadSeq;
      state.reportedReadSeq = state.shopperReadSeq;
      call("read", { seq: state.shopperReadSeq }, SEND_TIMEOUT, function (err, ack) {
        if (err || !ack || !ack.ok) state.reportedReadSeq = Math.min(state.reportedReadSeq, previous); // next time
      });
    }
  }

  var audio = null;
  // Browsers only let a page make sound after the shopper has interacted with it.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (audio || !Context || !state.started) return; // no audio machinery for shoppers who never chat
    try {
      audio = new Context();
    } catch (e) {
      audio = null;
    }
  }

  function beep() {
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    var now = audio.currentTime;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(880, now);
    osc.frequency.setValueAtTime(660, now + 0.09);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.12, now + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.24);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(now);
    osc.stop(now + 0.25);
  }

  // One chime per new message, even with several tabs open (the first tab to see it plays it).
  function chime(message) {
    var last = storage.get("chimed", null) || {};
    if (!state.sound || (last.conversation === message.conversation_id && last.seq >= message.seq)) return;
    storage.set("chimed", { conversation: message.conversation_id, seq: message.seq });
    beep();
  }

  function setSound(on) {
    state.sound = on;
    ui.sound.setAttribute("aria-pressed", on ? "true" : "false");
  }

  // --- Presence, typing, email ---------------------------------------------------------------------------

  function setPresence(online) {
    state.sellersOnline = !!online;
    updatePresence();
  }

  // The header line: "Assistant" while the bot has the conversation, else whether a seller is online.
  function updatePresence() {
    var bot = state.status === "bot";
    ui.presence.classList.toggle("is-bot", bot);
    ui.presence.classList.toggle("is-online", !bot && !!state.sellersOnline);
    var text = bot ? S.assistant : state.sellersOnline === null ? null
      : state.sellersOnline ? S.seller_online : S.seller_offline;
    if (text !== null && ui.presenceText.textContent !== text) ui.presenceText.textContent = text;
    updateEmail();
  }

  function setTyping(on) {
    clearTimeout(state.typingHide);
    ui.typing.classList.toggle("is-active", on);
    ui.typingText.textContent = on ? S.typing : "";
    if (on) state.typingHide = setTimeout(function () { setTyping(false); }, 15000); // a lost "stopped"
  }

  function sendTyping(on) {
    if (on === state.typingSent && !on) return;
    state.typingSent = on;
    state.typingAt = Date.now();
    if (state.ready && state.conversationId) call("typing", { typing: on }, SEND_TIMEOUT, noop);
  }

  function onInput() {
    clearTimeout(state.typingIdle);
    if (!ui.input.value.trim()) {
      sendTyping(false);
      return;
    }
    if (!state.typingSent || Date.now() - state.typingAt > TYPING_REFRESH) sendTyping(true);
    state.typingIdle = setTimeout(function () { sendTyping(false); }, TYPING_IDLE);
  }

  // An unanswered bot form that asks for the email (the handover when nobody is online): the email form of
  // the panel would be a second one.
  function formAsksEmail() {
    return Object.keys(state.messages).some(function (key) {
      var message = state.messages[key];
      var form = message.type === "form" && message.data && message.data.form;
      return !!form && !state.answers[message.seq] && (form.fields || []).some(function (f) {
        return f && f.type === "email";
      });
    });
  }

  // With nobody online, the email form is offered at once, except while the bot answers (or asks itself).
  function updateEmail() {
    var offer = state.sellersOnline === false && !state.email && state.status !== "bot" && !formAsksEmail();
    var showForm = state.emailFormOpen || offer;
    ui.emailForm.hidden = !showForm;
    ui.emailLink.hidden = showForm;
    ui.emailSaved.textContent = state.email ? fill(S.email_saved, { email: state.email }) : "";
  }

  function setEmailError(text) {
    ui.emailError.textContent = text || "";
    if (text) ui.emailInput.setAttribute("aria-invalid", "true");
    else ui.emailInput.removeAttribute("aria-invalid");
  }

  function submitEmail(event) {
    event.preventDefault();
    setEmailError("");
    call("email", { email: ui.emailInput.value.trim() }, SEND_TIMEOUT, function (err, ack) {
      if (err || !ack || !ack.ok) {
        setEmailError(err ? S.unreachable : errorOf(ack).message);
        ui.emailInput.focus();
        if (err) start();
        return;
      }
      var hadFocus = ui.emailForm.contains(document.activeElement);
      state.email = ack.email;
      state.emailFormOpen = false;
      updateEmail();
      if (hadFocus) ui.emailLink.focus();
    });
  }

  // --- Connection ----------------------------------------------------------------------------------------

  function showConnection(text) {
    if (ui.connection.textContent !== (text || "")) ui.connection.textContent = text || "";
  }

  function applySession(data) {
    if (!data) return;
    if (data.conversation_id) useConversation(data.conversation_id);
    if (typeof data.sellers_online === "boolean") setPresence(data.sellers_online);
    if (data.email !== undefined) {
      state.email = data.email;
      updateEmail();
    }
  }

  function applyConversation(conversation) {
    if (!conversation || !conversation.id) return;
    if (state.conversationId && conversation.id < state.conversationId) return; // an older one
    useConversation(conversation.id);
    if (typeof conversation.status === "string" && conversation.status !== state.status) {
      state.status = conversation.status;
      updatePresence();
    }
    if (typeof conversation.last_seq === "number") state.lastSeq = Math.max(state.lastSeq, conversation.last_seq);
    if (typeof conversation.seller_read_seq === "number") {
      state.sellerReadSeq = Math.max(state.sellerReadSeq, conversation.seller_read_seq);
    }
    if (typeof conversation.shopper_read_seq === "number") {
      state.shopperReadSeq = Math.max(state.shopperReadSeq, conversation.shopper_read_seq);
      state.reportedReadSeq = Math.max(state.reportedReadSeq, conversation.shopper_read_seq);
    }
    updateReceipts();
    updateUnread();
    checkGaps();
  }

  // POST /chat/session makes sure the shopper exists (the cookie the socket handshake carries).
  function createSession(then) {
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(root.dataset.sessionUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.content : "", Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      state.sessionDelay = 1000;
      applySession(data);
      then();
    }).catch(function () {
      showConnection(S.offline);
      setTimeout(function () { createSession(then); }, state.sessionDelay);
      state.sessionDelay = Math.min(state.sessionDelay * 2, RETRY_MAX);
    });
  }

  function start() {
    if (state.started) return;
    state.started = true;
    // A shopper who already chatted has the identity cookie: connect at once, else create it first.
    if (storage.get("active", false)) connect();
    else createSession(connect);
  }

  function connect() {
    if (state.socket) {
      if (!state.socket.connected && !state.socket.active) state.socket.connect();
      return;
    }
    var socket = window.io("/shopper", { transports: ["websocket", "polling"] });
    state.socket = socket;
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("connect_error", onConnectError);
    socket.on("message", function (message) { receive([message], true); });
    socket.on("typing", function (data) {
      if (data && data.who === "seller") setTyping(!!data.typing);
    });
    socket.on("read", onRead);
    socket.on("conversation", applyConversation);
    socket.on("presence", function (data) {
      if (data && typeof data.sellers_online === "boolean") setPresence(data.sellers_online);
    });
    socket.on("cart_updated", function (cart) { cartChanged(cart, true); });
  }

  function onConnect() {
    state.epoch++;
    state.ready = false;
    state.flushing = false;
    state.sessionDelay = 1000;
    showConnection("");
    hello();
  }

  function onDisconnect(reason) {
    state.epoch++;
    state.ready = false;
    state.flushing = false;
    clearTimeout(state.flushTimer);
    state.flushTimer = null;
    setTyping(false);
    showConnection(S.offline);
    // The server ended the connection on purpose: Socket.IO does not come back by itself then.
    if (reason === "io server disconnect") setTimeout(function () { state.socket.connect(); }, 1000);
  }

  function onConnectError() {
    showConnection(S.offline);
    if (state.socket.active) return; // a network failure: Socket.IO retries by itself
    // Refused by the server: the only refusal a shopper can get is `no_identity` (the cookie expired or
    // was cleared). Get a new identity, then connect again, waiting longer each time.
    var delay = state.sessionDelay;
    state.sessionDelay = Math.min(state.sessionDelay * 2, RETRY_MAX);
    setTimeout(function () {
      createSession(function () { state.socket.connect(); });
    }, delay);
  }

  function onRead(data) {
    if (!data || typeof data.seq !== "number") return;
    if (data.who === "seller") {
      state.sellerReadSeq = Math.max(state.sellerReadSeq, data.seq);
      updateReceipts();
    } else if (data.who === "shopper") { // read in another tab
      state.shopperReadSeq = Math.max(state.shopperReadSeq, data.seq);
      state.reportedReadSeq = Math.max(state.reportedReadSeq, data.seq);
      updateUnread();
    }
  }

  // hello: subscribe (done at connect) and fetch what was missed, then send the outbox.
  function hello() {
    var epoch = state.epoch;
    var payload = { after_seq: contiguousSeq(), page: state.pageSent ? null : currentPage() };
    call("hello", payload, HELLO_TIMEOUT, function (err, ack) {
      if (epoch !== state.epoch) return; // reconnected meanwhile: that connection says hello itself
      if (err || !ack || !ack.ok) {
        var error = errorOf(ack);
        var delay = error.code === "rate_limited" ? (error.retry_after || 1) * 1000 : 2000;
        setTimeout(function () { if (epoch === state.epoch) hello(); }, delay);
        return;
      }
      state.pageSent = true;
      if (ack.conversation && payload.after_seq !== null && useConversation(ack.conversation.id)) {
        hello(); // a new conversation began meanwhile: after_seq meant the old one, fetch it all
        return;
      }
      if (typeof ack.sellers_online === "boolean") setPresence(ack.sellers_online);
      if (ack.email !== undefined) {
        state.email = ack.email;
        updateEmail();
      }
      applyConversation(ack.conversation);
      if (!ack.conversation && ack.bot) {
        state.status = "bot"; // the first message will go to the bot: no "no seller online" offer yet
        updatePresence();
      }
      receive(ack.messages, false);
      state.ready = true;
      markRead();
      flush();
      loadCart(); // a change while disconnected (or on another page) is not missed
    });
  }

  function scheduleFlush(delay) {
    clearTimeout(state.flushTimer);
    state.flushTimer = setTimeout(function () {
      state.flushTimer = null;
      flush();
    }, delay);
  }

  // Send the outbox's oldest message; on its ack, the next one.
  function flush() {
    if (state.flushing || state.flushTimer || !state.ready) return;
    var item = outbox.all()[0];
    if (!item) return;
    renderPending(item);
    state.flushing = true;
    var epoch = state.epoch;
    call("send", { client_id: item.client_id, text: item.text }, SEND_TIMEOUT, function (err, ack) {
      if (ack && ack.ok) {
        outbox.remove(item.client_id);
        receive([ack.message], false);
      }
      if (epoch !== state.epoch) return; // reconnected meanwhile: the new connection sends the outbox
      state.flushing = false;
      if (err) { // unknown: maybe stored, maybe not. Same client_id again later; never stored twice.
        scheduleFlush(state.retryDelay);
        state.retryDelay = Math.min(state.retryDelay * 2, RETRY_MAX);
        return;
      }
      state.retryDelay = 2000;
      if (!ack.ok) {
        var error = errorOf(ack);
        if (error.code === "rate_limited") {
          scheduleFlush((error.retry_after || 1) * 1000);
          return;
        }
        markFailed(item.client_id, error.message);
      }
      flush();
    });
  }

  // Another tab changed the outbox: show its unsent messages here too, forget the ones it settled.
  function syncOutbox() {
    var items = outbox.all();
    var ids = items.map(function (i) { return i.client_id; });
    Object.keys(pending).forEach(function (id) {
      if (ids.indexOf(id) < 0) {
        pending[id].remove();
        delete pending[id];
      }
    });
    items.forEach(renderPending);
    updateEmpty();
    updateQuickReplies();
  }

  // --- Checkout and orders (docs/checkout.md; the payment form is chat-checkout.js) -------------------------

  var checkout = null;

  // chat-checkout.js is loaded after this script: looked up when first needed.
  function checkoutFlow() {
    if (!checkout && window.ChatCheckout && ui.checkoutTemplate) {
      checkout = window.ChatCheckout.create({
        strings: S,
        template: ui.checkoutTemplate,
        focusAfter: function () {
          var links = ui.list.querySelectorAll(".chat-order__view");
          (links[links.length - 1] || ui.input).focus();
        },
        // While paying, the checkout asks for the email: the "replies by email" form would be a second one. The
        // discount box moves under the checkout's totals too.
        onForm: function (shown) { root.classList.toggle("is-paying", shown); },
        discountBox: function () { return discountBox("chat-discount-pay"); },
        // The cart changed before paying: the card shows the new lines and amounts (what Pay now charges).
        redraw: function (host, current) {
          var card = host.querySelector(".chat-checkout");
          var lines = (current.lines || []).filter(function (line) { return line.available !== false; });
          var data = { checkout: Object.assign({}, current, { lines: lines }) };
          if (card) card.replaceWith(ChatRender.RENDERERS.checkout({ type: "checkout", data: data }, renderOptions()));
        }
      });
    }
    return checkout;
  }

  function setActionsError(text) {
    if (ui.actionsError.textContent !== (text || "")) ui.actionsError.textContent = text || "";
  }

  // Both calls post their answer as messages in the conversation; the socket brings them here. While one is
  // in flight its button is aria-disabled (a disabled button would drop the keyboard focus).
  function shopAction(button, path, then) {
    if (!checkoutFlow() || button.getAttribute("aria-disabled") === "true") return;
    setActionsError("");
    button.setAttribute("aria-disabled", "true");
    start();
    window.ChatCheckout.request("POST", path, {}, S.unreachable).then(function (res) {
      button.removeAttribute("aria-disabled");
      if (!res.ok) {
        setActionsError(res.error.message || S.unreachable);
        return;
      }
      storage.set("active", true); // the conversation may have begun with this message
      if (then) then(res);
    });
  }

  ui.checkout.addEventListener("click", function () {
    shopAction(ui.checkout, "/payments/checkout", function (res) {
      if (res.checkout && res.checkout.token) checkout.expect(res.checkout.token);
    });
  });
  ui.orders.addEventListener("click", function () {
    shopAction(ui.orders, "/payments/orders/status");
  });

  // --- The bot's cards and forms (docs/chat-protocol.md) ----------------------------------------------------

  function setCartCount(n) {
    var count = document.querySelector(".cart-count");
    if (count) count.textContent = "(" + n + ")";
  }

  // "Add to cart" on a card: done(ok, text) shows the outcome next to the button.
  function addToCart(variantId, done) {
    call("add_to_cart", { variant_id: variantId, quantity: 1 }, SEND_TIMEOUT, function (err, ack) {
      if (err || !ack) {
        done(false, S.unreachable);
        if (err) start();
        return;
      }
      if (!ack.ok) {
        done(false, errorOf(ack).message);
        return;
      }
      if (ack.cart && typeof ack.cart.item_count === "number") setCartCount(ack.cart.item_count);
      done(true, ack.message || S.added);
    });
  }

  // A bot form sent: the answer is the shopper's form_response message, which replaces the form by its summary.
  function submitForm(seq, values, done) {
    call("form_submit", { seq: seq, values: values }, SEND_TIMEOUT, function (err, ack) {
      if (err || !ack) {
        done({ message: S.unreachable });
        if (err) start();
        return;
      }
      if (!ack.ok) {
        done(errorOf(ack));
        return;
      }
      done(null);
      receive([ack.message], false);
    });
  }

  // --- Discounts (docs/chat-protocol.md, "Discounts") ------------------------------------------------------

  var discountBoxes = []; // every box drawn (the actions bar's, the checkout's): each shows the cart's discount

  function appliedOfferId() {
    return state.cart && state.cart.offer ? state.cart.offer.id : null;
  }

  // The cart's discount as the server says it now (an ack, `cart_updated`, /cart.json). fresh: it may have just
  // changed, so an open checkout fetches its amounts again.
  function cartChanged(cart, fresh) {
    if (!cart || typeof cart !== "object") return;
    state.cart = cart;
    if (typeof cart.item_count === "number") setCartCount(cart.item_count);
    ChatRender.updateOffers(ui.list, appliedOfferId(), renderOptions());
    discountBoxes = discountBoxes.filter(function (box) { return box.node.isConnected; });
    discountBoxes.forEach(updateDiscountBox);
    if (fresh && checkoutFlow()) checkout.cartChanged();
  }

  // /cart.json carries the applied offer too (not the chat's own CartSummary, but the same `offer`).
  function loadCart() {
    window.fetch("/cart.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (cart) {
        if (cart) cartChanged({ item_count: cart.item_count, offer: cart.offer || null }, false);
      }, noop);
  }

  // done(ok, text): the outcome, shown by the card (a short confirmation, or the server's reason).
  function discountCall(event, payload, done) {
    call(event, payload, SEND_TIMEOUT, function (err, ack) {
      if (err || !ack) {
        done(false, S.unreachable, null);
        if (err) start();
        return;
      }
      if (!ack.ok) {
        done(false, errorOf(ack).message, errorOf(ack));
        return;
      }
      cartChanged(ack.cart, true);
      done(true, ack.message, null);
    });
  }

  function applyOffer(offerId, done) {
    discountCall("apply_discount", { offer_id: offerId }, function (ok, text) {
      done(ok, ok ? S.discount_applied : text);
    });
  }

  // A box: the applied discount and "Remove", why it no longer applies (showProblem), and "Have a discount code?".
  function discountBox(prefix, showProblem) {
    var node = ui.discountTemplate.content.firstElementChild.cloneNode(true);
    function part(name) { return node.querySelector("[data-discount-" + name + "]"); }
    var box = {
      node: node,
      applied: part("applied"),
      current: part("current"),
      remove: part("remove"),
      problem: part("problem"),
      toggle: part("toggle"),
      form: part("form"),
      input: part("input"),
      submit: part("submit"),
      error: part("error"),
      status: part("status"),
      showProblem: !!showProblem
    };
    box.form.id = prefix + "-form";
    box.input.id = prefix + "-code";
    box.error.id = prefix + "-error";
    part("label").htmlFor = box.input.id;
    box.input.setAttribute("aria-describedby", box.error.id);
    box.toggle.setAttribute("aria-controls", box.form.id);

    function setError(text) {
      box.error.textContent = text || "";
      if (text) box.input.setAttribute("aria-invalid", "true");
      else box.input.removeAttribute("aria-invalid");
    }

    function busy(button, on) {
      if (on) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }

    box.toggle.addEventListener("click", function () {
      var open = box.form.hidden;
      box.form.hidden = !open;
      box.toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) box.input.focus();
    });
    box.form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (box.submit.getAttribute("aria-disabled") === "true") return;
      var code = box.input.value.trim();
      box.status.textContent = "";
      if (!code) {
        setError(S.discount_code_missing);
        box.input.focus();
        return;
      }
      setError("");
      busy(box.submit, true);
      discountCall("apply_discount", { code: code }, function (ok, text) {
        busy(box.submit, false);
        if (!ok) {
          setError(text);
          box.input.focus();
          return;
        }
        var hadFocus = box.form.contains(document.activeElement);
        box.input.value = "";
        box.form.hidden = true;
        box.toggle.setAttribute("aria-expanded", "false");
        box.status.textContent = text || S.discount_applied;
        if (hadFocus) box.toggle.focus();
      });
    });
    box.remove.addEventListener("click", function () {
      if (box.remove.getAttribute("aria-disabled") === "true") return;
      busy(box.remove, true);
      box.status.textContent = "";
      discountCall("remove_discount", {}, function (ok, text) {
        busy(box.remove, false);
        var hadFocus = box.applied.contains(document.activeElement);
        box.status.textContent = ok ? S.discount_removed : text;
        if (hadFocus && box.applied.hidden) box.toggle.focus(); // the button went away with the discount
      });
    });
    discountBoxes.push(box);
    updateDiscountBox(box);
    return node;
  }

  function updateDiscountBox(box) {
    var offer = state.cart && state.cart.offer;
    box.applied.hidden = !offer;
    var label = offer ? offer.label || offer.code || "" : "";
    box.current.textContent = offer ? fill(S.discount_current, { label: label }) : "";
    if (offer) box.remove.setAttribute("aria-label", fill(S.remove_discount, { label: label }));
    // Under the checkout the card itself says why the discount no longer applies.
    box.problem.hidden = !(offer && offer.problem) || !box.showProblem;
    box.problem.textContent = offer && offer.problem ? offer.problem : "";
  }

  if (ui.discountBar && ui.discountTemplate) ui.discountBar.appendChild(discountBox("chat-discount-bar", true));

  // --- The panel -----------------------------------------------------------------------------------------

  function openPanel() {
    state.open = true;
    ui.panel.hidden = false;
    root.classList.add("is-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.announcer.textContent = "";
    start();
    scrollToBottom();
    ui.input.focus();
    markRead();
  }

  function closePanel(returnFocus) {
    state.open = false;
    ui.panel.hidden = true;
    root.classList.remove("is-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    sendTyping(false);
    if (returnFocus) ui.launcher.focus();
  }

  function submitMessage() {
    var text = ui.input.value.replace(/\r\n?/g, "\n").trim();
    if (!text) return;
    ui.input.value = "";
    clearTimeout(state.typingIdle);
    sendTyping(false);
    sendText(text);
  }

  // The shopper's message (typed, or a quick reply) into the outbox, then sent.
  function sendText(text) {
    var item = { client_id: newClientId(), text: maskCardNumbers(text), created_at: new Date().toISOString() };
    outbox.add(item); // stored before it is emitted: a reload or a lost connection cannot lose it
    storage.set("active", true);
    renderPending(item);
    updateEmpty();
    updateQuickReplies();
    scrollToBottom();
    start();
    flush();
  }

  ui.launcher.addEventListener("click", function () {
    if (state.open) closePanel(false);
    else openPanel();
  });
  ui.close.addEventListener("click", function () { closePanel(true); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && state.open) {
      event.preventDefault();
      closePanel(true);
    }
  });
  ui.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey &&
        !event.isComposing) {
      event.preventDefault();
      submitMessage();
    }
  });
  ui.input.addEventListener("input", onInput);
  ui.compose.addEventListener("submit", function (event) {
    event.preventDefault();
    submitMessage();
    ui.input.focus();
  });
  ui.sound.addEventListener("click", function () {
    setSound(!state.sound);
    storage.set("sound", state.sound);
    if (state.sound) {
      unlockAudio();
      beep(); // a sample of what will be heard
    }
  });
  ui.emailLink.addEventListener("click", function (event) {
    event.preventDefault();
    state.emailFormOpen = true;
    updateEmail();
    ui.emailInput.value = ui.emailInput.value || state.email || "";
    ui.emailInput.focus();
  });
  ui.emailForm.addEventListener("submit", submitEmail);
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("storage", function (event) {
    if (event.key === KEY + "outbox") {
      syncOutbox(); // the tab that wrote it sends it; this one sends it too only after reconnecting
    } else if (event.key === KEY + "sound") {
      setSound(storage.get("sound", true) !== false);
    } else if (event.key === KEY + "active" && event.newValue) {
      start(); // a conversation began in another tab: follow it here too (unread count, sound)
    }
  });

  // --- Start ---------------------------------------------------------------------------------------------

  setSound(state.sound);
  showConnection("");
  updateEmail();
  outbox.all().forEach(renderPending);
  updateEmpty();
  ui.launcher.hidden = false;
  // With a conversation (or unsent messages), connect now: replies count as unread even while closed. So too
  // when the page asks for it (proactive messages on): the bot may speak first.
  var autoconnect = document.body.hasAttribute("data-chat-autoconnect") ||
    (mount && mount.hasAttribute("data-chat-autoconnect")) || root.hasAttribute("data-chat-autoconnect");
  if (storage.get("active", false) || outbox.all().length || autoconnect) start();
})();
