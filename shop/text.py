"""Text helpers shared by search, the importer and (later) the bot: accent folding, slugs, sanitising."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

_WORD = re.compile(r"[a-z0-9]+")
_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|br|h[1-6]|tr|td|th|table|blockquote|dd|dt|hr)\b[^>]*>", re.I)

#: Tags kept when showing an imported product description; everything else (scripts, styles, iframes,
#: inline event handlers, `<meta>` as found in real Shopify exports) is removed.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures: "Pot en Terre Cuite Écru" -> "pot en terre cuite ecru"."""
    text = unicodedata.normalize("NFKD", (text or "").casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("œ", "oe").replace("æ", "ae")


def words(text: str) -> list[str]:
    """Folded alphanumeric words of a text."""
    return _WORD.findall(fold(text))


def slugify(text: str) -> str:
    """URL-safe slug: "Pots & Jardinières" -> "pots-jardinieres"."""
    return "-".join(words(text))[:120]


def sanitize_html(html: str) -> str:
    """Clean imported HTML so it is safe to display; links get rel=noopener noreferrer."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML body (for search and meta descriptions)."""
    spaced = _BLOCK_TAG.sub(r" \g<0> ", html_text or "")  # "35 cm</li><li>Teak" must not become "cmteak"
    return " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())
