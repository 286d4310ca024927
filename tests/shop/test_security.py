"""Cookies and CSRF with the production settings."""

from __future__ import annotations

import pytest

from app import create_app
from config import TestConfig
from extensions import db


@pytest.fixture
def prod_like_app(tmp_path):
    class ProdLike(TestConfig):
        TESTING = False
        WTF_CSRF_ENABLED = True
        SESSION_COOKIE_SECURE = True
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'shop.db'}"

    app = create_app(ProdLike)
    with app.app_context():
        db.create_all()
    return app


def test_forms_without_csrf_token_are_refused(prod_like_app) -> None:
    client = prod_like_app.test_client()
    response = client.post("/products/anything/add", data={"quantity": "1"})
    assert response.status_code == 400
    assert "Your session expired" in response.get_data(as_text=True)


def test_cookies_are_secure_httponly_samesite(prod_like_app) -> None:
    assert prod_like_app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod_like_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = prod_like_app.test_client()
    response = client.get("/locale/fr?next=/")
    header = response.headers["Set-Cookie"]
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_no_debug_pages(prod_like_app) -> None:
    @prod_like_app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = prod_like_app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "Something went wrong" in body
