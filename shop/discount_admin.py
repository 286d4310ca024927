"""The owner's side of discounts: the list of every offer made (filtered, with what the discounts cost) and
withdrawing a shop code. Making, deciding and using offers is shop/discounts.py.

The list is a few aggregate queries per page whatever the number of offers: the redemption counts and costs
come from one grouped subquery, the orders of the page's offers from one more query.

Statuses as the list shows them: `pending`, `declined` and `withdrawn` are the offer's own; an `active` offer
is shown `used_up` once its uses reach its limit (uses held by a payment under way count, as they do when a
shopper tries it), else `expired` once its expiry has passed, else `active`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from extensions import db
from shop import discounts
from shop.discounts import DiscountError, get_offer
from shop.models import Collection, Customer, Offer, OfferRedemption, Order, Product, utcnow

log = logging.getLogger(__name__)

PER_PAGE = 50
SOURCES = ("seller", "bot", "shop")
LIST_STATUSES = ("pending", "active", "expired", "used_up", "declined", "withdrawn")
STATUS_NAMES = {
    "pending": _l("Waiting for approval"),
    "active": _l("Active"),
    "expired": _l("Expired"),
    "used_up": _l("Used up"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}
RULE_NAMES = {
    "first_order": _l("Bot: first order"),
    "loyalty": _l("Bot: loyalty"),
    "price_objection": _l("Bot: price objection"),
    "abandoned_cart": _l("Bot: abandoned cart"),
}


@dataclass(frozen=True)
class OfferFilters:
    """What the list shows; empty values do not filter."""

    #: seller, bot or shop.
    source: str = ""
    #: The seller (or manager) who made the offers.
    seller_id: int | None = None
    #: One of LIST_STATUSES.
    status: str = ""
    #: True: only offers redeemed by at least one order; False: only offers never redeemed.
    redeemed: bool | None = None


@dataclass(frozen=True)
class OfferRow:
    offer: Offer
    #: As the list shows it (see the module's docstring).
    status: str
    made_by: str
    shopper: str
    #: The manager who approved, declined or withdrew it ('' when nobody did).
    decided_by: str
    #: Uses redeemed by an order, and what they cost the shop (minor units).
    redeemed: int
    cost: int
    #: Numbers of the orders it ended in.
    order_numbers: tuple[int, ...]

    @property
    def status_name(self) -> str:
        return str(STATUS_NAMES[self.status])

    @property
    def held(self) -> int:
        """Uses taken by payments still under way (not redeemed yet, nor released)."""
        return max(0, self.offer.times_used - self.redeemed)

    @property
    def label(self) -> str:
        return discounts.label(self.offer)

    @property
    def decision(self) -> str:
        """ "Approved by Mia", "Declined by Mia", "Withdrawn by Mia", or '' when no manager decided."""
        if not self.decided_by:
            return ""
        if self.offer.status == "declined":
            return _("Declined by %(name)s", name=self.decided_by)
        if self.offer.status == "withdrawn":
            return _("Withdrawn by %(name)s", name=self.decided_by)
        return _("Approved by %(name)s", name=self.decided_by)


@dataclass(frozen=True)
class OfferPage:
    rows: list[OfferRow]
    page: int
    per_page: int
    #: Offers matching the filters (all pages).
    total: int
    #: What the matching offers' redeemed uses cost in all (minor units).
    cost: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_status(now: datetime) -> sa.ColumnElement[str]:
    """The status the list shows, as SQL (so filtering and showing agree)."""
    return sa.case(
        (Offer.status != "active", Offer.status),
        (sa.and_(Offer.usage_limit.is_not(None), Offer.times_used >= Offer.usage_limit), "used_up"),
        (sa.and_(Offer.expires_at.is_not(None), Offer.expires_at <= now), "expired"),
        else_="active",
    )


def _redeemed_exists() -> sa.Exists:
    return sa.exists().where(OfferRedemption.offer_id == Offer.id, OfferRedemption.status == "redeemed")


def _conditions(filters: OfferFilters, now: datetime) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.source:
        conditions.append(Offer.source == filters.source)
    if filters.seller_id is not None:
        conditions.append(Offer.created_by_id == filters.seller_id)
    if filters.status:
        conditions.append(list_status(now) == filters.status)
    if filters.redeemed is not None:
        conditions.append(_redeemed_exists() if filters.redeemed else ~_redeemed_exists())
    return conditions


def list_offers(filters: OfferFilters, page: int = 1, per_page: int = PER_PAGE) -> OfferPage:
    """One page of the offers matching `filters`, newest first, with the matching offers' total cost."""
    from chat.models import Seller  # here, not at the top: the chat imports the shop

    now = utcnow()
    page = max(1, page)
    conditions = _conditions(filters, now)
    total = db.session.scalar(sa.select(sa.func.count(Offer.id)).where(*conditions)) or 0
    cost = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(OfferRedemption.amount), 0)).where(
            OfferRedemption.status == "redeemed",
            OfferRedemption.offer_id.in_(sa.select(Offer.id).where(*conditions)),
        )
    )
    uses = (
        sa.select(
            OfferRedemption.offer_id,
            sa.func.count(OfferRedemption.id).label("redeemed"),
            sa.func.sum(OfferRedemption.amount).label("cost"),
        )
        .where(OfferRedemption.status == "redeemed")
        .group_by(OfferRedemption.offer_id)
        .subquery()
    )
    creator, decider = sa.orm.aliased(Seller), sa.orm.aliased(Seller)
    query = (
        sa.select(
            Offer,
            list_status(now).label("status"),
            sa.func.coalesce(uses.c.redeemed, 0).label("redeemed"),
            sa.func.coalesce(uses.c.cost, 0).label("cost"),
            Customer.name.label("customer_name"),
            Customer.email.label("customer_email"),
            creator.name.label("creator"),
            decider.name.label("decider"),
        )
        .outerjoin(uses, uses.c.offer_id == Offer.id)
        .outerjoin(Customer, Customer.id == Offer.customer_id)
        .outerjoin(creator, creator.id == Offer.created_by_id)
        .outerjoin(decider, decider.id == Offer.decided_by_id)
        .where(*conditions)
        .options(sa.orm.selectinload(Offer.product), sa.orm.selectinload(Offer.collection))  # for labels
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    results = db.session.execute(query).all()
    orders = _order_numbers([result.Offer.id for result in results])
    rows = [
        OfferRow(
            offer=result.Offer,
            status=result.status,
            made_by=_made_by(result.Offer, result.creator),
            shopper=_shopper(result.Offer, result.customer_name, result.customer_email),
            decided_by=result.decider or "",
            redeemed=result.redeemed,
            cost=result.cost,
            order_numbers=orders.get(result.Offer.id, ()),
        )
        for result in results
    ]
    return OfferPage(rows, page, per_page, total, cost)


def _order_numbers(offer_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """The numbers of the orders each offer's redeemed uses ended in."""
    if not offer_ids:
        return {}
    found: dict[int, list[int]] = {}
    for offer_id, number in db.session.execute(
        sa.select(OfferRedemption.offer_id, Order.number)
        .join(Order, Order.id == OfferRedemption.order_id)
        .where(OfferRedemption.offer_id.in_(offer_ids), OfferRedemption.status == "redeemed")
        .order_by(Order.number)
    ):
        found.setdefault(offer_id, []).append(number)
    return {offer_id: tuple(numbers) for offer_id, numbers in found.items()}


def _made_by(offer: Offer, creator_name: str | None) -> str:
    if offer.source == "bot":
        return str(RULE_NAMES.get(offer.rule or "", _("Bot")))
    if offer.source == "shop":
        return _("Shop code")
    return creator_name or _("A former seller")


def _shopper(offer: Offer, name: str | None, email: str | None) -> str:
    if offer.customer_id is None:
        return _("Any shopper")
    return name or email or _("Shopper %(id)s", id=offer.customer_id)


def sellers() -> list[tuple[int, str]]:
    """Everyone who can make offers (id, name), for the list's "made by" filter."""
    from chat.models import Seller

    return [
        (row.id, row.name)
        for row in db.session.execute(sa.select(Seller.id, Seller.name).order_by(Seller.name))
    ]


def collections() -> list[tuple[int, str]]:
    """The shop's collections (id, title), for what a shop code applies to."""
    query = sa.select(Collection.id, Collection.title).order_by(Collection.title)
    return [(row.id, row.title) for row in db.session.execute(query)]


def product_id(handle: str) -> int | None:
    """The product with that handle (drafts included: a code may be ready before the product is out)."""
    return db.session.scalar(sa.select(Product.id).where(Product.handle == handle.strip().lower()))


def end_of_day(day: date, timezone: str) -> datetime:
    """When `day` ends in the shop's time zone (the midnight after it), as the database's naive UTC."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def withdraw(offer_id: object, manager: Any) -> Offer:
    """A manager withdraws an active shop code: nobody can apply it any more, and carts that have it are
    told at their next change. Who and when are kept on the offer (`decided_by_id`, `decided_at`).
    Committed."""
    if not getattr(manager, "is_manager", False):
        raise DiscountError("forbidden", _("Only a manager can withdraw a code."))
    offer = get_offer(offer_id)
    if offer.source != "shop":
        raise DiscountError("invalid", _("Only shop codes can be withdrawn."))
    result = db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer.id, Offer.status == "active")
        .values(status="withdrawn", decided_by_id=manager.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(offer)
    if result.rowcount != 1:
        raise DiscountError("not_active", _("The code %(code)s was already withdrawn.", code=offer.code))
    log.info("shop code %s (%s) withdrawn by manager %s", offer.id, offer.code, manager.id)
    return offer
