"""Shopify CSV import: the real exports in /work/shared/fixtures/shopify, and small hand-made files."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

import shop.commands
import shop.importer
from extensions import db
from shop.importer import (
    NO_INVENTORY_WARNING,
    ImportFileError,
    ImportResult,
    ParsedProduct,
    RowError,
    count_products,
    import_shopify_csv,
    parse_shopify_csv,
)
from shop.models import Collection, Product, ProductImage, Tag, Variant
from tests.conftest import FIXTURES

TEMPLATE = FIXTURES / "shopify-product-template.csv"
GREAT_OUTDOOR = FIXTURES / "great-outdoor-furniture.csv"
PARIS_POUSSE = FIXTURES / "paris-pousse-plants-fr.csv"
#: The 2016 column set, as in Shopify's published template.
HEADER = TEMPLATE.read_text(encoding="utf-8").splitlines()[0].split(",")

WriteCsv = Callable[..., Path]
ImportCsv = Callable[..., ImportResult]


def product_rows(
    handle: str, title: str = "Terracotta Pot", sizes: tuple[str, ...] = ("S", "M")
) -> list[dict]:
    """A valid product: one row per size, product fields on the first row only."""
    rows = [
        {"Handle": handle, "Option1 Value": size, "Variant Price": "10.00", "Variant Inventory Qty": "5"}
        for size in sizes
    ]
    rows[0] |= {"Title": title, "Option1 Name": "Size", "Published": "true", "Tags": "clay, outdoor"}
    return rows


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write rows (dicts of 2016 columns; missing cells are blank) to a CSV file and return its path."""

    def write(rows: list[dict], name: str = "products.csv", header: list[str] = HEADER) -> Path:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        return path

    return write


@pytest.fixture
def import_csv(app: Flask) -> ImportCsv:
    """Run the importer in its own app context, like the CLI does."""

    def run(path: Path, currency: str = "EUR") -> ImportResult:
        with app.app_context():
            return import_shopify_csv(path, currency=currency)

    return run


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def product(handle: str) -> Product | None:
    return db.session.scalar(sa.select(Product).where(Product.handle == handle))


# --- The real exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "currency", "products", "variants", "images"),
    [(TEMPLATE, "USD", 2, 4, 2), (GREAT_OUTDOOR, "INR", 56, 207, 245), (PARIS_POUSSE, "EUR", 40, 111, 152)],
    ids=["template", "great-outdoor", "paris-pousse"],
)
def test_fixture_counts(
    app: Flask, import_csv: ImportCsv, path: Path, currency: str, products: int, variants: int, images: int
) -> None:
    result = import_csv(path, currency)

    assert (result.created, result.updated, result.variants, result.images) == (products, 0, variants, images)
    assert result.errors == []
    assert result.skipped == []
    with app.app_context():
        assert (count(Product), count(Variant), count(ProductImage)) == (products, variants, images)


def test_great_outdoor_status_and_fields(app: Flask, import_csv: ImportCsv) -> None:
    import_csv(GREAT_OUTDOOR, "INR")

    with app.app_context():
        statuses = db.session.execute(sa.select(Product.status, sa.func.count()).group_by(Product.status))
        assert dict(statuses.all()) == {"active": 38, "draft": 18}
        draft = product("artificial-grass-55mm")
        assert draft.status == "draft"
        assert draft.published is False
        assert not draft.is_visible

        chair = product("honey-textured-armchair")
        assert chair.title == "Honey Armchair"
        assert chair.vendor == "Great Outdoor"  # trailing space in the file
        assert "<meta" not in chair.body_html
        assert "handwoven" in chair.body_html
        assert chair.metafields["custom.material"] == "Cane"
        assert chair.metafields["shopify.color-pattern"] == "brown"
        assert chair.metafields["custom.product_specifications"].startswith("• Dimensions")
        assert "shopify.plant-name" not in chair.metafields  # blank cells are left out
        [variant] = chair.variants
        assert (variant.option1, variant.option2, variant.option3) == ("Default Title", "", "")
        assert chair.option_names == []
        assert variant.price == 1_420_000  # 14200.00 INR in paise
        assert variant.compare_at_price is None
        assert variant.sku == "100"  # "'100" in the file
        # This export has no stock column: unknown stock must not show every product as sold out.
        assert not variant.inventory_tracked
        assert chair.available
        assert variant.inventory_policy == "continue"
        assert variant.taxable is False
        assert variant.requires_shipping is True
        assert " armchair " in chair.search_text
        assert " great " in chair.search_text

        table = product("flared-base-round-table")
        assert "<style" not in table.body_html
        assert "mso-data" not in table.body_html
        assert [tag.name for tag in table.tags] == ["Table"]
        assert [image.position for image in table.images] == list(range(1, len(table.images) + 1))


