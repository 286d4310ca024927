from shop.text import fold, html_to_text, sanitize_html, slugify, words


def test_fold_strips_accents_and_case() -> None:
    assert fold("Pot en Terre Cuite ÉCRU") == "pot en terre cuite ecru"
    assert fold("Œillet") == "oeillet"


def test_words_and_slugs() -> None:
    assert words("Chaise-longue, Élégance!") == ["chaise", "longue", "elegance"]
    assert slugify("Pots & Jardinières") == "pots-jardinieres"


def test_sanitize_removes_scripts_handlers_and_meta() -> None:
    dirty = '<p><meta charset="utf-8">Hi<script>alert(1)</script><img src=x onerror=alert(1)>'
    dirty += '<a href="javascript:alert(1)">x</a><a href="https://ok.example">ok</a></p>'
    clean = sanitize_html(dirty)
    assert "<script" not in clean
    assert "onerror" not in clean
    assert "<meta" not in clean
    assert "javascript:" not in clean
    assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a>' in clean


def test_html_to_text() -> None:
    assert html_to_text("<p>Caf&eacute; &amp; <b>th&eacute;</b></p><script>x()</script>") == "Café & thé"


def test_html_to_text_separates_block_elements() -> None:
    assert html_to_text("<ul><li>35 cm</li><li>Teak</li></ul><p>A</p><p>B<br>C</p>") == "35 cm Teak A B C"
