"""Import a Shopify product CSV export into the catalog.

The work is split in two so that every rule can be tested without a database:

* `parse_shopify_csv` (pure) decodes the file, groups Shopify's multi-row products by handle and turns each
  into a validated `ParsedProduct`, or into `RowError`s naming the line a shop owner has to fix;
* `import_shopify_csv` writes the valid products, each inside its own SAVEPOINT, matching products by
  handle, variants by option values and images by src, so that re-importing a file changes nothing and
  carts keep pointing at the same variants.

A product with any bad row is not written at all: a half-imported product (some variants missing, a price
from the old file next to one from the new) would be worse than the previous version of it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import IO, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from extensions import db
from shop.models import Collection, Product, ProductImage, Tag, Variant
from shop.money import MoneyError, parse_price
from shop.text import sanitize_html, slugify

T = TypeVar("T")
Source = str | os.PathLike[str] | IO[bytes]
OptionValues = tuple[str, str, str]

REQUIRED_COLUMNS = ("Handle", "Title")
#: Every column the importer reads, spelled as Shopify exports it; headers are matched case-insensitively.
COLUMNS = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Status", "Gift Card",
    "SEO Title", "SEO Description", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "Variant SKU", "Variant Barcode", "Variant Price",
    "Variant Compare At Price", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Requires Shipping", "Variant Taxable", "Variant Image",
    "Image Src", "Image Position", "Image Alt Text",
)  # fmt: skip
#: Other spellings of the inventory column seen in exports and hand-made files.
ALIASES = {
    "variant inventory quantity": "Variant Inventory Qty",
    "inventory qty": "Variant Inventory Qty",
    "inventory quantity": "Variant Inventory Qty",
}
_CANONICAL = {name.casefold(): name for name in COLUMNS} | ALIASES
#: "Material (product.metafields.custom.material)" -> "custom.material"
_METAFIELD = re.compile(r"\(product\.metafields\.([^)]+)\)")
#: Characters that would break the product URL /products/<handle>.
_BAD_HANDLE = re.compile(r"[\s/?#%\\]")
#: Columns whose presence makes a row a variant row (image-only rows have none of them).
_VARIANT_COLUMNS = ("Option1 Value", "Option2 Value", "Option3 Value", "Variant Price", "Variant SKU")
#: Longest values the catalog columns hold (String(n) in shop.models); checked here so PostgreSQL never
#: refuses a product half-way through an import.
MAX_TEXT, MAX_ALT, MAX_SRC = 255, 512, 2048
#: Products loaded per query when matching handles (stays below every database's parameter limit).
_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """A problem in one row of the file, worded for the shop owner who has to fix the file."""

    line: int
    handle: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line} (handle '{self.handle}')" if self.handle else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    variants: int = 0
    images: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: Imported as written, but worth the shop owner's attention (oversold stock, no stock column).
    warnings: list[str] = field(default_factory=list)


#: Said once per import when the export has no inventory quantity column (Shopify's newer exports).
NO_INVENTORY_WARNING = (
    "The file has no inventory quantity column, so stock was not imported: new variants are sold without "
    "a stock limit until you set one; variants already in the shop keep their stock."
)


class ImportFileError(Exception):
    """The whole file is unusable (not UTF-8, not a Shopify CSV, unreadable); the message is for people."""


# --- Parsed, validated data (no database) -------------------------------------------------------------


@dataclass(frozen=True)
class ParsedImage:
    src: str
    alt: str = ""


@dataclass(frozen=True)
class ParsedVariant:
    line: int
    options: OptionValues
    price: int
    compare_at_price: int | None = None
    sku: str = ""
    barcode: str = ""
    inventory_tracked: bool = False
    #: None when the file has no inventory column: existing stock is then left as it is.
    inventory_quantity: int | None = None
    inventory_policy: str = "deny"
    grams: int = 0
    requires_shipping: bool = True
    taxable: bool = True
    image_src: str = ""


@dataclass(frozen=True)
class ParsedProduct:
    handle: str
    line: int
    title: str
    body_html: str = ""
    vendor: str = ""
    product_type: str = ""
    #: Tag names as first written, one per slug.
    tags: tuple[str, ...] = ()
    status: str = "active"
    published: bool = True
    gift_card: bool = False
    option_names: tuple[str | None, str | None, str | None] = (None, None, None)
    seo_title: str = ""
    seo_description: str = ""
    metafields: Mapping[str, str] = field(default_factory=dict)
    variants: tuple[ParsedVariant, ...] = ()
    images: tuple[ParsedImage, ...] = ()


@dataclass(frozen=True)
class ParsedCatalog:
    """The file as the importer understood it: valid products, and what is wrong with the others."""

    products: list[ParsedProduct]
    errors: list[RowError]
    skipped: list[str]
    has_inventory: bool = True
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    line: int  # physical line where the row starts (quoted newlines make rows span several lines)
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    @property
    def is_variant(self) -> bool:
        return any(self.get(column) for column in _VARIANT_COLUMNS)


@dataclass(frozen=True)
class _Layout:
    """What the header says about the whole file."""

    has_inventory: bool
    #: header -> metafield key, e.g. "Material (product.metafields.custom.material)" -> "custom.material"
    metafields: Mapping[str, str]


# --- Cell parsers: raise ValueError with the end of a sentence that starts with the column name ----------


def parse_bool(text: str, default: bool) -> bool:
    if not text:
        return default
    if text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    raise ValueError(f"{text!r} is not true or false")


def parse_status(text: str) -> str:
    status = text.casefold() or "active"
    if status not in ("active", "draft", "archived"):
        raise ValueError(f"{text!r} is not active, draft or archived")
    return status


def parse_policy(text: str) -> str:
    policy = text.casefold() or "deny"
    if policy not in ("deny", "continue"):
        raise ValueError(f"{text!r} is not deny or continue")
    return policy


def parse_money(text: str, currency: str) -> int:
    """A price in minor units; the `MoneyError` message is reworded to follow the column name."""
    try:
        return parse_price(text, currency)
    except MoneyError as exc:
        raise ValueError(str(exc).removeprefix("price ")) from None


def parse_compare_at(text: str, currency: str) -> int | None:
    """Blank or 0 means "no compare-at price" in Shopify."""
    if not text:
        return None
    return parse_money(text, currency) or None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_quantity(text: str) -> int:
    """Stock count; negative is allowed because Shopify exports oversold variants that way."""
    value = _decimal(text or "0")
    if value is None or value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number")
    return int(value)


def parse_grams(text: str) -> int:
    """Weight in grams; newer exports write "0.0", so decimals are accepted and rounded."""
    value = _decimal(text or "0")
    if value is None or value < 0:
        raise ValueError(f"{text!r} is not a weight in grams")
    return int(value.to_integral_value())


def parse_position(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a position (1, 2, 3...)")
    return int(text)


def parse_code(text: str) -> str:
    """SKU or barcode; spreadsheets keep leading zeros by prefixing an apostrophe ("'3212483")."""
    code = text.removeprefix("'").strip()
    if len(code) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    return code


def parse_image_src(text: str) -> str:
    """An image URL (http/https, or a path for the demo catalog); javascript: and the like are refused."""
    scheme, colon, _ = text.partition(":")
    if colon and "/" not in scheme and scheme.casefold() not in ("http", "https"):
        raise ValueError(f"{text[:80]!r} is not a web address")
    if len(text) > MAX_SRC:
        raise ValueError(f"is longer than {MAX_SRC} characters")
    return text


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, one per slug: "Été, ete" is a single tag."""
    names: dict[str, str] = {}
    for name in (part.strip() for part in text.split(",")):
        if len(name) > MAX_TEXT:
            raise ValueError(f"has a tag longer than {MAX_TEXT} characters")
        if slugify(name):
            names.setdefault(slugify(name), name)
    return tuple(names.values())