def test_template_product_fields(app: Flask, import_csv: ImportCsv) -> None:
    import_csv(TEMPLATE, "USD")

    with app.app_context():
        shirt = product("example-t-shirt")
        assert shirt.option1_name == "Size"
        assert shirt.option2_name is None
        assert [(v.option1, v.price, v.compare_at_price, v.sku) for v in shirt.variants] == [
            ('Lithograph - Height: 9" x Width: 12"', 2500, None, ""),
            ("Small", 1999, 2499, "example-shirt-s"),
            ("Medium", 1999, 2499, "example-shirt-m"),
        ]
        assert [v.position for v in shirt.variants] == [1, 2, 3]
        assert [v.grams for v in shirt.variants] == [3629, 200, 200]
        assert all(v.inventory_tracked and v.inventory_quantity == 1 for v in shirt.variants)
        assert [tag.name for tag in shirt.tags] == ["mens t-shirt example"]
        assert shirt.seo_title == "Our awesome T-shirt in 70 characters or less."
        assert shirt.images[0].alt == "A black t-shirt with the shopify logo"
        assert product("black-t-shirt-os").variants[0].barcode == "3212483"  # "'3212483" in the file
        [shirts] = db.session.scalars(sa.select(Collection)).all()
        assert (shirts.handle, shirts.title, shirts.kind) == ("shirts", "Shirts", "type")
        assert {p.handle for p in shirts.products} == {"example-t-shirt", "black-t-shirt-os"}


def test_missing_stock_column_is_reported_once(import_csv: ImportCsv) -> None:
    result = import_csv(GREAT_OUTDOOR, "INR")
    assert result.warnings == [NO_INVENTORY_WARNING]
    assert result.errors == []


def test_paris_pousse_french_and_negative_stock(app: Flask, import_csv: ImportCsv) -> None:
    result = import_csv(PARIS_POUSSE, "EUR")
    oversold = "line 361 (handle 'phoenix'): inventory -2 is negative (oversold): kept as it is"
    assert oversold in result.warnings

    with app.app_context():
        sapin = product("sapin-nordmann")
        assert sapin.option1_name == "Taille"
        assert [(v.option1, v.price) for v in sapin.variants] == [
            ("170 cm", 6900),
            ("190 cm", 7900),
            ("240 cm", 11900),
            ("290 cm", 18900),
        ]
        assert "forêt" in sapin.body_html
        assert 'style="' not in sapin.body_html
        assert not any(v.inventory_tracked for v in sapin.variants)  # blank tracker: always available
        assert sapin.available
        # Shopify exports oversold stock as a negative quantity: kept as is, and the variant is sold out.
        phoenix = product("phoenix").variants[0]
        assert (phoenix.inventory_tracked, phoenix.inventory_quantity, phoenix.inventory_policy) == (
            True,
            -2,
            "deny",
        )
        assert not phoenix.available
        assert product("gift-card").gift_card is True


