// The seller inbox (templates/chat/inbox.html) over the /seller Socket.IO namespace (docs/chat-protocol.md):
// the live conversation list, the conversation pane (history, replies with an outbox, typing, read receipts,
// saved replies), the shopper's context, product search, presence and notifications, and discounts: the offer
// form in the conversation pane and, for managers, the offers waiting for approval.
// Everything people read comes from the page (data-strings, translated) or from the server; text is only ever
// inserted as text nodes.
(function () {
  "use strict";

  var app = document.getElementById("inbox-app");
  if (!app || !window.io || !window.ChatRender) return;

  var S = JSON.parse(app.dataset.strings || "{}");
  var LOCALE = app.dataset.locale || undefined;
  var ME = { id: Number(app.dataset.sellerId), name: app.dataset.sellerName, role: app.dataset.sellerRole };
  var ACK_TIMEOUT = 8000;
  var HEARTBEAT = 30000;
  var TYPING_IDLE = 3000;
  var TYPING_SHOWN = 8000;
  var OUTBOX_KEY = "maison-verte.inbox-outbox." + ME.id;
  var SOUND_KEY = "maison-verte.inbox-sound";
  var BASE_TITLE = document.title;

  var state = {
    filter: "open",
    conversations: new Map(), // id -> Conversation, everything this page knows about
    sellers: new Map(), // id -> Seller
    canned: [],
    status: "online",
    openId: null,
    messages: new Map(), // seq -> Message, for the open conversation
    lastSeq: 0, // highest seq shown in the pane
    shopperReadSeq: 0,
    sentReadSeq: 0,
    outbox: loadOutbox(), // replies not acknowledged yet, oldest first
    context: null, // the open conversation's Context, as last drawn
    refundDrafts: {}, // order id -> amount typed in its refund field (kept when the context is redrawn)
    pendingOffers: new Map(), // managers: offer id -> Offer waiting for approval (GET /seller/offers/pending)
    approvalErrors: {}, // offer id -> why approving or declining it failed
    outcomeOfferId: null // the offer the note under the conversation's head is about
  };

  function $(id) { return document.getElementById(id); }

  var ui = {
    connection: $("connection-status"),
    presence: $("presence-group"),
    team: $("team-list"),
    sound: $("inbox-sound"),
    list: $("conversation-list"),
    listEmpty: $("conversation-list-empty"),
    title: $("conversation-title"),
    placeholder: $("conversation-placeholder"),
    pane: $("conversation-pane"),
    status: $("conversation-status"),
    claim: $("claim-button"),
    transferGroup: $("transfer-group"),
    transferSelect: $("transfer-select"),
    transfer: $("transfer-button"),
    resolve: $("resolve-button"),
    checkout: $("checkout-button"),
    paneError: $("conversation-error"),
    scroller: $("message-log"),
    log: $("message-list"),
    typing: $("typing-indicator"),
    form: $("reply-form"),
    reply: $("reply-text"),
    replyError: $("reply-error"),
    cannedSelect: $("canned-select"),
    suggestions: $("canned-suggestions"),
    cannedStatus: $("canned-status"),
    contextPlaceholder: $("context-placeholder"),
    context: $("context-pane"),
    search: $("product-search"),
    searchForm: $("product-search-form"),
    searchInput: $("product-search-input"),
    searchStatus: $("product-search-status"),
    results: $("product-results")
  };

  // The offer form (conversation pane) and the managers' approvals (top bar).
  var offerUi = {
    toggle: $("offer-toggle"),
    panel: $("offer-panel"),
    form: $("offer-form"),
    cap: $("offer-cap"),
    error: $("offer-error"),
    value: $("offer-value"),
    valueLabel: $("offer-value-label"),
    valueHint: $("offer-value-hint"),
    scope: $("offer-scope"),
    min: $("offer-min"),
    hours: $("offer-hours"),
    hoursHint: $("offer-hours-hint"),
    note: $("offer-note-text"),
    submit: $("offer-submit"),
    cancel: $("offer-cancel"),
    outcome: $("offer-outcome"),
    approvals: $("approvals"),
    approvalsTitle: $("approvals-title"),
    approvalsCount: $("approvals-count"),
    approvalsEmpty: $("approvals-empty"),
    approvalsList: $("approvals-list"),
    approvalsStatus: $("approvals-status")
  };

  // --- Small helpers -------------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // "{name} is typing…" + {name: "Ana"}; values are inserted once, never re-scanned.
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function safePath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
  }

  function safeUrl(url) {
    return safePath(url) || (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);
  }

  function formatWhen(iso) {
    var date = new Date(iso);
    if (!iso || isNaN(date.getTime())) return "";
    if (date.toDateString() === new Date().toDateString()) return window.ChatRender.formatTime(iso, LOCALE);
    try {
      return date.toLocaleDateString(LOCALE, { day: "numeric", month: "short" });
    } catch (e) {
      return iso.slice(0, 10);
    }
  }

  function timeElement(iso, className) {
    var time = el("time", className, formatWhen(iso));
    time.dateTime = iso || "";
    return time;
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: keep it in memory */ }
  }

  function loadOutbox() {
    try {
      var items = JSON.parse(storageGet(OUTBOX_KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function saveOutbox() { storageSet(OUTBOX_KEY, JSON.stringify(state.outbox)); }

  function showError(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  // --- The connection ------------------------------------------------------------------------------------

  var socket = window.io("/seller");

  // Every call has an acknowledgement; a missing one (timeout, or not connected) is {code: "timeout"}.
  function call(event, payload, timeout) {
    return new Promise(function (resolve) {
      if (!socket.connected) {
        resolve({ ok: false, error: { code: "offline", message: S.not_sent } });
        return;
      }
      socket.timeout(timeout || ACK_TIMEOUT).emit(event, payload || {}, function (err, response) {
        if (err) resolve({ ok: false, error: { code: "timeout", message: S.timeout } });
        else resolve(response || { ok: false, error: { code: "server_error", message: S.timeout } });
      });
    });
  }

  // The payments and discount calls are HTTP (docs/checkout.md): JSON with the CSRF header; same answer shape
  // as the socket.
  function requestJSON(method, url, body) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var failed = { ok: false, error: { code: "timeout", message: S.timeout } };
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = meta ? meta.content : "";
      init.body = JSON.stringify(body || {});
    }
    return fetch(url, init).then(function (response) {
      return response.json().then(function (data) { return data && typeof data === "object" ? data : failed; },
        function () { return failed; });
    }, function () { return failed; });
  }

  function postJSON(url, body) { return requestJSON("POST", url, body); }

  function getJSON(url) { return requestJSON("GET", url); }

  function setConnection(text, withLink) {
    ui.connection.textContent = text || "";
    if (withLink) {
      var link = el("a", null, S.sign_in);
      link.href = app.dataset.loginUrl || "/seller";
      ui.connection.appendChild(document.createTextNode(" "));
      ui.connection.appendChild(link);
    }
    ui.connection.classList.toggle("inbox-connection--problem", !!text);
  }

  socket.on("connect", function () {
    setConnection("");
    call("hello").then(function (res) {
      if (!res.ok) {
        setConnection(res.error.message);
        return;
      }
      applyHello(res);
      loadPendingOffers(); // events missed while disconnected: the list is read again
      if (state.filter !== "open") loadFilter(state.filter);
      var reopened = state.openId ? loadConversation(state.lastSeq || null) : Promise.resolve();
      reopened.then(flushOutbox);
    });
  });

  socket.on("disconnect", function () {
    setConnection(S.reconnecting);
    ui.presence.disabled = true;
    markPendingUnsent();
  });

  socket.on("connect_error", function (err) {
    if (socket.active) {
      setConnection(S.reconnecting); // the client keeps retrying by itself
    } else {
      // Refused by the server (signed out, session expired): retrying would not help.
      setConnection(S.session_expired, true);
    }
  });

  socket.on("conversation", function (conversation) { upsertConversation(conversation, true); });
  socket.on("message", onMessage);
  socket.on("typing", onTyping);
  socket.on("read", onRead);
  socket.on("context", function (payload) {
    if (payload && payload.conversation_id === state.openId) renderContext(payload.context);
  });
  socket.on("presence", function (payload) {
    if (payload && payload.seller) upsertSeller(payload.seller);
  });
  socket.on("offer_pending", onOfferPending);
  socket.on("offer_decided", onOfferDecided);

  function applyHello(res) {
    ME.name = res.seller.name;
    if (res.seller.role && res.seller.role !== ME.role) {
      ME.role = res.seller.role; // promoted or demoted since the page was served: refund controls follow
      if (state.context) renderContext(state.context);
      var current = state.conversations.get(state.openId);
      if (current) renderHead(current);
    }
    state.sellers = new Map();
    res.sellers.forEach(function (seller) { state.sellers.set(seller.id, seller); });
    upsertSeller(res.seller, true);
    ui.presence.disabled = false;
    state.canned = res.canned || [];
    renderCannedSelect();
    replaceFiltered("open", res.conversations);
  }

  // --- Conversations list --------------------------------------------------------------------------------

  function matches(conversation, filter) {
    if (!conversation.last_seq) return false;
    switch (filter) {
      case "open": return conversation.status !== "resolved";
      case "waiting": return conversation.status === "waiting";
      case "mine": return conversation.status === "assigned" && !!conversation.assignee &&
        conversation.assignee.id === ME.id;
      case "resolved": return conversation.status === "resolved";
      default: return true;
    }
  }

  // The server's answer for a filter is authoritative: forget what matched it before (it changed while away).
  function replaceFiltered(filter, conversations) {
    state.conversations.forEach(function (conversation, id) {
      if (matches(conversation, filter) && id !== state.openId) state.conversations.delete(id);
    });
    conversations.forEach(function (conversation) { upsertConversation(conversation, false); });
    ui.list.setAttribute("aria-busy", "false");
    renderList();
  }

  function loadFilter(filter) {
    ui.list.setAttribute("aria-busy", "true");
    return call("inbox", { filter: filter }).then(function (res) {
      if (filter !== state.filter) return;
      if (res.ok) replaceFiltered(filter, res.conversations);
      else ui.list.setAttribute("aria-busy", "false");
    });
  }

  function upsertConversation(conversation, live) {
    var previous = state.conversations.get(conversation.id);
    state.conversations.set(conversation.id, conversation);
    var fromShopper = conversation.last_message && conversation.last_message.sender_kind === "shopper";
    var isNew = previous ? conversation.last_seq > previous.last_seq : conversation.unread > 0;
    // While the bot answers a conversation, its shopper's messages make no sound (the bot handles them).
    if (live && fromShopper && isNew && conversation.status !== "bot") notifyShopperMessage(conversation);
    if (conversation.id === state.openId) {
      renderHead(conversation);
      if (conversation.shopper_read_seq > state.shopperReadSeq) {
        state.shopperReadSeq = conversation.shopper_read_seq;
        updateReceipt();
      }
    }
    renderList();
    updateTitle();
  }

  function statusText(conversation) {
    if (conversation.status === "resolved") return S.status_resolved;
    if (conversation.status === "bot") return S.status_bot;
    if (conversation.status === "assigned" && conversation.assignee) {
      return conversation.assignee.id === ME.id
        ? S.status_mine
        : fill(S.status_assigned, { name: conversation.assignee.name });
    }
    return S.status_waiting;
  }

  function unreadText(n) {
    return n === 1 ? S.unread_one : fill(S.unread_many, { n: n });
  }

  function conversationItem(conversation) {
    var open = conversation.id === state.openId;
    var item = el("li", "conv-item" + (open ? " conv-item--open" : "") +
      (conversation.unread ? " conv-item--unread" : ""));
    var button = el("button", "conv-item__button");
    button.type = "button";
    button.dataset.id = conversation.id;
    if (open) button.setAttribute("aria-current", "true");
    var top = el("span", "conv-item__top");
    top.appendChild(el("span", "conv-item__name", conversation.shopper.name));
    top.appendChild(timeElement(conversation.updated_at, "conv-item__time"));
    button.appendChild(top);
    button.appendChild(el("span", "conv-status conv-status--" + conversation.status, statusText(conversation)));
    if (conversation.last_message) {
      button.appendChild(el("span", "conv-item__last", conversation.last_message.text));
    }
    if (conversation.unread) {
      var badge = el("span", "conv-item__badge");
      badge.appendChild(el("span", null, String(conversation.unread))).setAttribute("aria-hidden", "true");
      badge.appendChild(el("span", "visually-hidden", unreadText(conversation.unread)));
      button.appendChild(badge);
    }
    button.addEventListener("click", function () { openConversation(conversation.id); });
    item.appendChild(button);
    return item;
  }

  // Newest activity first (ISO 8601 UTC timestamps of one format compare as strings).
  function newestFirst(a, b) {
    if (a.updated_at !== b.updated_at) return a.updated_at < b.updated_at ? 1 : -1;
    return b.id - a.id;
  }

  var listScheduled = false;

  // Re-rendered as a whole (a few hundred rows at most), batched per animation frame; focus is kept.
  function renderList() {
    if (listScheduled) return;
    listScheduled = true;
    window.requestAnimationFrame(function () {
      listScheduled = false;
      var focused = document.activeElement && ui.list.contains(document.activeElement)
        ? document.activeElement.dataset.id : null;
      var rows = [];
      state.conversations.forEach(function (c) { if (matches(c, state.filter)) rows.push(c); });
      rows.sort(newestFirst);
      var fragment = document.createDocumentFragment();
      rows.forEach(function (c) { fragment.appendChild(conversationItem(c)); });
      ui.list.replaceChildren(fragment);
      ui.listEmpty.hidden = rows.length > 0 || ui.list.getAttribute("aria-busy") === "true";
      if (focused) {
        var again = ui.list.querySelector('button[data-id="' + Number(focused) + '"]');
        if (again) again.focus({ preventScroll: true });
      }
    });
  }

  function updateTitle() {
    var total = 0;
    state.conversations.forEach(function (c) { if (c.status !== "resolved") total += c.unread || 0; });
    document.title = (total > 0 ? "(" + total + ") " : "") + BASE_TITLE;
  }

  document.querySelectorAll('input[name="filter"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) return;
      state.filter = radio.value;
      renderList();
      loadFilter(radio.value);
    });
  });

  // --- Notifications -------------------------------------------------------------------------------------

  var audio = null;

  // Browsers only let a page make sound after the person interacted with it: the context starts then.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }

  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  function beep() {
    if (!ui.sound.checked || !audio) return;
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    var now = audio.currentTime;
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.2);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(now);
    oscillator.stop(now + 0.22);
  }

  function notifyShopperMessage(conversation) {
    var watching = conversation.id === state.openId && document.visibilityState === "visible" &&
      document.hasFocus();
    if (!watching) beep();
  }

  ui.sound.checked = storageGet(SOUND_KEY) !== "off";
  ui.sound.addEventListener("change", function () {
    storageSet(SOUND_KEY, ui.sound.checked ? "on" : "off");
    if (ui.sound.checked) unlockAudio();
  });

  // --- Presence and the team -----------------------------------------------------------------------------

  function upsertSeller(seller, force) {
    var known = state.sellers.get(seller.id);
    if (!force && known && known.status === seller.status && known.name === seller.name) return;
    state.sellers.set(seller.id, seller);
    if (seller.id === ME.id && seller.status !== "offline") {
      state.status = seller.status;
      document.querySelectorAll('input[name="presence"]').forEach(function (radio) {
        radio.checked = radio.value === seller.status;
      });
    }
    renderTeam();
    var open = state.conversations.get(state.openId);
    if (open) renderHead(open);
  }

  function sortedSellers() {
    var sellers = Array.from(state.sellers.values());
    sellers.sort(function (a, b) { return a.name.localeCompare(b.name, LOCALE); });
    return sellers;
  }

  function renderTeam() {
    var fragment = document.createDocumentFragment();
    sortedSellers().forEach(function (seller) {
      var item = el("li", "team-member team-member--" + seller.status);
      item.appendChild(el("span", "presence-dot", "")).setAttribute("aria-hidden", "true");
      item.appendChild(el("span", "team-member__name", seller.id === ME.id
        ? seller.name + " (" + S.you + ")" : seller.name));
      item.appendChild(el("span", "team-member__status", S[seller.status] || seller.status));
      fragment.appendChild(item);
    });
    ui.team.replaceChildren(fragment);
  }

  // The seller's choice is sent when it changes; the heartbeat only says "still here", so that a heartbeat
  // handled at the same moment as a change (events may be handled concurrently) cannot undo it.
  function sendPresence(status) {
    call("presence", status ? { status: status } : {}).then(function (res) {
      if (res.ok) upsertSeller(res.seller);
    });
  }

  document.querySelectorAll('input[name="presence"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) return;
      state.status = radio.value;
      sendPresence(radio.value);
    });
  });

  window.setInterval(function () { if (socket.connected) sendPresence(); }, HEARTBEAT);

  // --- The conversation pane -----------------------------------------------------------------------------

  function mayManage(conversation) {
    return ME.role === "manager" || !conversation.assignee || conversation.assignee.id === ME.id;
  }

  function renderHead(conversation) {
    ui.title.textContent = conversation.shopper.name;
    ui.status.textContent = statusText(conversation);
    ui.status.className = "conv-status conv-status--" + conversation.status;
    var manage = mayManage(conversation);
    ui.claim.hidden = !(!conversation.assignee || conversation.status === "resolved");
    ui.resolve.hidden = conversation.status === "resolved" || !manage;
    offerUi.toggle.hidden = !manage; // the server checks it too
    if (!manage) closeOfferForm(false);
    renderTransferOptions(conversation);
    ui.transferGroup.hidden = !manage || ui.transferSelect.options.length < 2;
  }

  // Every seller but the one who has the conversation (a manager may hand it to themselves).
  var transferKey = "";

  function renderTransferOptions(conversation) {
    var chosen = ui.transferSelect.value;
    var owner = conversation.assignee ? conversation.assignee.id : null;
    var choices = [];
    sortedSellers().forEach(function (seller) {
      if (seller.id === owner || (seller.id === ME.id && ME.role !== "manager")) return;
      var name = seller.id === ME.id ? seller.name + " (" + S.you + ")" : seller.name;
      var status = S[seller.status] || seller.status;
      choices.push([String(seller.id), fill(S.seller_status, { name: name, status: status })]);
    });
    var key = JSON.stringify(choices);
    if (key === transferKey) return; // unchanged: an open drop-down stays open
    transferKey = key;
    var options = [new Option(S.choose_seller, "")].concat(choices.map(function (choice) {
      return new Option(choice[1], choice[0]);
    }));
    ui.transferSelect.replaceChildren.apply(ui.transferSelect, options);
    ui.transferSelect.value = chosen;
    if (ui.transferSelect.value !== chosen) ui.transferSelect.value = "";
  }

  function openConversation(id) {
    if (state.openId === id) return;
    if (state.openId) {
      stopTyping();
      call("close", { conversation_id: state.openId });
    }
    state.openId = id;
    state.messages = new Map();
    state.lastSeq = 0;
    state.shopperReadSeq = 0;
    state.sentReadSeq = 0;
    ui.log.replaceChildren();
    ui.typing.textContent = "";
    showError(ui.paneError, "");
    showError(ui.replyError, "");
    hideSuggestions();
    state.context = null;
    state.refundDrafts = {};
    resetOfferForm();
    showOutcome("", null);
    ui.placeholder.hidden = true;
    ui.pane.hidden = false;
    ui.search.hidden = false;
    ui.results.replaceChildren();
    ui.searchStatus.textContent = "";
    var known = state.conversations.get(id);
    if (known) renderHead(known);
    renderPending();
    renderList();
    // One column: the conversation is below the list; take the seller (and the keyboard focus) there.
    if (window.matchMedia("(max-width: 1099px)").matches) ui.title.focus();
    loadConversation(null);
  }

  // `open` joins the conversation's room first, then answers with what came after afterSeq.
  function loadConversation(afterSeq) {
    var id = state.openId;
    ui.scroller.setAttribute("aria-busy", "true");
    return call("open", { conversation_id: id, after_seq: afterSeq }).then(function (res) {
      if (id !== state.openId) return;
      ui.scroller.setAttribute("aria-busy", "false");
      if (!res.ok) {
        showError(ui.paneError, res.error.message);
        return;
      }
      state.shopperReadSeq = Math.max(state.shopperReadSeq, res.conversation.shopper_read_seq || 0);
      upsertConversation(res.conversation, false);
      res.messages.forEach(addMessage);
      renderContext(res.context);
      updateReceipt();
      scrollToEnd(true);
      markRead();
    });
  }

  function nearEnd() {
    var box = ui.scroller;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  }

  function scrollToEnd(force) {
    if (force || nearEnd()) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  var RENDER_OPTIONS = {
    viewer: "seller",
    locale: LOCALE,
    seller: true, // offer cards show the offer's status, never "Apply"
    // The bot's cards, checkout and order cards: labels and order statuses in this seller's language.
    strings: ["view", "you", "products", "option", "sold_out", "checkout_title", "subtotal", "discount", "shipping",
      "total", "refunded", "view_order", "order_title", "order_confirmed", "order_refund_event", "order_pending",
      "order_paid", "order_fulfilled", "order_cancelled", "order_refunded", "order_partially_refunded",
      "discount_named", "offer_title", "apply", "applying", "applied", "code", "until", "min_order", "offer_active",
      "offer_pending", "offer_declined", "offer_withdrawn"
    ].reduce(function (strings, key) {
      strings[key] = S[key];
      return strings;
    }, {}),
    // System notes in this seller's language (the stored text is English).
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

  function addMessage(message) {
    if (message.conversation_id !== state.openId || state.messages.has(message.seq)) return;
    var stick = nearEnd() || (message.sender && message.sender.kind === "seller");
    state.messages.set(message.seq, message);
    var node = window.ChatRender.renderMessage(message, RENDER_OPTIONS);
    if (message.client_id) removePendingNode(message.client_id); // replaced by the stored copy
    // In seq order; replies still waiting for their acknowledgement stay last.
    var before = Array.prototype.find.call(ui.log.children, function (child) {
      return child.dataset.pending || Number(child.dataset.seq) > message.seq;
    });
    ui.log.insertBefore(node, before || null);
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    updateReceipt();
    scrollToEnd(stick);
  }

  function onMessage(message) {
    if (!message || message.conversation_id !== state.openId) return;
    addMessage(message);
    if (message.sender && message.sender.kind === "shopper") {
      ui.typing.textContent = "";
      markRead();
    }
  }

  // "Read" under the sellers' last message once the shopper has read it.
  function updateReceipt() {
    var old = ui.log.querySelector(".inbox-receipt");
    if (old) old.remove();
    var ours = ui.log.querySelectorAll(".chat-msg--seller[data-seq]");
    var last = ours[ours.length - 1];
    if (last && Number(last.dataset.seq) <= state.shopperReadSeq) {
      last.appendChild(el("p", "inbox-receipt", S.read));
    }
  }

  function onRead(payload) {
    if (!payload || payload.conversation_id !== state.openId || payload.who !== "shopper") return;
    state.shopperReadSeq = Math.max(state.shopperReadSeq, payload.seq || 0);
    updateReceipt();
  }

  // Tell the server (and so the shopper and the other sellers) what this seller has seen.
  function markRead() {
    var id = state.openId;
    var conversation = state.conversations.get(id);
    if (!id || !conversation || document.visibilityState !== "visible") return;
    var newestFromShopper = 0;
    state.messages.forEach(function (m) {
      if (m.sender && m.sender.kind === "shopper") newestFromShopper = Math.max(newestFromShopper, m.seq);
    });
    var unseen = conversation.unread > 0 || newestFromShopper > (conversation.seller_read_seq || 0);
    if (!unseen || state.lastSeq <= state.sentReadSeq) return;
    var seq = state.lastSeq;
    state.sentReadSeq = seq;
    call("read", { conversation_id: id, seq: seq }).then(function (res) {
      var lost = res.error && (res.error.code === "timeout" || res.error.code === "offline");
      if (lost && id === state.openId && state.sentReadSeq === seq) state.sentReadSeq = 0; // again later
    });
  }

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);

  // --- Typing --------------------------------------------------------------------------------------------

  var typingSent = false;
  var typingTimer = null;
  var typingShownTimer = null;

  function startTyping() {
    if (!state.openId) return;
    if (!typingSent) {
      typingSent = true;
      call("typing", { conversation_id: state.openId, typing: true });
    }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    window.clearTimeout(typingTimer);
    if (typingSent && state.openId) call("typing", { conversation_id: state.openId, typing: false });
    typingSent = false;
  }

  function onTyping(payload) {
    if (!payload || payload.conversation_id !== state.openId) return;
    window.clearTimeout(typingShownTimer);
    ui.typing.textContent = payload.typing ? fill(S.typing, { name: payload.name }) : "";
    if (payload.typing) {
      typingShownTimer = window.setTimeout(function () { ui.typing.textContent = ""; }, TYPING_SHOWN);
    }
  }

  // --- Replies and the outbox ----------------------------------------------------------------------------

  function queue(event, conversationId, fields, preview) {
    var item = {
      client_id: newClientId(),
      conversation_id: conversationId,
      event: event,
      fields: fields,
      preview: preview,
      created_at: new Date().toISOString()
    };
    state.outbox.push(item);
    saveOutbox();
    if (conversationId === state.openId) {
      ui.log.appendChild(pendingNode(item));
      scrollToEnd(true);
    }
    flushOutbox();
  }

  function pendingNode(item) {
    var node = window.ChatRender.renderMessage({
      seq: null,
      client_id: item.client_id,
      type: item.preview.type,
      sender: { kind: "seller", name: ME.name },
      text: item.preview.text,
      data: item.preview.data || {},
      created_at: item.created_at
    }, RENDER_OPTIONS);
    delete node.dataset.seq; // not stored yet
    node.dataset.pending = item.client_id;
    node.classList.add("chat-msg--pending");
    node.appendChild(el("p", "chat-msg__state", socket.connected ? S.sending : S.not_sent));
    return node;
  }

  function renderPending() {
    state.outbox.forEach(function (item) {
      if (item.conversation_id === state.openId) ui.log.appendChild(pendingNode(item));
    });
  }

  function removePendingNode(clientId) {
    Array.prototype.forEach.call(ui.log.querySelectorAll("[data-pending]"), function (node) {
      if (node.dataset.pending === clientId) node.remove();
    });
  }

  function markPendingUnsent() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".chat-msg--pending .chat-msg__state"), function (n) {
      n.textContent = S.not_sent;
    });
  }

  var flushing = false;

  // Sends the outbox in order, one acknowledgement at a time; a lost ack is retried with the same client_id
  // (the server answers `duplicate: true` instead of storing the reply twice).
  function flushOutbox() {
    if (flushing || !socket.connected || !state.outbox.length) return;
    flushing = true;
    var item = state.outbox[0];
    var payload = Object.assign({ conversation_id: item.conversation_id, client_id: item.client_id }, item.fields);
    call(item.event, payload).then(function (res) {
      flushing = false;
      if (res.ok) {
        dropFromOutbox(item);
        addMessage(res.message);
        flushOutbox();
        return;
      }
      var code = res.error.code;
      if (code === "timeout" || code === "offline") {
        markPendingUnsent();
        window.setTimeout(flushOutbox, 2000); // or at the next connect
      } else if (code === "rate_limited") {
        window.setTimeout(flushOutbox, (res.error.retry_after || 1) * 1000);
      } else {
        dropFromOutbox(item); // refused for good (too long, gone...): give the text back to the seller
        removePendingNode(item.client_id);
        if (item.conversation_id === state.openId) {
          showError(ui.replyError, res.error.message);
          if (item.event === "send" && !ui.reply.value) ui.reply.value = item.fields.text;
        }
        flushOutbox();
      }
    });
  }

  function dropFromOutbox(item) {
    state.outbox = state.outbox.filter(function (other) { return other.client_id !== item.client_id; });
    saveOutbox();
  }

  function sendReply() {
    var text = ui.reply.value;
    if (!state.openId || !text.trim()) return;
    showError(ui.replyError, "");
    queue("send", state.openId, { text: text }, { type: "text", text: text.trim() });
    ui.reply.value = "";
    stopTyping();
    hideSuggestions();
    ui.reply.focus();
  }

  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendReply();
  });

  ui.reply.addEventListener("keydown", function (event) {
    if (!ui.suggestions.hidden && handleSuggestionKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply();
    }
  });

  ui.reply.addEventListener("input", function () {
    if (ui.reply.value) startTyping();
    else stopTyping();
    updateSuggestions();
  });

  ui.reply.addEventListener("blur", function () {
    window.setTimeout(hideSuggestions, 150);
  });

  // --- Claim, transfer, resolve --------------------------------------------------------------------------

  function act(button, event, payload, focusAfter) {
    var id = state.openId;
    showError(ui.paneError, "");
    button.disabled = true;
    call(event, Object.assign({ conversation_id: id }, payload)).then(function (res) {
      button.disabled = false;
      if (id !== state.openId) return;
      if (res.ok) {
        upsertConversation(res.conversation, false);
        if (button.hidden || button.closest("[hidden]")) focusAfter.focus();
      } else if (res.error.code === "already_claimed") {
        showError(ui.paneError, fill(S.already_claimed, { name: res.error.owner }));
      } else {
        showError(ui.paneError, res.error.message);
      }
    });
  }

  ui.claim.addEventListener("click", function () { act(ui.claim, "claim", {}, ui.reply); });
  // The card arrives as a message in the open conversation, like any other.
  ui.checkout.addEventListener("click", function () {
    var id = state.openId;
    if (!id || ui.checkout.getAttribute("aria-disabled") === "true") return;
    showError(ui.paneError, "");
    ui.checkout.setAttribute("aria-disabled", "true"); // not `disabled`: that would drop the keyboard focus
    postJSON("/payments/seller/conversations/" + id + "/checkout").then(function (res) {
      ui.checkout.removeAttribute("aria-disabled");
      if (id === state.openId && !res.ok) showError(ui.paneError, res.error.message);
    });
  });
  ui.resolve.addEventListener("click", function () { act(ui.resolve, "resolve", {}, ui.title); });
  ui.transfer.addEventListener("click", function () {
    var target = Number(ui.transferSelect.value);
    if (!target) {
      ui.transferSelect.focus();
      return;
    }
    act(ui.transfer, "transfer", { seller_id: target }, ui.title);
  });

  // --- Saved replies -------------------------------------------------------------------------------------

  function renderCannedSelect() {
    var options = [ui.cannedSelect.options[0]];
    state.canned.forEach(function (canned) {
      options.push(new Option("/" + canned.shortcut + " – " + canned.title, String(canned.id)));
    });
    ui.cannedSelect.replaceChildren.apply(ui.cannedSelect, options);
    ui.cannedSelect.parentNode.hidden = state.canned.length === 0;
  }

  // The saved reply with its variables filled by the server goes into the reply box, to edit before sending.
  function insertCanned(cannedId, replaceAll) {
    var id = state.openId;
    return call("render_canned", { conversation_id: id, canned_id: cannedId }).then(function (res) {
      if (id !== state.openId) return;
      if (!res.ok) {
        showError(ui.replyError, res.error.message);
        return;
      }
      var box = ui.reply;
      if (replaceAll || !box.value) {
        box.value = res.text;
      } else {
        var start = box.selectionStart;
        box.value = box.value.slice(0, start) + res.text + box.value.slice(box.selectionEnd);
      }
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  }

  ui.cannedSelect.addEventListener("change", function () {
    var id = Number(ui.cannedSelect.value);
    ui.cannedSelect.value = "";
    if (id) insertCanned(id, false);
  });

  var suggestionIndex = 0;

  function suggestionMatches() {
    var found = /^\/([\w-]*)$/.exec(ui.reply.value);
    if (!found) return null;
    var query = found[1].toLowerCase();
    return state.canned.filter(function (canned) {
      return canned.shortcut.indexOf(query) === 0 || canned.title.toLowerCase().indexOf(query) !== -1;
    });
  }

  function updateSuggestions() {
    var found = suggestionMatches();
    if (!found || !found.length) {
      hideSuggestions();
      return;
    }
    suggestionIndex = Math.min(suggestionIndex, found.length - 1);
    var fragment = document.createDocumentFragment();
    found.forEach(function (canned, index) {
      var option = el("li", "canned-suggestions__option");
      option.id = "canned-option-" + canned.id;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", index === suggestionIndex ? "true" : "false");
      option.dataset.id = canned.id;
      option.appendChild(el("strong", null, "/" + canned.shortcut));
      option.appendChild(document.createTextNode(" " + canned.title));
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { chooseSuggestion(canned.id); });
      fragment.appendChild(option);
    });
    var wasHidden = ui.suggestions.hidden;
    ui.suggestions.replaceChildren(fragment);
    ui.suggestions.hidden = false;
    ui.reply.setAttribute("aria-activedescendant", "canned-option-" + found[suggestionIndex].id);
    if (wasHidden) {
      ui.cannedStatus.textContent = found.length === 1 ? S.canned_found_one
        : fill(S.canned_found_many, { n: found.length });
    }
  }

  function hideSuggestions() {
    ui.suggestions.hidden = true;
    ui.suggestions.replaceChildren();
    ui.reply.removeAttribute("aria-activedescendant");
    suggestionIndex = 0;
  }

  function chooseSuggestion(cannedId) {
    hideSuggestions();
    insertCanned(cannedId, true);
  }

  function handleSuggestionKey(event) {
    var options = ui.suggestions.querySelectorAll("[role=option]");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      suggestionIndex = (suggestionIndex + step + options.length) % options.length;
      updateSuggestions();
      return true;
    }
    if (event.key === "Enter" || event.key === "Tab") {
      if (event.key === "Tab" && event.shiftKey) return false;
      event.preventDefault();
      chooseSuggestion(Number(options[suggestionIndex].dataset.id));
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      hideSuggestions();
      return true;
    }
    return false;
  }

  // --- Context panel -------------------------------------------------------------------------------------

  function listOrEmpty(list, items, emptyText, render) {
    var fragment = document.createDocumentFragment();
    if (!items || !items.length) fragment.appendChild(el("li", "muted", emptyText));
    else items.forEach(function (item) { fragment.appendChild(render(item)); });
    $(list).replaceChildren(fragment);
  }

  function pageLink(page) {
    var href = safePath(page.url);
    var text = page.title || page.url;
    if (!href) return el("span", null, text);
    var link = el("a", null, text);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  function renderContext(context) {
    if (!context) return;
    state.context = context;
    ui.contextPlaceholder.hidden = true;
    ui.context.hidden = false;
    var page = $("ctx-page");
    page.replaceChildren(context.page ? pageLink(context.page) : el("span", "muted", S.no_page));
    listOrEmpty("ctx-pages", context.pages, S.no_page, function (p) {
      var item = el("li");
      item.appendChild(pageLink(p));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(timeElement(p.viewed_at, "muted"));
      return item;
    });
    var cart = context.cart || { lines: [] };
    listOrEmpty("ctx-cart", cart.lines, S.empty_cart, function (line) {
      var item = el("li", "ctx-line");
      var title = line.quantity + " × " + line.title + (line.variant_title ? " – " + line.variant_title : "");
      item.appendChild(el("span", null, title));
      item.appendChild(el("span", "ctx-line__price", line.line_price_text || ""));
      return item;
    });
    var total = $("ctx-cart-total");
    total.hidden = !cart.lines || !cart.lines.length;
    total.querySelector("dd").textContent = cart.subtotal_text || "";
    renderCartDiscount(cart);
    listOrEmpty("ctx-offers", context.offers, S.no_offers, function (offer) {
      return contextOffer(offer, cart.offer);
    });
    var focused = document.activeElement && document.activeElement.id;
    listOrEmpty("ctx-orders", context.orders, S.no_orders, orderItem);
    var again = focused && $(focused);
    if (again && $("ctx-orders").contains(again)) again.focus(); // redrawn while the seller types an amount
    $("ctx-spent").textContent = context.total_spent_text || "";
    $("ctx-email").replaceChildren(context.email ? el("span", null, context.email) : el("span", "muted", S.no_email));
    listOrEmpty("ctx-earlier", context.earlier_conversations, S.no_earlier, earlierItem);
  }

  function orderItem(order) {
    var item = el("li", "ctx-order");
    var line = el("div", "ctx-line");
    var href = safePath(order.url);
    var name = el(href ? "a" : "span", null, order.name);
    if (href) name.href = href;
    line.appendChild(name);
    line.appendChild(el("span", "muted", S["order_" + order.status] || order.status));
    line.appendChild(el("span", "ctx-line__price", order.total_text || ""));
    item.appendChild(line);
    if (order.refunded_text && /[1-9]/.test(order.refunded_text)) {
      item.appendChild(el("p", "muted ctx-order__refunded", fill(S.refunded_amount, { amount: order.refunded_text })));
    }
    if (mayRefund(order)) item.appendChild(refundForm(order));
    return item;
  }

  // Managers only (the server checks it too), on paid orders with something left to refund.
  function mayRefund(order) {
    if (ME.role !== "manager" || typeof order.id !== "number") return false;
    if (order.status !== "paid" && order.status !== "partially_refunded") return false;
    return typeof order.refundable !== "number" || order.refundable > 0;
  }

  // Amount in major units as typed ("12.50"); empty refunds what remains. The server never refunds more.
  function refundForm(order) {
    var id = order.id;
    var form = el("form", "refund-form");
    form.noValidate = true;
    form.setAttribute("aria-label", fill(S.refund_form, { name: order.name }));
    var label = el("label", null, S.refund_amount);
    label.htmlFor = "refund-amount-" + id;
    form.appendChild(label);
    var row = el("span", "refund-form__row");
    var input = el("input");
    input.type = "text";
    input.id = "refund-amount-" + id;
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.maxLength = 20;
    input.value = state.refundDrafts[id] || "";
    input.setAttribute("aria-describedby", "refund-hint-" + id);
    input.addEventListener("input", function () { state.refundDrafts[id] = input.value; });
    row.appendChild(input);
    var button = el("button", "button--small", S.refund);
    button.type = "submit";
    button.id = "refund-button-" + id;
    row.appendChild(button);
    form.appendChild(row);
    var hint = el("p", "muted refund-form__hint", S.refund_hint);
    hint.id = "refund-hint-" + id;
    form.appendChild(hint);
    var error = el("p", "field-error");
    error.id = "refund-error-" + id;
    error.setAttribute("role", "alert");
    error.hidden = true;
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      refund(order, input, button, error);
    });
    return form;
  }

  function refund(order, input, button, error) {
    if (button.getAttribute("aria-disabled") === "true") return; // one refund at a time
    var amount = input.value.trim();
    var conversationId = state.openId;
    showError(error, "");
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "refund-hint-" + order.id);
    button.setAttribute("aria-disabled", "true");
    postJSON("/payments/seller/orders/" + order.id + "/refund", amount ? { amount: amount } : {}).then(function (res) {
      button.removeAttribute("aria-disabled");
      if (conversationId !== state.openId) return;
      if (!res.ok) {
        showError(error, res.error.message);
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", "refund-hint-" + order.id + " " + error.id);
        input.focus();
        return;
      }
      delete state.refundDrafts[order.id];
      var context = state.context;
      if (context && res.order) {
        (context.orders || []).forEach(function (known) {
          if (known.id === order.id) {
            ["status", "total_text", "refunded_text", "refundable"].forEach(function (key) {
              if (res.order[key] !== undefined) known[key] = res.order[key];
            });
          }
        });
        renderContext(context);
      }
      ($("refund-amount-" + order.id) || $("ctx-orders-title")).focus(); // the form is gone once all is refunded
    });
  }

  function earlierItem(conversation) {
    var item = el("li", "ctx-earlier");
    var head = el("span", "ctx-earlier__head");
    head.appendChild(timeElement(conversation.updated_at));
    head.appendChild(el("span", "conv-status conv-status--" + conversation.status,
      conversation.status === "resolved" ? S.status_resolved : conversation.status === "waiting"
        ? S.status_waiting : ""));
    item.appendChild(head);
    if (conversation.last_message) item.appendChild(el("span", "ctx-earlier__last", conversation.last_message));
    var button = el("button", "button--small", S.view);
    button.type = "button";
    button.setAttribute("aria-label", fill(S.view_earlier, { date: formatWhen(conversation.updated_at) }));
    button.addEventListener("click", function () { openConversation(conversation.id); });
    item.appendChild(button);
    return item;
  }

  // --- Discounts: the cart's discount and the shopper's offers in the context panel ----------------------

  function renderCartDiscount(cart) {
    var box = $("ctx-discount");
    var applied = cart.offer;
    box.hidden = !applied;
    if (!applied) return;
    box.classList.toggle("ctx-discount--problem", !!applied.problem);
    $("ctx-discount-label").textContent = fill(S.discount_named, { label: applied.label });
    var amount = applied.problem ? S.not_applied : "−" + String(cart.discount_text || "").replace(/^[-−]/, "");
    $("ctx-discount-amount").textContent = amount;
    var problem = $("ctx-discount-problem");
    problem.textContent = applied.problem || "";
    problem.hidden = !applied.problem;
    $("ctx-cart-grand").textContent = cart.total_text || "";
  }

  function offerStatusKey(offer, applied) {
    if (applied && applied.id === offer.id) return "in_cart";
    if (offer.used) return "used";
    if (offer.status === "active" && offer.expires_at && new Date(offer.expires_at).getTime() < Date.now()) {
      return "expired";
    }
    return String(offer.status || "").replace(/[^a-z_]/g, "");
  }

  // "10% off Teak Table  [Active]" / "Code OFFER-7KQ2XM2A · until Sunday 23 November, 18:00".
  function contextOffer(offer, applied) {
    var item = el("li", "ctx-offer");
    var line = el("div", "ctx-line");
    line.appendChild(el("span", "ctx-offer__label", offer.label || offer.code));
    var key = offerStatusKey(offer, applied);
    line.appendChild(el("span", "ctx-offer__status ctx-offer__status--" + key, S["offer_" + key] || offer.status));
    item.appendChild(line);
    var details = [fill(S.offer_code, { code: offer.code })];
    if (offer.until) details.push(offer.until);
    if (offer.min_subtotal_text) details.push(fill(S.min_order, { amount: offer.min_subtotal_text }));
    item.appendChild(el("p", "muted ctx-offer__details", details.join(" · ")));
    return item;
  }

  // --- Discounts: the offer form -------------------------------------------------------------------------

  // Server field -> [input, its error]; product_id and collection_id are chosen in the "Applies to" list.
  var OFFER_FIELDS = {
    kind: ["offer-kind-percent", "offer-kind-error"],
    value: ["offer-value", "offer-value-error"],
    scope: ["offer-scope", "offer-scope-error"],
    product_id: ["offer-scope", "offer-scope-error"],
    collection_id: ["offer-scope", "offer-scope-error"],
    min_subtotal: ["offer-min", "offer-min-error"],
    expires_in_hours: ["offer-hours", "offer-hours-error"],
    note: ["offer-note-text", "offer-note-error"]
  };
  var offerOptions = { amount_example: "20.00", default_expiry_hours: 48 };

  function offerKind() {
    var checked = offerUi.form.querySelector('input[name="offer-kind"]:checked');
    return checked ? checked.value : "percent";
  }

  function showKind() {
    var percent = offerKind() === "percent";
    offerUi.valueLabel.textContent = percent ? S.percent_off : S.amount_off;
    offerUi.valueHint.textContent = percent ? S.percent_hint
      : fill(S.amount_hint, { example: offerOptions.amount_example });
  }

  function showOfferErrors(fields, message) {
    var places = {}; // error element id -> [input id, text]: the first message for each place
    Object.keys(OFFER_FIELDS).forEach(function (name) {
      var ids = OFFER_FIELDS[name];
      if (!places[ids[1]] || !places[ids[1]][1]) places[ids[1]] = [ids[0], fields[name] || ""];
    });
    var first = null;
    Object.keys(places).forEach(function (errorId) {
      var input = $(places[errorId][0]);
      var text = places[errorId][1];
      var hint = input.dataset.describedby || "";
      showError($(errorId), text);
      if (text) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", (hint + " " + errorId).trim());
        first = first || input;
      } else {
        input.removeAttribute("aria-invalid");
        if (hint) input.setAttribute("aria-describedby", hint);
        else input.removeAttribute("aria-describedby");
      }
    });
    showError(offerUi.error, message);
    if (first) first.focus();
  }

  function scopeOptions(products, collections) {
    var chosen = offerUi.scope.value;
    var options = [new Option(S.whole_cart, "order")];
    var group;
    if (products.length) {
      group = document.createElement("optgroup");
      group.label = S.products;
      products.forEach(function (product) {
        var text = fill(product.in_cart ? S.in_cart : S.viewing, { title: product.title });
        group.appendChild(new Option(text, "product:" + product.id));
      });
      options.push(group);
    }
    if (collections.length) {
      group = document.createElement("optgroup");
      group.label = S.collections;
      collections.forEach(function (collection) {
        group.appendChild(new Option(fill(S.collection_choice, { title: collection.title }),
          "collection:" + collection.id));
      });
      options.push(group);
    }
    offerUi.scope.replaceChildren.apply(offerUi.scope, options);
    offerUi.scope.value = chosen;
    if (offerUi.scope.value !== chosen) offerUi.scope.value = "order";
  }

  // Everything back to a new offer (another conversation was opened, or the offer was sent).
  function resetOfferForm() {
    offerUi.form.reset();
    offerUi.scope.replaceChildren(new Option(S.whole_cart, "order"));
    showOfferErrors({}, "");
    showKind();
    closeOfferForm(false);
  }

  // The form's choices depend on the conversation (the shopper's cart and page) and on the owner's settings:
  // read each time the form opens.
  function openOfferForm() {
    var id = state.openId;
    if (!id || offerUi.toggle.getAttribute("aria-disabled") === "true") return;
    showError(ui.paneError, "");
    offerUi.toggle.setAttribute("aria-disabled", "true");
    getJSON("/seller/conversations/" + id + "/offers/new").then(function (res) {
      offerUi.toggle.removeAttribute("aria-disabled");
      if (id !== state.openId) return;
      if (!res.ok) {
        showError(ui.paneError, res.error.message);
        return;
      }
      offerOptions = res;
      offerUi.cap.textContent = res.cap_text;
      offerUi.hoursHint.textContent = fill(S.hours_hint, { hours: res.default_expiry_hours });
      scopeOptions(res.products || [], res.collections || []);
      showKind();
      offerUi.panel.hidden = false;
      offerUi.toggle.setAttribute("aria-expanded", "true");
      var kind = offerUi.form.querySelector('input[name="offer-kind"]:checked');
      (kind || offerUi.value).focus();
    });
  }

  function closeOfferForm(focusToggle) {
    if (offerUi.panel.hidden) return;
    offerUi.panel.hidden = true;
    offerUi.toggle.setAttribute("aria-expanded", "false");
    if (focusToggle && !offerUi.toggle.hidden) offerUi.toggle.focus();
  }

  // The note under the conversation's head after an offer: sent, or waiting for a manager.
  function showOutcome(text, offerId) {
    offerUi.outcome.textContent = text || "";
    state.outcomeOfferId = offerId;
  }

  function sendOffer() {
    var id = state.openId;
    if (!id || offerUi.submit.getAttribute("aria-disabled") === "true") return;
    var target = offerUi.scope.value.split(":");
    var body = {
      kind: offerKind(),
      value: offerUi.value.value.trim(),
      scope: target[0],
      min_subtotal: offerUi.min.value.trim(),
      expires_in_hours: offerUi.hours.value.trim(),
      note: offerUi.note.value.trim()
    };
    if (target[0] === "product") body.product_id = target[1];
    if (target[0] === "collection") body.collection_id = target[1];
    showOfferErrors({}, "");
    offerUi.submit.setAttribute("aria-disabled", "true");
    postJSON("/seller/conversations/" + id + "/offers", body).then(function (res) {
      offerUi.submit.removeAttribute("aria-disabled");
      if (id !== state.openId) return;
      if (!res.ok) {
        showOfferErrors(res.error.fields || {}, res.error.message);
        if (!res.error.fields) offerUi.error.focus();
        return;
      }
      resetOfferForm();
      offerUi.toggle.focus();
      showOutcome(res.message, res.pending ? res.offer.id : null);
    });
  }

  offerUi.error.tabIndex = -1;
  offerUi.toggle.addEventListener("click", function () {
    if (offerUi.toggle.getAttribute("aria-expanded") === "true") closeOfferForm(true);
    else openOfferForm();
  });
  offerUi.cancel.addEventListener("click", function () { closeOfferForm(true); });
  offerUi.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeOfferForm(true);
    }
  });
  offerUi.form.addEventListener("change", function (event) {
    if (event.target.name === "offer-kind") showKind();
  });
  offerUi.form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendOffer();
  });

  // --- Discounts: managers approve or decline offers above a seller's cap --------------------------------

  function loadPendingOffers() {
    offerUi.approvals.hidden = ME.role !== "manager";
    if (ME.role !== "manager") return;
    getJSON("/seller/offers/pending").then(function (res) {
      if (!res.ok) {
        offerUi.approvalsStatus.textContent = res.error.message;
        return;
      }
      state.pendingOffers = new Map();
      res.offers.forEach(function (offer) { state.pendingOffers.set(offer.id, offer); });
      renderApprovals();
    });
  }

  function onOfferPending(offer) {
    if (!offer || typeof offer.id !== "number" || ME.role !== "manager") return;
    state.pendingOffers.set(offer.id, offer);
    renderApprovals();
  }

  // Decided here, by another manager, or in another tab: gone from the list; the seller's note is done.
  function onOfferDecided(payload) {
    if (!payload) return;
    if (state.pendingOffers.delete(payload.id)) renderApprovals();
    if (state.outcomeOfferId === payload.id) showOutcome("", null);
  }

  function shopperOf(offer) {
    var conversation = state.conversations.get(offer.conversation_id);
    return conversation ? conversation.shopper.name : "";
  }

  function approvalItem(offer) {
    var item = el("li", "inbox-approval");
    item.dataset.offerId = offer.id;
    item.appendChild(el("p", "inbox-approval__label", offer.label));
    var shopper = shopperOf(offer);
    var seller = offer.seller ? offer.seller.name : "";
    var who = shopper ? fill(S.approval_by, { seller: seller, shopper: shopper })
      : fill(S.approval_by_seller, { seller: seller });
    item.appendChild(el("p", "muted inbox-approval__who", who));
    if (offer.note) item.appendChild(el("p", "inbox-approval__note", "“" + offer.note + "”"));
    var actions = el("div", "inbox-approval__actions");
    var names = { label: offer.label, shopper: shopper || seller };
    var approve = el("button", "button button--primary button--small", S.approve);
    approve.type = "button";
    approve.dataset.action = "approve";
    approve.setAttribute("aria-label", fill(S.approve_named, names));
    approve.addEventListener("click", function () { decide(offer, true); });
    var decline = el("button", "button--small", S.decline);
    decline.type = "button";
    decline.dataset.action = "decline";
    decline.setAttribute("aria-label", fill(S.decline_named, names));
    decline.addEventListener("click", function () { decide(offer, false); });
    var open = el("button", "button--small", S.open_conversation);
    open.type = "button";
    open.dataset.action = "open";
    if (shopper) open.setAttribute("aria-label", fill(S.open_with, { name: shopper }));
    open.addEventListener("click", function () {
      if (!offer.conversation_id) return;
      openConversation(offer.conversation_id);
      ui.title.focus();
    });
    actions.appendChild(approve);
    actions.appendChild(decline);
    if (offer.conversation_id) actions.appendChild(open);
    item.appendChild(actions);
    var error = el("p", "field-error", state.approvalErrors[offer.id] || "");
    error.setAttribute("role", "alert");
    error.hidden = !state.approvalErrors[offer.id];
    item.appendChild(error);
    return item;
  }

  // Redrawn as a whole (a handful of offers); the focused button keeps the focus.
  function renderApprovals() {
    var focused = document.activeElement;
    var keep = focused && offerUi.approvalsList.contains(focused) && focused.closest("[data-offer-id]")
      ? [focused.closest("[data-offer-id]").dataset.offerId, focused.dataset.action] : null;
    var offers = Array.from(state.pendingOffers.values()).sort(function (a, b) { return a.id - b.id; });
    var fragment = document.createDocumentFragment();
    offers.forEach(function (offer) { fragment.appendChild(approvalItem(offer)); });
    offerUi.approvalsList.replaceChildren(fragment);
    offerUi.approvalsEmpty.hidden = offers.length > 0;
    offerUi.approvalsCount.hidden = offers.length === 0;
    offerUi.approvalsCount.textContent = fill(S.approvals_count, { n: offers.length });
    offerUi.approvals.classList.toggle("inbox-approvals--waiting", offers.length > 0);
    if (keep) {
      var again = offerUi.approvalsList.querySelector('[data-offer-id="' + Number(keep[0]) + '"] [data-action="' +
        keep[1] + '"]');
      if (again) again.focus({ preventScroll: true });
    }
  }

  function decide(offer, approve) {
    var item = offerUi.approvalsList.querySelector('[data-offer-id="' + Number(offer.id) + '"]');
    if (!item || item.dataset.busy) return;
    item.dataset.busy = "true";
    item.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    delete state.approvalErrors[offer.id];
    postJSON("/seller/offers/" + offer.id + (approve ? "/approve" : "/decline")).then(function (res) {
      var gone = res.ok || res.error.code === "already_decided" || res.error.code === "not_found";
      if (!gone) {
        state.approvalErrors[offer.id] = res.error.message;
        renderApprovals();
        return;
      }
      offerUi.approvalsStatus.textContent = res.ok ? res.message : res.error.message;
      var next = item.nextElementSibling || item.previousElementSibling;
      var nextId = next ? Number(next.dataset.offerId) : null;
      state.pendingOffers.delete(offer.id);
      renderApprovals();
      var target = nextId && offerUi.approvalsList.querySelector('[data-offer-id="' + nextId + '"] button');
      (target || offerUi.approvalsTitle).focus();
    });
  }

  // --- Product search ------------------------------------------------------------------------------------

  var searchTimer = null;
  var searchCounter = 0;

  function searchProducts() {
    var query = ui.searchInput.value.trim();
    var ticket = ++searchCounter;
    if (!query) {
      ui.results.replaceChildren();
      ui.searchStatus.textContent = "";
      return;
    }
    call("search_products", { q: query }).then(function (res) {
      if (ticket !== searchCounter) return; // an answer to an older query
      if (!res.ok) {
        ui.searchStatus.textContent = res.error.message;
        return;
      }
      ui.searchStatus.textContent = res.products.length ? "" : S.no_results;
      var fragment = document.createDocumentFragment();
      res.products.forEach(function (product) { fragment.appendChild(productResult(product)); });
      ui.results.replaceChildren(fragment);
    });
  }

  function productResult(product) {
    var item = el("li", "product-result");
    var image = el("img", "product-result__img");
    image.alt = "";
    image.width = 48;
    image.height = 48;
    image.src = safeUrl(product.image) || "/static/img/placeholder.svg";
    item.appendChild(image);
    var info = el("span", "product-result__info");
    info.appendChild(el("span", "product-result__title", product.title));
    info.appendChild(el("span", "product-result__price",
      product.price_text + (product.available ? "" : " · " + S.sold_out)));
    item.appendChild(info);
    var send = el("button", "button--small", S.send);
    send.type = "button";
    send.setAttribute("aria-label", fill(S.send_product, { title: product.title }));
    send.addEventListener("click", function () {
      if (!state.openId) return;
      queue("send_product", state.openId, { handle: product.handle },
        { type: "product_card", text: product.title, data: { product: product } });
    });
    item.appendChild(send);
    return item;
  }

  ui.searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(searchTimer);
    searchProducts();
  });

  ui.searchInput.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(searchProducts, 350);
  });

  renderCannedSelect();
})();