def parse_handle(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    if _BAD_HANDLE.search(text):
        raise ValueError(f"{text!r} cannot be used in a web address (no spaces, '/', '?', '#' or '%')")
    return text


class _RowReader:
    """Reads typed cells from one row, recording every bad cell as a RowError instead of stopping."""

    def __init__(self, row: Row, handle: str, errors: list[RowError]) -> None:
        self.row = row
        self.handle = handle
        self.errors = errors

    def error(self, message: str) -> None:
        self.errors.append(RowError(self.row.line, self.handle, message))

    def value(self, column: str, parse: Callable[[str], T], default: T) -> T:
        try:
            return parse(self.row.get(column))
        except ValueError as exc:
            self.error(f"{column} {exc}")
            return default

    def text(self, column: str, max_length: int = MAX_TEXT) -> str:
        value = self.row.get(column)
        if len(value) > max_length:
            self.error(f"{column} is longer than {max_length} characters")
        return value


# --- Reading the file -----------------------------------------------------------------------------------


def _read_bytes(source: Source) -> bytes:
    """The file's bytes; a file object is read from its current position and put back there if it can be."""
    if isinstance(source, (str, os.PathLike)):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise ImportFileError(f"Cannot read {os.fspath(source)}: {exc.strerror or exc}.") from None
    start = source.tell() if source.seekable() else None
    data = source.read()
    if start is not None:
        source.seek(start)
    return data


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a BOM; any other encoding is refused with where it went wrong."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise ImportFileError(
            f"The file is not UTF-8: line {line}, character {column} is the byte 0x{data[exc.start]:02X}, "
            "which UTF-8 does not allow (the file was probably saved as Latin-1 or Windows-1252). "
            'Save the file as UTF-8 (in Excel: "CSV UTF-8") and import it again.'
        ) from None