def test_reimport_is_idempotent(app: Flask, import_csv: ImportCsv) -> None:
    first = import_csv(GREAT_OUTDOOR, "INR")
    with app.app_context():
        variant_ids = set(db.session.scalars(sa.select(Variant.id)))
        image_ids = set(db.session.scalars(sa.select(ProductImage.id)))
        tables = [count(model) for model in (Product, Variant, ProductImage, Tag, Collection)]

    second = import_csv(GREAT_OUTDOOR, "INR")

    assert (first.created, first.updated) == (56, 0)
    assert (second.created, second.updated, second.variants, second.images) == (0, 56, 207, 245)
    with app.app_context():
        assert [count(model) for model in (Product, Variant, ProductImage, Tag, Collection)] == tables
        assert set(db.session.scalars(sa.select(Variant.id))) == variant_ids
        assert set(db.session.scalars(sa.select(ProductImage.id))) == image_ids


def test_update_by_handle(app: Flask, import_csv: ImportCsv, tmp_path: Path) -> None:
    path = tmp_path / "template.csv"
    shutil.copy(TEMPLATE, path)
    import_csv(path, "USD")
    with app.app_context():
        medium_id = product("example-t-shirt").variants[2].id

    text = path.read_text(encoding="utf-8")
    old, new = (
        "example-shirt-m,200,shopify,1,deny,manual,19.99",
        "example-shirt-m,200,shopify,7,deny,manual,17.50",
    )
    edited = text.replace(old, new)
    assert edited != text
    edited = "\n".join(line for line in edited.splitlines() if "example-shirt-s" not in line) + "\n"
    path.write_text(edited, encoding="utf-8")
    result = import_csv(path, "USD")

    assert (result.created, result.updated, result.variants) == (0, 2, 3)
    with app.app_context():
        shirt = product("example-t-shirt")
        assert [v.option1 for v in shirt.variants][1:] == ["Medium"]  # "Small" left the file
        medium = shirt.variants[1]
        assert (medium.id, medium.price, medium.inventory_quantity, medium.position) == (
            medium_id,
            1750,
            7,
            2,
        )
        assert count(Variant) == 3


def test_reimport_replaces_type_collections_but_keeps_manual_ones(
    app: Flask, import_csv: ImportCsv, write_csv: WriteCsv
) -> None:
    rows = product_rows("pot")
    rows[0]["Type"] = "Pots"
    import_csv(write_csv(rows))
    with app.app_context():
        pot = product("pot")
        pot.collections.append(Collection(handle="summer", title="Summer", kind="manual"))
        db.session.commit()

    rows[0]["Type"] = "Planters"
    rows[0]["Tags"] = "Clay, OUTDOOR, new"
    import_csv(write_csv(rows))

    with app.app_context():
        pot = product("pot")
        assert sorted(c.handle for c in pot.collections) == ["planters", "summer"]
        assert count(Collection) == 3  # the emptied "pots" collection stays for the seller to decide
        assert [tag.name for tag in pot.tags] == ["clay", "new", "outdoor"]  # existing tags reused by slug
        assert count(Tag) == 3


def test_variant_image_and_image_order(app: Flask, import_csv: ImportCsv, write_csv: WriteCsv) -> None:
    rows = product_rows("pot")
    rows[0] |= {"Image Src": "https://cdn.example.invalid/b.jpg", "Image Position": "2"}
    rows[1] |= {"Variant Image": "https://cdn.example.invalid/blue.jpg"}
    rows.append({"Handle": "pot", "Image Src": "https://cdn.example.invalid/a.jpg", "Image Position": "1"})
    result = import_csv(write_csv(rows))

    assert result.images == 3
    with app.app_context():
        pot = product("pot")
        assert [image.src.rsplit("/", 1)[1] for image in pot.images] == ["a.jpg", "b.jpg", "blue.jpg"]
        assert pot.variants[0].image is None
        assert pot.variants[1].image.src.endswith("/blue.jpg")


def test_progress_adds_up_to_count_products(app: Flask, write_csv: WriteCsv) -> None:
    path = write_csv([*product_rows("a"), {"Handle": "b", "Variant Price": "1"}, *product_rows("c")])
    calls: list[int] = []

    with app.app_context():
        import_shopify_csv(path, currency="EUR", progress=calls.append)

    assert sum(calls) == count_products(path) == 3


# --- Bad files and bad rows ------------------------------------------------------------------------------


