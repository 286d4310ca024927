"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(config: dict) -> str:
    """No inline scripts or styles anywhere. Product images come from the merchant's CDN (any https host).

    Stripe.js (the card field in the chat) is the one outside script: its origin may load scripts and
    frames (real Stripe draws the card field and 3-D Secure in iframes) and the API it calls is allowed in
    connect-src (localstripe's Stripe.js calls its own server directly).
    """
    stripe_js = _origin(config.get("STRIPE_JS_URL"))
    stripe_api = _origin(config.get("STRIPE_API_BASE")) or "https://api.stripe.com"
    extra_scripts = f" {stripe_js}" if stripe_js else ""
    frames = " ".join(o for o in (stripe_js, "https://hooks.stripe.com") if o)
    connect = " ".join(dict.fromkeys(o for o in ("'self'", stripe_api, stripe_js) if o))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{extra_scripts}",
            "style-src 'self'",
            "img-src 'self' https: data:",
            "font-src 'self'",
            f"connect-src {connect}",
            f"frame-src {frames}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    policy = current_app.extensions.get("content_security_policy")
    if policy is None:
        policy = current_app.extensions["content_security_policy"] = content_security_policy(
            current_app.config
        )
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