def _check_header(header: list[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if not missing:
        return
    names = " and ".join(f"'{column}'" for column in missing)
    if not any(header):
        raise ImportFileError(f"The file is empty: a Shopify product CSV starts with a header row ({names}).")
    hint = " It seems to use ';' between columns; Shopify CSVs use commas." if ";" in header[0] else ""
    plural = "columns" if len(missing) > 1 else "column"
    raise ImportFileError(f"The file has no {names} {plural}: it is not a Shopify product CSV.{hint}")


def _layout(header: list[str]) -> _Layout:
    metafields = {name: match.group(1) for name in header if (match := _METAFIELD.search(name))}
    return _Layout(has_inventory="Variant Inventory Qty" in header, metafields=metafields)


def read_rows(text: str) -> tuple[_Layout, list[Row]]:
    """Rows keyed by canonical column name, each with the line it starts on; blank rows are dropped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader, [])
        header = [_CANONICAL.get(name.strip().casefold(), name.strip()) for name in raw_header]
        _check_header(header)
        rows, start = [], reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(Row(start, dict(reversed(list(zip(header, cells, strict=False))))))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
    return _layout(header), rows


def group_by_handle(rows: Iterable[Row]) -> tuple[dict[str, list[Row]], list[RowError]]:
    """Shopify spreads a product over several rows with the same handle, not always consecutive."""
    groups: dict[str, list[Row]] = {}
    errors = []
    for row in rows:
        if handle := row.get("Handle"):
            groups.setdefault(handle, []).append(row)
        else:
            errors.append(RowError(row.line, "", "the row has no Handle, so it belongs to no product"))
    return groups, errors


# --- Parsing one product ----------------------------------------------------------------------------------


def _parse_variant(
    row: Row, handle: str, errors: list[RowError], currency: str, layout: _Layout
) -> ParsedVariant:
    cells = _RowReader(row, handle, errors)
    options = (cells.text("Option1 Value"), cells.text("Option2 Value"), cells.text("Option3 Value"))
    price = 0
    if row.get("Variant Price"):
        price = cells.value("Variant Price", partial(parse_money, currency=currency), 0)
    else:
        cells.error("Variant Price is missing")
    quantity = cells.value("Variant Inventory Qty", parse_quantity, 0) if layout.has_inventory else None
    return ParsedVariant(
        line=row.line,
        options=options,
        price=price,
        compare_at_price=cells.value(
            "Variant Compare At Price", partial(parse_compare_at, currency=currency), None
        ),
        sku=cells.value("Variant SKU", parse_code, ""),
        barcode=cells.value("Variant Barcode", parse_code, ""),
        inventory_tracked=bool(row.get("Variant Inventory Tracker")),
        inventory_quantity=quantity,
        inventory_policy=cells.value("Variant Inventory Policy", parse_policy, "deny"),
        grams=cells.value("Variant Grams", parse_grams, 0),
        requires_shipping=cells.value("Variant Requires Shipping", partial(parse_bool, default=True), True),
        taxable=cells.value("Variant Taxable", partial(parse_bool, default=True), True),
        image_src=cells.value("Variant Image", parse_image_src, ""),
    )


def _parse_variants(
    rows: list[Row], handle: str, errors: list[RowError], currency: str, layout: _Layout
) -> tuple[ParsedVariant, ...]:
    variants: dict[OptionValues, ParsedVariant] = {}
    for row in filter(lambda row: row.is_variant, rows):
        variant = _parse_variant(row, handle, errors, currency, layout)
        if first := variants.get(variant.options):
            title = " / ".join(option for option in variant.options if option)
            errors.append(
                RowError(row.line, handle, f"duplicate variant options '{title}' (see line {first.line})")
            )
        else:
            variants[variant.options] = variant
    return tuple(variants.values())


def _parse_images(
    rows: list[Row], variants: Iterable[ParsedVariant], handle: str, errors: list[RowError]
) -> tuple[ParsedImage, ...]:
    """Distinct `Image Src` by Image Position (row order when absent), then variant images not among them."""
    found: list[tuple[tuple[bool, int, int], ParsedImage]] = []
    for order, row in enumerate(rows):
        cells = _RowReader(row, handle, errors)
        if src := cells.value("Image Src", parse_image_src, ""):
            position = cells.value("Image Position", parse_position, None)
            key = (position is None, position or 0, order)
            found.append((key, ParsedImage(src, cells.text("Image Alt Text", MAX_ALT))))
    images: dict[str, ParsedImage] = {}
    for _, image in sorted(found, key=lambda item: item[0]):
        images.setdefault(image.src, image)
    for variant in variants:
        if variant.image_src:
            images.setdefault(variant.image_src, ParsedImage(variant.image_src))
    return tuple(images.values())


def _parse_fields(row: Row, handle: str, errors: list[RowError], layout: _Layout) -> ParsedProduct:
    """The product-level columns, which Shopify only fills on the product's first row."""
    cells = _RowReader(row, handle, errors)
    return ParsedProduct(
        handle=cells.value("Handle", parse_handle, handle),
        line=row.line,
        title=cells.text("Title"),
        body_html=sanitize_html(row.get("Body (HTML)")),
        vendor=cells.text("Vendor"),
        product_type=cells.text("Type"),
        tags=cells.value("Tags", parse_tags, ()),
        status=cells.value("Status", parse_status, "active"),
        published=cells.value("Published", partial(parse_bool, default=True), True),
        gift_card=cells.value("Gift Card", partial(parse_bool, default=False), False),
        option_names=(
            cells.text("Option1 Name") or None,
            cells.text("Option2 Name") or None,
            cells.text("Option3 Name") or None,
        ),
        seo_title=cells.text("SEO Title"),
        seo_description=row.get("SEO Description"),
        metafields={key: value for name, key in layout.metafields.items() if (value := row.get(name))},
    )


def parse_product(
    handle: str, rows: list[Row], *, currency: str, layout: _Layout
) -> tuple[ParsedProduct | None, list[RowError]]:
    """One product from all its rows, or None and the reasons; a single bad row rejects the product."""
    errors: list[RowError] = []
    title_row = next((row for row in rows if row.get("Title")), None)
    if title_row is None:
        message = "no row of this product has a Title (the product's first row must have one)"
        return None, [RowError(rows[0].line, handle, message)]
    product = _parse_fields(title_row, handle, errors, layout)
    variants = _parse_variants(rows, handle, errors, currency, layout)
    if not variants and not errors:
        errors.append(RowError(title_row.line, handle, "the product has no variant row (no Variant Price)"))
    images = _parse_images(rows, variants, handle, errors)
    if errors:
        return None, errors
    return replace(product, variants=variants, images=images), []


def parse_shopify_csv(source: Source, *, currency: str) -> ParsedCatalog:
    """Read and validate the whole file without touching the database."""
    layout, rows = read_rows(decode(_read_bytes(source)))
    groups, errors = group_by_handle(rows)
    products, skipped = [], []
    for handle, product_rows in groups.items():
        product, product_errors = parse_product(handle, product_rows, currency=currency, layout=layout)
        if product is None:
            skipped.append(handle)
            errors += product_errors
        else:
            products.append(product)
    warnings = [] if layout.has_inventory else [NO_INVENTORY_WARNING]
    warnings += [
        str(
            RowError(
                v.line, p.handle, f"inventory {v.inventory_quantity} is negative (oversold): kept as it is"
            )
        )
        for p in products
        for v in p.variants
        if v.inventory_tracked and v.inventory_quantity is not None and v.inventory_quantity < 0
    ]
    return ParsedCatalog(
        products, sorted(errors, key=lambda error: error.line), skipped, layout.has_inventory, warnings
    )


def count_products(source: Source) -> int:
    """Number of distinct handles in the file (to size a progress bar); file objects are rewound."""
    _, rows = read_rows(decode(_read_bytes(source)))
    return len({handle for row in rows if (handle := row.get("Handle"))})


# --- Writing to the database ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shared:
    """Tags and type collections shared between products, loaded once and created before any product."""

    tags: dict[str, Tag]
    collections: dict[str, Collection]


def _existing_products(handles: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(handles), _CHUNK):
        query = (
            sa.select(Product)
            .where(Product.handle.in_(handles[start : start + _CHUNK]))
            .options(
                selectinload(Product.variants),
                selectinload(Product.images),
                selectinload(Product.tags),
                selectinload(Product.collections),
            )
        )
        found |= {product.handle: product for product in db.session.scalars(query)}
    return found


def _shared_rows(products: list[ParsedProduct]) -> _Shared:
    """Load all tags and collections once; create missing ones now, outside any product's savepoint."""
    tags = {tag.slug: tag for tag in db.session.scalars(sa.select(Tag))}
    collections = {collection.handle: collection for collection in db.session.scalars(sa.select(Collection))}
    for product in products:
        for name in product.tags:
            if slugify(name) not in tags:
                tags[slugify(name)] = Tag(name=name, slug=slugify(name))
                db.session.add(tags[slugify(name)])
        type_handle = slugify(product.product_type)
        if type_handle and type_handle not in collections:
            collections[type_handle] = Collection(handle=type_handle, title=product.product_type, kind="type")
            db.session.add(collections[type_handle])
    db.session.flush()
    return _Shared(tags, collections)


def _apply_images(product: Product, parsed: ParsedProduct) -> dict[str, ProductImage]:
    """Images matched by src (kept rows keep their ids); images gone from the file are deleted."""
    existing = {image.src: image for image in product.images}
    images = []
    for position, parsed_image in enumerate(parsed.images, start=1):
        image = existing.get(parsed_image.src) or ProductImage(src=parsed_image.src)
        image.position, image.alt = position, parsed_image.alt
        images.append(image)
    product.images = images
    return {image.src: image for image in images}


def _apply_variants(product: Product, parsed: ParsedProduct, images: dict[str, ProductImage]) -> None:
    """Variants matched by option values, so carts pointing at a variant survive a re-import."""
    existing = {(v.option1, v.option2, v.option3): v for v in product.variants}
    variants = []
    for position, spec in enumerate(parsed.variants, start=1):
        variant = existing.get(spec.options)
        if spec.inventory_quantity is not None:
            variant = variant or Variant()
            variant.inventory_tracked, variant.inventory_quantity = (
                spec.inventory_tracked,
                spec.inventory_quantity,
            )
        elif variant is None:
            # No stock column: an unknown stock must not read as "sold out" to every shopper.
            variant = Variant(inventory_tracked=False, inventory_quantity=0)
        variant.option1, variant.option2, variant.option3 = spec.options
        variant.position = position
        variant.price, variant.compare_at_price = spec.price, spec.compare_at_price
        variant.sku, variant.barcode = spec.sku, spec.barcode
        variant.inventory_policy = spec.inventory_policy
        variant.grams = spec.grams
        variant.requires_shipping, variant.taxable = spec.requires_shipping, spec.taxable
        variant.image = images.get(spec.image_src)
        variants.append(variant)
    product.variants = variants


def _apply_product(product: Product, parsed: ParsedProduct, shared: _Shared) -> None:
    """Copy every parsed field onto the product; manual collection memberships are left alone."""
    product.title, product.body_html = parsed.title, parsed.body_html
    product.vendor, product.product_type = parsed.vendor, parsed.product_type
    product.status, product.published, product.gift_card = parsed.status, parsed.published, parsed.gift_card
    product.option1_name, product.option2_name, product.option3_name = parsed.option_names
    product.seo_title, product.seo_description = parsed.seo_title, parsed.seo_description
    product.metafields = dict(parsed.metafields)
    product.tags = [shared.tags[slugify(name)] for name in parsed.tags]
    type_collection = shared.collections.get(slugify(parsed.product_type))
    kept = [c for c in product.collections if c.kind != "type" and c is not type_collection]
    product.collections = kept + ([type_collection] if type_collection else [])
    _apply_variants(product, parsed, _apply_images(product, parsed))
    product.refresh_search_text()


def _save_product(
    parsed: ParsedProduct, product: Product | None, shared: _Shared, result: ImportResult
) -> None:
    """Write one product inside a SAVEPOINT: if the database refuses it, nothing of it is kept."""
    try:
        with db.session.begin_nested():
            target = product or Product(handle=parsed.handle)
            db.session.add(target)
            _apply_product(target, parsed, shared)
            db.session.flush()
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        message = f"the database refused this product ({type(exc.orig).__name__}: {exc.orig})"
        result.errors.append(RowError(parsed.line, parsed.handle, message))
        result.skipped.append(parsed.handle)
        return
    if product is None:
        result.created += 1
    else:
        result.updated += 1
    result.variants += len(parsed.variants)
    result.images += len(parsed.images)


def import_shopify_csv(
    source: Source, *, currency: str, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import (or re-import) a Shopify product export; products with errors are reported and not written.

    Raises ImportFileError when the file as a whole cannot be used. Commits once at the end; each product
    is written in its own savepoint, so an interrupted import never leaves a half-written product.
    """
    report = progress or (lambda _count: None)
    catalog = parse_shopify_csv(source, currency=currency)
    result = ImportResult(
        errors=list(catalog.errors), skipped=list(catalog.skipped), warnings=list(catalog.warnings)
    )
    if catalog.skipped:
        report(len(catalog.skipped))
    existing = _existing_products([product.handle for product in catalog.products])
    shared = _shared_rows(catalog.products)
    for parsed in catalog.products:
        _save_product(parsed, existing.get(parsed.handle), shared, result)
        report(1)
    db.session.commit()
    result.errors.sort(key=lambda error: error.line)
    return result