def test_missing_handle_column(write_csv: WriteCsv) -> None:
    path = write_csv([{"Title": "Pot"}], header=[name for name in HEADER if name != "Handle"])

    with pytest.raises(ImportFileError, match="no 'Handle' column"):
        parse_shopify_csv(path, currency="EUR")


def test_missing_both_columns_and_empty_file(tmp_path: Path) -> None:
    (tmp_path / "semicolons.csv").write_text("Handle;Title;Variant Price\npot;Pot;10\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")

    with pytest.raises(ImportFileError, match=r"no 'Handle' and 'Title' columns.*';'"):
        parse_shopify_csv(tmp_path / "semicolons.csv", currency="EUR")
    with pytest.raises(ImportFileError, match="empty"):
        count_products(tmp_path / "empty.csv")


def test_latin1_file_is_refused_with_its_line(write_csv: WriteCsv, tmp_path: Path) -> None:
    rows = product_rows("pot", title="Pot en terre cuite écru")
    path = tmp_path / "latin1.csv"
    path.write_bytes(write_csv(rows).read_text(encoding="utf-8").encode("latin-1"))

    with pytest.raises(ImportFileError) as caught:
        parse_shopify_csv(path, currency="EUR")

    message = str(caught.value)
    assert "line 2, character 24 is the byte 0xE9" in message
    assert "save the file as utf-8" in message.lower()


def test_bom_and_crlf_are_accepted(write_csv: WriteCsv, tmp_path: Path) -> None:
    text = write_csv(product_rows("pot")).read_text(encoding="utf-8")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    catalog = parse_shopify_csv(path, currency="EUR")

    assert [p.handle for p in catalog.products] == ["pot"]
    assert catalog.errors == []


def test_line_numbers_count_quoted_newlines(write_csv: WriteCsv) -> None:
    rows = product_rows("good")
    rows[0]["Body (HTML)"] = "<p>one</p>\n<p>two</p>\n<p>three</p>"
    rows += product_rows("bad")
    rows[-1]["Variant Price"] = "abc"

    catalog = parse_shopify_csv(write_csv(rows), currency="EUR")

    # header 1, good 2-4 (two quoted newlines) and 5, bad 6 and 7
    assert catalog.errors == [RowError(7, "bad", "Variant Price 'abc' is not a price")]
    assert str(catalog.errors[0]) == "line 7 (handle 'bad'): Variant Price 'abc' is not a price"


def bad_row_case(column: str, value: str) -> list[dict]:
    """A good product (lines 2-3) then a product whose second row (line 5) has `column` set to `value`."""
    rows = product_rows("good-pot") + product_rows("bad-pot", title="Bad Pot")
    rows[3][column] = value
    return rows


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Variant Price", "abc", "Variant Price 'abc' is not a price"),
        ("Variant Price", "-3", "Variant Price '-3' is negative"),
        ("Variant Price", "", "Variant Price is missing"),
        ("Variant Inventory Qty", "1.5", "Variant Inventory Qty '1.5' is not a whole number"),
        (
            "Variant Inventory Policy",
            "sometimes",
            "Variant Inventory Policy 'sometimes' is not deny or continue",
        ),
        ("Variant Grams", "heavy", "Variant Grams 'heavy' is not a weight in grams"),
        ("Variant Taxable", "perhaps", "Variant Taxable 'perhaps' is not true or false"),
        ("Option1 Value", "S", "duplicate variant options 'S' (see line 4)"),
        ("Variant Image", "javascript:alert(1)", "Variant Image 'javascript:alert(1)' is not a web address"),
    ],
)
def test_bad_row_skips_only_its_product(
    app: Flask, import_csv: ImportCsv, write_csv: WriteCsv, column: str, value: str, message: str
) -> None:
    result = import_csv(write_csv(bad_row_case(column, value)))

    assert result.errors == [RowError(5, "bad-pot", message)]
    assert result.skipped == ["bad-pot"]
    assert (result.created, result.variants) == (1, 2)
    with app.app_context():
        assert product("bad-pot") is None
        assert product("good-pot") is not None
        assert count(Variant) == 2


