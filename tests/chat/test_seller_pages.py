"""The seller's HTTP pages through the Flask test client: sign-in, the inbox page, saved replies, the CLI."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from chat.models import CannedResponse, Seller
from config import TestConfig
from extensions import db

PASSWORD = "pa55word!"


def sign_in(client: FlaskClient, email: str = "ana@example.com", password: str = PASSWORD):
    return client.post("/seller", data={"email": email, "password": password})


@pytest.fixture
def signed_in(app: Flask, make_seller):
    """A test client signed in as a new seller: signed_in("Chloe", role="manager")."""

    def make(name: str = "Ana", role: str = "seller") -> FlaskClient:
        make_seller(name, role=role)
        client = app.test_client()
        assert sign_in(client, f"{name.lower()}@example.com").status_code == 302
        return client

    return make


def canned_rows(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.shortcut))
        return [(c.shortcut, c.title, c.body) for c in rows]


# --- Sign-in and sign-out ---------------------------------------------------------------------------------


def test_sign_in_page_has_labelled_fields(client: FlaskClient) -> None:
    html = client.get("/seller").get_data(as_text=True)
    assert re.search(r'<label for="email">Email</label>', html)
    email_input = re.search(r'<input[^>]*id="email"[^>]*>', html)
    assert email_input
    assert 'autocomplete="username"' in email_input.group(0)
    assert re.search(r'<label for="password">Password</label>', html)
    password_input = re.search(r'<input[^>]*id="password"[^>]*>', html)
    assert password_input
    assert 'type="password"' in password_input.group(0)
    assert re.search(r'<button type="submit"[^>]*>Sign in</button>', html)


def test_wrong_password_is_refused_with_a_message(client: FlaskClient, make_seller) -> None:
    make_seller("Ana")
    response = sign_in(client, password="not-the-password")
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/seller/inbox").status_code == 302  # still signed out


def test_invalid_fields_are_marked_and_described(client: FlaskClient) -> None:
    html = sign_in(client, email="not-an-email", password="").get_data(as_text=True)
    for field in ("email", "password"):
        tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in tag
        assert f'aria-describedby="{field}-error"' in tag
        assert f'<p class="field-error" id="{field}-error">' in html


def test_unknown_email_gets_the_same_message(client: FlaskClient) -> None:
    response = sign_in(client, email="nobody@example.com")
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_inactive_seller_cannot_sign_in(app: Flask, client: FlaskClient, make_seller) -> None:
    seller_id = make_seller("Ana")
    with app.app_context():
        db.session.get(Seller, seller_id).active = False
        db.session.commit()
    assert sign_in(client).status_code == 200
    assert client.get("/seller/inbox").status_code == 302


def test_sign_in_opens_the_inbox_with_a_session_that_expires(
    app: Flask, client: FlaskClient, make_seller
) -> None:
    make_seller("Ana", email="ana@example.com")
    response = sign_in(client, email="ANA@example.com")  # as a phone keyboard may capitalise it
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seller/inbox")
    session_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Expires=" in session_cookie  # a permanent session: PERMANENT_SESSION_LIFETIME applies
    assert app.permanent_session_lifetime.total_seconds() == app.config["SELLER_SESSION_HOURS"] * 3600

    inbox = client.get("/seller/inbox")
    assert inbox.status_code == 200
    html = inbox.get_data(as_text=True)
    assert 'id="inbox-app"' in html
    assert 'data-seller-name="Ana"' in html
    assert client.get("/seller").headers["Location"].endswith("/seller/inbox")  # already signed in


def test_inbox_requires_sign_in(client: FlaskClient) -> None:
    response = client.get("/seller/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/seller?")


def test_sign_out(signed_in) -> None:
    client = signed_in()
    assert client.get("/seller/logout").status_code == 405  # only a form post signs out
    response = client.post("/seller/logout")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seller")
    assert "You are signed out." in client.get("/seller").get_data(as_text=True)
    assert client.get("/seller/inbox").status_code == 302


# --- The inbox page ---------------------------------------------------------------------------------------


def test_inbox_page_structure_and_no_inline_code(signed_in) -> None:
    html = signed_in().get("/seller/inbox").get_data(as_text=True)
    for label in ("Reply", "Search products", "Transfer to", "Saved replies"):
        assert re.search(rf"<label for=\"[\w-]+\">{label}</label>", html), label
    assert 'role="log"' in html
    assert "<aside" in html
    # The strict CSP allows no inline scripts or styles: every <script> has a src, no style attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    assert "/static/js/inbox.js" in html


def test_inbox_strings_are_translated_for_the_script(signed_in) -> None:
    client = signed_in()
    html = client.get("/seller/inbox").get_data(as_text=True)
    strings = re.search(r"data-strings='([^']*)'", html)
    assert strings, "the script's strings are passed in data-strings"
    assert "Waiting for a seller" in strings.group(1)
    assert "{name} already has this conversation." in strings.group(1)
    french = client.get("/seller/inbox", headers={"Accept-Language": "fr"})
    assert french.status_code == 200
    assert '<html lang="fr">' in french.get_data(as_text=True)
    assert 'data-locale="fr"' in french.get_data(as_text=True)


def test_only_managers_see_the_saved_replies_link(signed_in) -> None:
    assert "/seller/canned" not in signed_in("Ana").get("/seller/inbox").get_data(as_text=True)
    assert "/seller/canned" in signed_in("Chloe", role="manager").get("/seller/inbox").get_data(as_text=True)


# --- Saved replies ----------------------------------------------------------------------------------------


def test_a_seller_who_is_not_a_manager_gets_403(signed_in) -> None:
    client = signed_in("Ana")
    assert client.get("/seller/canned").status_code == 403
    assert client.post("/seller/canned", data={"shortcut": "x", "title": "x", "body": "x"}).status_code == 403


def test_saved_replies_need_sign_in(client: FlaskClient) -> None:
    assert client.get("/seller/canned").status_code == 302


def test_manager_adds_edits_and_deletes_saved_replies(app: Flask, signed_in) -> None:
    client = signed_in("Chloe", role="manager")
    body = "Hello {shopper_name}, welcome to {shop_name}!"
    response = client.post("/seller/canned", data={"shortcut": "Hello", "title": "Greeting", "body": body})
    assert response.status_code == 302
    page = client.get("/seller/canned").get_data(as_text=True)
    assert "Saved reply added." in page
    assert "/hello" in page
    assert canned_rows(app) == [("hello", "Greeting", body)]

    # The same shortcut in other letter case is refused, with the error tied to the field.
    response = client.post("/seller/canned", data={"shortcut": "HELLO", "title": "Again", "body": "Hi"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Another saved reply already uses this shortcut." in html
    assert re.search(r'id="shortcut"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="shortcut"', html)
    client.post("/seller/canned", data={"shortcut": "bye", "title": "Goodbye", "body": "Bye!"})
    assert [row[0] for row in canned_rows(app)] == ["bye", "hello"]

    with app.app_context():
        bye_id = db.session.scalar(sa.select(CannedResponse.id).filter_by(shortcut="bye"))
    edit_url = f"/seller/canned/{bye_id}"
    assert "Edit saved reply" in client.get(edit_url).get_data(as_text=True)
    taken = client.post(edit_url, data={"shortcut": "hello", "title": "Goodbye", "body": "Bye!"})
    assert "Another saved reply already uses this shortcut." in taken.get_data(as_text=True)
    # Keeping its own shortcut is fine.
    kept = client.post(edit_url, data={"shortcut": "bye", "title": "Goodbye", "body": "See you soon!"})
    assert kept.status_code == 302
    assert ("bye", "Goodbye", "See you soon!") in canned_rows(app)

    deleted = client.post(f"/seller/canned/{bye_id}/delete")
    assert deleted.status_code == 302
    assert "Saved reply deleted." in client.get("/seller/canned").get_data(as_text=True)
    assert [row[0] for row in canned_rows(app)] == ["hello"]
    assert client.get(edit_url).status_code == 404


def test_saved_reply_fields_are_validated(app: Flask, signed_in) -> None:
    client = signed_in("Chloe", role="manager")
    response = client.post("/seller/canned", data={"shortcut": "two words", "title": "", "body": ""})
    html = response.get_data(as_text=True)
    assert "Letters, digits and dashes only." in html
    assert html.count('aria-invalid="true"') == 3
    assert canned_rows(app) == []


# --- CSRF with production settings ------------------------------------------------------------------------


@pytest.fixture
def csrf_app(tmp_path) -> Flask:
    class ProdLike(TestConfig):
        TESTING = False
        WTF_CSRF_ENABLED = True
        SESSION_COOKIE_SECURE = False  # the test client talks http; the CSRF check is what is tested here
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'shop.db'}"

    app = create_app(ProdLike)
    with app.app_context():
        db.create_all()
        seller = Seller(email="ana@example.com", name="Ana", role="seller")
        seller.set_password(PASSWORD)
        db.session.add(seller)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sign_in_without_csrf_token_is_refused(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    response = sign_in(client)
    assert response.status_code == 400
    assert "Your session expired" in response.get_data(as_text=True)
    assert client.get("/seller/inbox").status_code == 302


def test_sign_in_with_the_form_token_works(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/seller").text)
    assert token
    response = client.post(
        "/seller", data={"email": "ana@example.com", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302
    assert client.post("/seller/logout").status_code == 400  # sign-out is a form with a token too
    assert client.get("/seller/inbox").status_code == 200


# --- `flask seller create` --------------------------------------------------------------------------------


def test_cli_creates_a_seller_with_a_hashed_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["seller", "create", "Zoe@Example.com", "--name", "Zoé", "--role", "manager"]
    result = runner.invoke(args=[*args, "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    assert "Created manager Zoé <zoe@example.com>." in result.output
    with app.app_context():
        seller = db.session.scalar(sa.select(Seller).filter_by(email="zoe@example.com"))
        assert seller is not None
        assert seller.role == "manager"
        assert "long-enough-pw" not in seller.password_hash
        assert seller.check_password("long-enough-pw")

    # Again: the same account is updated (a password reset), not duplicated.
    result = runner.invoke(args=[*args[:-2], "--password", "another-long-pw"])
    assert "Updated seller Zoé" in result.output
    with app.app_context():
        sellers = db.session.scalars(sa.select(Seller)).all()
        assert len(sellers) == 1
        assert sellers[0].role == "seller"
        assert sellers[0].check_password("another-long-pw")


@pytest.mark.parametrize(
    ("email", "password", "complaint"),
    [("not-an-email", "long-enough-pw", "EMAIL"), ("ana@example.com", "short", "at least 8 characters")],
)
def test_cli_rejects_a_bad_email_or_short_password(app: Flask, email, password, complaint) -> None:
    result = app.test_cli_runner().invoke(
        args=["seller", "create", email, "--name", "Ana", "--password", password]
    )
    assert result.exit_code == 2
    assert complaint in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Seller.id))) == 0


def test_cli_prompts_for_the_password_twice(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["seller", "create", "ana@example.com", "--name", "Ana"],
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Seller)).check_password("long-enough-pw")
