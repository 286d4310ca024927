"""The bot's answer to one shopper message, as data: text, product cards, quick replies, actions.

`respond` never changes anything (no cart edit, no message sent): actions such as add_to_cart or handoff
are for the transport (the chat) to carry out with the shop's own functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_currency
from flask import current_app

from bot import faq, recommend
from bot.lexicon import COLOUR_OF
from bot.search import CatalogIndex, ProductDoc, VariantDoc, get_index
from bot.understand import Understanding, understand
from extensions import db
from shop.models import Variant
from shop.money import to_major

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {"en": "Hello! What are you looking for today?", "fr": "Bonjour ! Que recherchez-vous ?"},
    "found": {"en": "Here is what I found:", "fr": "Voici ce que j'ai trouvé :"},
    "not_found": {
        "en": "I found nothing matching that. Here are some popular products, or a seller can help.",
        "fr": "Je n'ai rien trouvé de tel. Voici nos produits populaires, ou un vendeur peut vous aider.",
    },
    "which_product": {"en": "Which product do you mean?", "fr": "De quel produit parlez-vous ?"},
    "price": {"en": "{title} costs {price}.", "fr": "{title} coûte {price}."},
    "options": {"en": "{title} comes in: {options}.", "fr": "{title} existe en : {options}."},
    "no_options": {"en": "{title} comes in one version.", "fr": "{title} existe en une seule version."},
    "in_stock": {"en": "{title} is in stock: {variants}.", "fr": "{title} est en stock : {variants}."},
    "out_of_stock": {"en": "{title} is out of stock for now.", "fr": "{title} est en rupture de stock."},
    "details": {"en": "About {title}: {details}", "fr": "{title} : {details}"},
    "no_details": {
        "en": "The description of {title} does not say; a seller can check for you.",
        "fr": "La description de {title} ne le précise pas ; un vendeur peut vérifier pour vous.",
    },
    "similar": {"en": "Similar products:", "fr": "Des produits similaires :"},
    "complementary": {"en": "These go well with it:", "fr": "Ils vont bien avec :"},
    "added": {
        "en": "Adding {title} ({variant}) × {quantity} to your cart.",
        "fr": "J'ajoute {title} ({variant}) × {quantity} à votre panier.",
    },
    "choose_variant": {"en": "Which one would you like?", "fr": "Lequel souhaitez-vous ?"},
    "show_cart": {"en": "Here is your cart.", "fr": "Voici votre panier."},
    "checkout": {"en": "Let's check out.", "fr": "Passons au paiement."},
    "order_status": {"en": "Here are your recent orders.", "fr": "Voici vos commandes récentes."},
    "price_objection": {
        "en": "I understand. Here are some options at a lower price, and I can ask a seller about an offer.",
        "fr": "Je comprends. Voici des options moins chères, et je peux demander une offre à un vendeur.",
    },
    "human": {"en": "I'm getting a seller for you.", "fr": "Je vous mets en relation avec un vendeur."},
    "thanks_bye": {"en": "Thank you, see you soon!", "fr": "Merci, à bientôt !"},
    "unknown": {
        "en": "Sorry, I can't help with that. Would you like to talk to a seller?",
        "fr": "Désolé, je ne sais pas répondre à cela. Voulez-vous parler à un vendeur ?",
    },
    "talk_to_seller": {"en": "Talk to a seller", "fr": "Parler à un vendeur"},
    # The bot in a conversation (bot/conversation.py): handover, cart summary, the handover form.
    "handover": {
        "en": "A seller will be with you shortly. While you wait, tell us a bit more (optional):",
        "fr": "Un vendeur va vous répondre. En attendant, dites-nous en un peu plus (facultatif) :",
    },
    "handover_offline": {
        "en": "No seller is online right now. Leave your email and a seller will answer you by email:",
        "fr": "Aucun vendeur n'est en ligne pour le moment. Laissez votre e-mail, un vendeur vous répondra :",
    },
    "cart": {
        "en": "Your cart: {count} item(s), {total}.",
        "fr": "Votre panier : {count} article(s), {total}.",
    },
    "cart_empty": {"en": "Your cart is empty.", "fr": "Votre panier est vide."},
    "budget": {"en": "Budget", "fr": "Budget"},
    "use": {"en": "What is it for?", "fr": "Pour quel usage ?"},
    "email": {"en": "Email", "fr": "E-mail"},
    "send": {"en": "Send to the seller", "fr": "Envoyer au vendeur"},
}
_DETAIL_WORDS = {
    "material": re.compile(
        r"(material|made|wood|teak|oak|metal|ceramic|linen|cotton|rattan|wicker|cane|rope|glass|stone|"
        r"terracotta|clay|matiere|bois|terre|fibre|fiber|resin|resine|zinc|enamel)",
        re.I,
    ),
    "dimensions": re.compile(
        r"(\d+\s?(cm|mm|m)\b|dimension|diameter|height|width|length|hauteur|largeur|diametre|Ø)", re.I
    ),
}


def say(key: str, language: str, **values: Any) -> str:
    """One of the bot's phrases in the shopper's language (English unless French)."""
    text = TEXTS[key]["fr" if language == "fr" else "en"]
    return text.format(**values) if values else text


@dataclass(frozen=True)
class BotContext:
    """Who is asking and what they are looking at; from the server session, never from the message."""

    customer_id: int | None = None
    #: The product on the shopper's screen, if any.
    product_id: int | None = None
    language: str = "en"


@dataclass(frozen=True)
class ProductCard:
    product_id: int
    handle: str
    title: str
    price_min: int
    price_max: int
    image: str | None

    @classmethod
    def of(cls, doc: ProductDoc) -> ProductCard:
        return cls(doc.id, doc.handle, doc.title, doc.price_min, doc.price_max, doc.image)


@dataclass(frozen=True)
class Reply:
    intent: str
    language: str
    text: str
    products: list[ProductCard] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    #: For the transport: {"type": "add_to_cart" | "show_cart" | "checkout" | "order_status" | "handoff" |
    #: "price_objection", ...}.
    actions: list[dict[str, Any]] = field(default_factory=list)


def money(amount: int, language: str) -> str:
    currency = current_app.config["SHOP_CURRENCY"]
    return format_currency(to_major(amount, currency), currency, locale=language)


def _price(doc: ProductDoc, language: str) -> str:
    low, high = doc.price_min, doc.price_max
    return money(low, language) if low == high else f"{money(low, language)} – {money(high, language)}"


def target_product(u: Understanding, context: BotContext, index: CatalogIndex) -> ProductDoc | None:
    """The product a message is about: the one it names, else the one on screen."""
    if u.slots.terms:
        hits = index.search(u.slots, 1)
        if hits and hits[0].matched == len([t for t in u.slots.terms if t in index.postings]) > 0:
            return hits[0].doc
    if context.product_id is not None:
        return index.docs.get(context.product_id)
    return None


def choose_variant(doc: ProductDoc, u: Understanding) -> VariantDoc | None:
    """The variant a message picks ("the medium one", "in blue", "the 120 cm"); None if unclear."""
    if len(doc.variants) == 1:
        return doc.variants[0]
    message = set(u.normalized.split())
    scored = []
    for variant in doc.variants:
        score = 2 * len(set(u.slots.sizes) & variant.sizes)
        score += sum(1 for w in variant.option_words if w in message and not w.isdigit())
        compact = "".join(variant.options).replace(" ", "").lower()
        score += sum(2 for d in u.slots.dimensions if d.replace(" ", "") in compact)
        score += sum(2 for w in variant.option_words if COLOUR_OF.get(w) in u.slots.colours)
        scored.append((score, variant))
    scored.sort(key=lambda pair: -pair[0])
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    return None


def _details(doc: ProductDoc, topic: str) -> list[str]:
    found = []
    if topic == "material":
        found += [v for k, v in doc.metafields.items() if k.endswith("material") and v]
    sentences = re.split(r"(?<=[.!?;])\s+|\s{2,}|(?<=\w)\s+(?=[A-Z][a-z]+:)", doc.body_text)
    found += [s.strip() for s in sentences if _DETAIL_WORDS[topic].search(s)][:3]
    return found


def _answer_question(u: Understanding, doc: ProductDoc, lang: str) -> str:
    topic = u.slots.topic or "price"
    names = {"title": doc.title}
    if topic == "price":
        return TEXTS["price"][lang].format(price=_price(doc, lang), **names)
    if topic == "options":
        if not doc.option_names:
            return TEXTS["no_options"][lang].format(**names)
        options = "; ".join(
            f"{name}: {', '.join(dict.fromkeys(v.options[i] for v in doc.variants if len(v.options) > i))}"
            for i, name in enumerate(doc.option_names)
        )
        return TEXTS["options"][lang].format(options=options, **names)
    if topic == "stock":
        variants = db.session.scalars(sa.select(Variant).where(Variant.product_id == doc.id)).all()
        available = [v.title if v.title != "Default Title" else doc.title for v in variants if v.available]
        if not available:
            return TEXTS["out_of_stock"][lang].format(**names)
        return TEXTS["in_stock"][lang].format(variants=", ".join(available), **names)
    details = _details(doc, topic)
    if not details:
        return TEXTS["no_details"][lang].format(**names)
    return TEXTS["details"][lang].format(details=" ".join(details), **names)


def respond(text: str, context: BotContext | None = None) -> Reply:
    """Understand a shopper's message and compute the bot's reply (reads only)."""
    context = context or BotContext()
    index = get_index()
    u = understand(text, index.vocabulary, context.language)
    lang = u.language if u.language in ("en", "fr") else "en"
    seller = TEXTS["talk_to_seller"][lang]

    def reply(key: str, products: Iterable[ProductDoc] = (), actions: list | None = None, **kw: Any) -> Reply:
        text = TEXTS[key][lang].format(**kw) if kw else TEXTS[key][lang]
        return Reply(u.intent, lang, text, [ProductCard.of(d) for d in products], [], actions or [])

    intent = u.intent
    if intent == "search":
        hits = index.search(u.slots, 6)
        if hits:
            return reply("found", [h.doc for h in hits])
        popular = recommend.popular(4, index=index)
        return Reply(intent, lang, TEXTS["not_found"][lang], [ProductCard.of(d) for d in popular], [seller])
    if intent in ("product_question", "similar", "complementary", "add_to_cart", "price_objection"):
        doc = target_product(u, context, index)
        if intent == "price_objection":
            cheaper = []
            if doc is not None:
                cheaper = [d for d in recommend.similar(doc.id, 8, index) if d.price_min < doc.price_min][:4]
            action = {"type": "price_objection", "product_id": doc.id if doc else None}
            return reply("price_objection", cheaper, [action])
        if doc is None:
            return reply("which_product")
        if intent == "product_question":
            return Reply(intent, lang, _answer_question(u, doc, lang), [ProductCard.of(doc)])
        if intent == "similar":
            return reply("similar", recommend.similar(doc.id, 4, index))
        if intent == "complementary":
            return reply("complementary", recommend.complementary(doc.id, 4, index))
        variant = choose_variant(doc, u)
        if variant is None:
            choices = [" / ".join(v.options) for v in doc.variants]
            return Reply(intent, lang, TEXTS["choose_variant"][lang], [ProductCard.of(doc)], choices)
        quantity = u.slots.quantity or 1
        action = {"type": "add_to_cart", "variant_id": variant.id, "quantity": quantity}
        name = " / ".join(variant.options)
        return reply("added", [doc], [action], title=doc.title, variant=name, quantity=quantity)
    if intent in ("shipping", "returns"):
        answer = faq.answer(intent, lang) or TEXTS["unknown"][lang]
        return Reply(intent, lang, answer, [], [seller])
    if intent in ("show_cart", "checkout", "order_status"):
        return reply(intent, actions=[{"type": intent}])
    if intent == "human":
        return reply("human", actions=[{"type": "handoff"}])
    if intent in ("greeting", "thanks_bye"):
        return reply(intent)
    return Reply("unknown", lang, TEXTS["unknown"][lang], [], [seller])