def test_every_bad_row_of_a_product_is_reported(
    app: Flask, import_csv: ImportCsv, write_csv: WriteCsv
) -> None:
    rows = product_rows("pot", sizes=("S", "M", "L"))
    rows[0] |= {"Status": "sold", "Variant Price": "abc"}
    rows[2] |= {"Variant Inventory Policy": "never"}
    header = [*HEADER, "Status"]

    result = import_csv(write_csv(rows, header=header))

    assert [str(error) for error in result.errors] == [
        "line 2 (handle 'pot'): Status 'sold' is not active, draft or archived",
        "line 2 (handle 'pot'): Variant Price 'abc' is not a price",
        "line 4 (handle 'pot'): Variant Inventory Policy 'never' is not deny or continue",
    ]
    with app.app_context():
        assert count(Product) == 0


def test_rows_without_title_or_handle(app: Flask, import_csv: ImportCsv, write_csv: WriteCsv) -> None:
    rows = [
        *product_rows("good"),
        {"Handle": "orphan", "Option1 Value": "S", "Variant Price": "4"},
        {"Handle": "", "Title": "No handle", "Variant Price": "4"},
    ]

    result = import_csv(write_csv(rows))

    assert [str(error) for error in result.errors] == [
        "line 4 (handle 'orphan'): no row of this product has a Title "
        "(the product's first row must have one)",
        "line 5: the row has no Handle, so it belongs to no product",
    ]
    assert result.skipped == ["orphan"]
    assert result.created == 1


def test_non_consecutive_rows_of_a_product(app: Flask, import_csv: ImportCsv, write_csv: WriteCsv) -> None:
    first, second = product_rows("pot")
    result = import_csv(write_csv([second, *product_rows("other"), first]))

    assert (result.created, result.variants, result.errors) == (2, 4, [])
    with app.app_context():
        assert [v.option1 for v in product("pot").variants] == ["M", "S"]


def test_failed_reimport_leaves_product_unchanged(
    app: Flask, import_csv: ImportCsv, write_csv: WriteCsv
) -> None:
    rows = product_rows("pot") + product_rows("other")
    import_csv(write_csv(rows))
    with app.app_context():
        before = [(v.id, v.option1, v.price) for v in product("pot").variants]

    rows[0] |= {"Title": "Renamed Pot", "Variant Price": "99.00"}
    rows[1] |= {"Variant Inventory Qty": "lots"}
    rows[2] |= {"Variant Price": "12.00"}
    result = import_csv(write_csv(rows))

    assert [str(e) for e in result.errors] == [
        "line 3 (handle 'pot'): Variant Inventory Qty 'lots' is not a whole number"
    ]
    assert (result.updated, result.skipped) == (1, ["pot"])
    with app.app_context():
        pot = product("pot")
        assert pot.title == "Terracotta Pot"
        assert [(v.id, v.option1, v.price) for v in pot.variants] == before
        assert product("other").variants[0].price == 1200


