"""The insights pages through the Flask test client: managers only, the period chooser, a few known figures
from a small history, the charts' JSON and the CSV download."""

from __future__ import annotations

import csv
import html as htmllib
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chat.models import Conversation, ReplyEvent, Seller
from extensions import db
from shop.models import Customer, Order, OrderLine
from tests.chat.conftest import make_seller  # noqa: F401  (fixture)

PASSWORD = "pa55word!"


def today() -> date:
    return datetime.now(UTC).date()  # TestConfig's shop time zone is UTC


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12))


@pytest.fixture
def signed_in(app: Flask, make_seller):  # noqa: F811
    """A test client signed in as a new seller: signed_in("Mia", role="manager")."""

    def make(name: str = "Mia", role: str = "manager") -> FlaskClient:
        make_seller(name, role=role)
        client = app.test_client()
        response = client.post("/seller", data={"email": f"{name.lower()}@example.com", "password": PASSWORD})
        assert response.status_code == 302
        return client

    return make


@pytest.fixture
def history(app: Flask, make_seller) -> None:  # noqa: F811
    """Yesterday (inside the last 7 days): a conversation Ana answered in 200 s that ended in a €50 order
    of two ferns, a conversation the bot answered in 45 s still waiting, and a €20 order without a chat.
    Eight days ago (the previous 7 days): a €10 chat order."""
    ana = make_seller("Ana")
    yesterday, before = noon(today() - timedelta(days=1)), noon(today() - timedelta(days=8))
    with app.app_context():
        customer = Customer(name="Shopper")
        db.session.add(customer)
        db.session.flush()
        answered = Conversation(
            customer_id=customer.id, status="assigned", assignee_id=ana, created_at=yesterday,
            seller_replied=True, first_responder="seller", first_response_seconds=200,
        )  # fmt: skip
        waiting = Conversation(
            customer_id=customer.id, status="waiting", created_at=yesterday, bot_replied=True,
            first_responder="bot", first_response_seconds=45,
        )  # fmt: skip
        earlier = Conversation(customer_id=customer.id, status="resolved", created_at=before)
        db.session.add_all([answered, waiting, earlier])
        db.session.flush()
        db.session.add_all(
            [
                ReplyEvent(conversation_id=answered.id, responder="seller", seller_id=ana, seconds=200,
                           first=True, created_at=yesterday),
                ReplyEvent(conversation_id=waiting.id, responder="bot", seconds=45, first=True,
                           created_at=yesterday),
            ]
        )  # fmt: skip
        chat_order = Order(
            number=1001, currency="EUR", status="paid", subtotal=5000, total=5000, paid_at=yesterday,
            conversation_id=answered.id, seller_id=ana,
        )  # fmt: skip
        chat_order.lines.append(
            OrderLine(product_handle="fern", product_title="Fern", unit_price=2500, quantity=2)
        )
        db.session.add_all(
            [
                chat_order,
                Order(number=1002, currency="EUR", status="paid", subtotal=2000, total=2000,
                      paid_at=yesterday),
                Order(number=1003, currency="EUR", status="paid", subtotal=1000, total=1000, paid_at=before,
                      conversation_id=earlier.id),
            ]
        )  # fmt: skip
        db.session.commit()


def text(fragment: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def row(page: str, label: str) -> list[str]:
    """The cells of the table row whose header is `label`: [label, this period, previous, change, ...]."""
    for match in re.finditer(r"<tr>(.*?)</tr>", page, re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), re.S)]
        if cells and (cells[0] == label or cells[0].startswith(label + " ")):
            return cells
    raise AssertionError(f"no row {label!r}")


def chart_json(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="insights-data">(.*?)</script>', page, re.S)
    assert found, "no insights-data blob"
    return json.loads(found.group(1))


# --- Who may see it ---------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in ("/seller/insights", "/seller/insights.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/seller" in response.headers["Location"]


def test_sellers_who_are_not_managers_are_refused(signed_in) -> None:
    client = signed_in("Ana", role="seller")
    assert client.get("/seller/insights").status_code == 403
    assert client.get("/seller/insights.csv").status_code == 403
    assert "/seller/insights" not in client.get("/seller/inbox").get_data(as_text=True)


def test_managers_find_insights_in_the_navigation(signed_in) -> None:
    page = signed_in().get("/seller/inbox").get_data(as_text=True)
    assert re.search(r'<a href="/seller/insights">Insights</a>', page)


# --- The period chooser -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "days"),
    [("", 7), ("?period=today", 1), ("?period=7d", 7), ("?period=30d", 30)],
)
def test_each_period_choice_renders(signed_in, query: str, days: int) -> None:
    response = signed_in().get("/seller/insights" + query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    key = query.partition("=")[2] or "7d"
    assert re.search(rf'<input type="radio" name="period" value="{key}" checked>', page)
    assert len(chart_json(page)["revenue"]["days"]) == days
    start = today() - timedelta(days=days - 1)
    assert f'value="{start.isoformat()}"' in page  # the dates of the period, ready for "Custom"
    assert f"period={key}" in page  # the CSV link asks for the same period


def test_a_custom_range_renders_its_days(signed_in) -> None:
    start, end = today() - timedelta(days=20), today() - timedelta(days=18)
    response = signed_in().get(f"/seller/insights?period=custom&from={start}&to={end}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert chart_json(page)["revenue"]["days"] == [(start + timedelta(days=n)).isoformat() for n in range(3)]
    assert f"/seller/insights.csv?period=custom&amp;from={start}&amp;to={end}" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&from=2026-02-10&to=2026-02-01", "The start date is after the end date."),
        ("period=custom&from=soon&to=2026-02-01", "The start date is not a date: use YYYY-MM-DD."),
        ("period=year", "Choose a period: today, 7 days, 30 days or custom dates."),
    ],
)
def test_a_bad_period_is_explained_with_a_400(signed_in, query: str, message: str) -> None:
    client = signed_in()
    response = client.get("/seller/insights?" + query)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'<p class="flash flash--error" role="alert">{re.escape(message)}</p>', page)
    assert 'id="insights-data"' not in page
    assert 'name="period"' in page  # the form is there to fix it
    csv_response = client.get("/seller/insights.csv?" + query)
    assert csv_response.status_code == 400
    assert csv_response.get_data(as_text=True).strip() == message


# --- Figures from a known history -------------------------------------------------------------------------


def test_the_page_shows_the_figures_of_a_known_history(signed_in, history) -> None:
    page = signed_in().get("/seller/insights?period=7d").get_data(as_text=True)
    assert row(page, "Revenue from chat") == ["Revenue from chat", "€50.00", "€10.00", "▲ up 400%"]
    assert row(page, "Share of all revenue") == [
        "Share of all revenue", "71.4%", "100%", "▼ down 28.6 points",
    ]  # fmt: skip
    assert row(page, "All revenue")[1:3] == ["€70.00", "€10.00"]
    assert row(page, "Orders with a conversation")[1:] == ["1", "1", "= no change"]
    assert row(page, "Orders without a conversation")[1:] == ["1", "0", "▲ new"]
    assert row(page, "Average order without a conversation")[1:] == ["€20.00", "none", "– no comparison"]
    assert row(page, "Conversion, all conversations")[1:] == ["50%", "100%", "▼ down 50 points"]
    assert row(page, "Conversion: Seller only")[:2] == [
        "Conversion: Seller only 1 of 1 conversations",
        "100%",
    ]
    assert row(page, "Conversion: Bot only")[:2] == ["Conversion: Bot only 0 of 1 conversations", "0%"]
    assert row(page, "First response, sellers")[1:] == ["3 min 20 s", "none", "– no comparison"]
    assert row(page, "First response, bot")[1] == "45 s"
    assert "1 conversation waiting for a reply now." in text(page)
    assert row(page, "Ana") == ["Ana", "1", "1", "€50.00", "3 min 20 s", "3 min 20 s"]
    assert row(page, "Fern") == ["Fern", "2", "€50.00"]
    assert row(page, "1 min – 5 min") == ["1 min – 5 min", "0", "1"]
    assert row(page, "under 1 min") == ["under 1 min", "1", "0"]


def test_the_json_blob_has_the_chart_series(signed_in, history) -> None:
    data = chart_json(signed_in().get("/seller/insights?period=7d").get_data(as_text=True))
    assert data["currency"] == "EUR"
    revenue = data["revenue"]
    yesterday = revenue["days"].index((today() - timedelta(days=1)).isoformat())
    assert revenue["series"]["chat"]["values"][yesterday] == 50.0
    assert revenue["series"]["other"]["values"][yesterday] == 20.0
    assert sum(revenue["series"]["chat"]["values"]) == 50.0
    assert revenue["series"]["previous"]["values"][yesterday] == 10.0  # eight days ago, a week before
    assert data["funnel"]["series"]["current"]["values"] == [2, 0, 1]
    assert data["funnel"]["series"]["previous"]["values"] == [1, 0, 1]
    assert data["responses"]["labels"][0] == "under 1 min"
    assert data["responses"]["series"]["bot"]["values"] == [1, 0, 0, 0, 0, 0]
    assert data["responses"]["series"]["seller"]["values"] == [0, 1, 0, 0, 0, 0]


def test_the_page_loads_its_scripts_from_the_shop_and_none_inline(signed_in) -> None:
    page = signed_in().get("/seller/insights").get_data(as_text=True)
    assert '<script src="/static/vendor/chart.umd.min.js"></script>' in page
    assert '<script src="/static/js/insights.js"></script>' in page
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert scripts == [' type="application/json" id="insights-data"']


def test_the_csv_download(signed_in, history) -> None:
    response = signed_in().get("/seller/insights.csv?period=7d")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    start, end = today() - timedelta(days=6), today()
    assert response.headers["Content-Disposition"] == f'attachment; filename="insights-{start}-{end}.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "metric", "current", "previous"]
    by_metric = {(r[0], r[1]): r[2:] for r in rows[1:] if len(r) >= 4}
    assert by_metric[("revenue", "chat")] == ["50.00", "10.00"]
    assert by_metric[("revenue", "total")] == ["70.00", "10.00"]


def test_sellers_appear_even_without_figures(signed_in, app: Flask) -> None:
    client = signed_in()
    with app.app_context():
        assert db.session.query(Seller).count() == 1
    page = client.get("/seller/insights").get_data(as_text=True)
    assert row(page, "Mia") == ["Mia", "0", "0", "€0.00", "none", "none"]