def test_database_refusal_rolls_back_only_that_product(
    app: Flask, import_csv: ImportCsv, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SAVEPOINT path: a product the database refuses mid-write leaves no trace, others are kept."""
    rows = product_rows("pot") + product_rows("other")
    import_csv(write_csv(rows))
    real_apply_variants = shop.importer._apply_variants

    def apply_then_break(target: Product, parsed: ParsedProduct, images: dict[str, ProductImage]) -> None:
        real_apply_variants(target, parsed, images)
        if target.handle == "pot":
            target.variants[1].price = -1  # violates the price_not_negative check constraint
            target.variants.append(Variant(option1="XL", price=1))

    monkeypatch.setattr(shop.importer, "_apply_variants", apply_then_break)
    rows[0]["Title"] = rows[2]["Title"] = "Renamed"
    rows.append({**product_rows("new")[0]})
    result = import_csv(write_csv(rows))

    assert [e.handle for e in result.errors] == ["pot"]
    assert "database refused" in result.errors[0].message
    assert (result.created, result.updated, result.skipped) == (1, 1, ["pot"])
    with app.app_context():
        pot = product("pot")
        assert pot.title == "Terracotta Pot"
        assert [v.option1 for v in pot.variants] == ["S", "M"]
        assert [v.price for v in pot.variants] == [1000, 1000]
        assert product("other").title == "Renamed"
        assert product("new") is not None
        assert count(Variant) == 5


def test_count_products_rewinds_file_objects() -> None:
    with TEMPLATE.open("rb") as file:
        assert count_products(file) == 2
        assert len(parse_shopify_csv(file, currency="USD").products) == 2


# --- Command line -------------------------------------------------------------------------------------


def test_cli_import(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["shop", "import-shopify", str(PARIS_POUSSE), "--currency", "eur"]
    )

    assert result.exit_code == 0, result.output
    assert "Imported 40 products (40 created, 0 updated), 111 variants, 152 images." in result.stdout
    with app.app_context():
        assert product("sapin-nordmann").variants[0].price == 6900


def test_cli_row_errors_exit_1(app: Flask, write_csv: WriteCsv) -> None:
    path = write_csv(bad_row_case("Variant Price", "abc"))

    result = app.test_cli_runner().invoke(args=["shop", "import-shopify", str(path)])

    assert result.exit_code == 1
    assert "Imported 1 products (1 created, 0 updated), 2 variants, 0 images." in result.stdout
    assert "line 5 (handle 'bad-pot'): Variant Price 'abc' is not a price" in result.stderr
    assert "Not imported because of errors: bad-pot." in result.stderr


def test_cli_unusable_file_exit_2(app: Flask, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("Handle,Title\npot,Pot écru\n".encode("latin-1"))
    runner = app.test_cli_runner()

    bad_encoding = runner.invoke(args=["shop", "import-shopify", str(latin1)])
    missing = runner.invoke(args=["shop", "import-shopify", str(tmp_path / "nope.csv")])
    bad_currency = runner.invoke(args=["shop", "import-shopify", str(latin1), "--currency", "EURO"])

    assert bad_encoding.exit_code == 2
    assert "Error: The file is not UTF-8: line 2" in bad_encoding.stderr
    assert "Traceback" not in bad_encoding.output
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    assert bad_currency.exit_code == 2
    assert "not an ISO 4217 currency code" in bad_currency.stderr


def test_cli_load_demo(app: Flask, make_product: Callable[..., int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shop.commands, "DEMO_CATALOG", TEMPLATE)
    runner = app.test_cli_runner()
    make_product(handle="existing")

    refused = runner.invoke(args=["shop", "load-demo"])
    forced = runner.invoke(args=["shop", "load-demo", "--force"])

    assert refused.exit_code == 0
    assert "Catalog already has 1 products; demo not loaded." in refused.stdout
    assert forced.exit_code == 0
    assert "Imported 2 products (2 created, 0 updated)" in forced.stdout
    with app.app_context():
        assert count(Product) == 3


def test_demo_catalog_path_is_inside_the_package() -> None:
    expected = Path(shop.__file__).resolve().parent / "demo" / "catalog.csv"
    assert expected == shop.commands.DEMO_CATALOG


def test_reimport_matches_images_by_src(app: Flask, import_csv: ImportCsv, write_csv: WriteCsv) -> None:
    rows = product_rows("pot")
    rows[0] |= {"Image Src": "https://cdn.example.invalid/a.jpg", "Image Alt Text": "Front"}
    rows[1] |= {"Image Src": "https://cdn.example.invalid/b.jpg"}
    import_csv(write_csv(rows))
    with app.app_context():
        b_id = product("pot").images[1].id

    rows[0] |= {"Image Src": "", "Image Alt Text": ""}
    rows[1] |= {"Image Alt Text": "Side"}
    result = import_csv(write_csv(rows))

    assert result.images == 1
    with app.app_context():
        [image] = product("pot").images
        assert (image.id, image.src, image.alt, image.position) == (b_id, rows[1]["Image Src"], "Side", 1)
        assert count(ProductImage) == 1
