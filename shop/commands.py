"""`flask shop ...` commands."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from babel.numbers import is_currency
from flask import current_app
from flask.cli import AppGroup

from extensions import db
from shop import discounts
from shop.importer import ImportFileError, ImportResult, count_products, import_shopify_csv
from shop.models import Offer, Product
from shop.money import parse_price

shop_cli = AppGroup("shop", help="Catalog commands: import a Shopify export, load the demo catalog.")

#: The demo catalog, a Shopify-format CSV shipped with the code.
DEMO_CATALOG = Path(__file__).resolve().parent / "demo" / "catalog.csv"
#: A shop code the demo offers to anyone (the owner manages codes at /seller/discounts).
DEMO_CODE = "WELCOME10"


class ImportAborted(click.ClickException):
    """The file could not be imported at all: exit code 2, a message and no traceback."""

    exit_code = 2


def run_import(path: Path, currency: str) -> ImportResult:
    """Import with a progress bar, print the summary, and list row errors on stderr (then exit 1)."""
    try:
        with click.progressbar(length=count_products(path), label="Importing products") as bar:
            result = import_shopify_csv(path, currency=currency, progress=bar.update)
    except ImportFileError as exc:
        raise ImportAborted(str(exc)) from None
    click.echo(
        f"Imported {result.created + result.updated} products ({result.created} created, "
        f"{result.updated} updated), {result.variants} variants, {result.images} images."
    )
    for warning in result.warnings:
        click.echo(f"Note: {warning}", err=True)
    for error in result.errors:
        click.echo(str(error), err=True)
    if result.skipped:
        click.echo(f"Not imported because of errors: {', '.join(result.skipped)}.", err=True)
    if result.errors:
        raise click.exceptions.Exit(1)
    return result


def validate_currency(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an unknown code up front: prices would otherwise be read with the wrong number of decimals."""
    if value is not None and not is_currency(value.upper()):
        raise click.BadParameter(f"{value!r} is not an ISO 4217 currency code (EUR, USD, INR...).")
    return value.upper() if value else None


@shop_cli.command("import-shopify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option(
    "--currency",
    callback=validate_currency,
    help="ISO 4217 code of the prices in the file (default: SHOP_CURRENCY).",
)
def import_shopify(path: Path, currency: str | None) -> None:
    """Import (or update, by handle) products from a Shopify product CSV export."""
    run_import(path, (currency or current_app.config["SHOP_CURRENCY"]).upper())


@shop_cli.command("load-demo")
@click.option("--force", is_flag=True, help="Import even when the catalog already has products.")
def load_demo(force: bool) -> None:
    """Load the demo catalog into an empty shop."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
    if count and not force:
        click.echo(f"Catalog already has {count} products; demo not loaded.")
        return
    run_import(DEMO_CATALOG, current_app.config["SHOP_CURRENCY"])
    if db.session.scalar(sa.select(Offer.id).where(Offer.code == DEMO_CODE)) is None:
        minimum = parse_price("30", current_app.config["SHOP_CURRENCY"])
        discounts.shop_code(None, code=DEMO_CODE, kind="percent", value=10, min_subtotal=minimum,
                            note="Welcome! 10% off from 30")  # fmt: skip
        click.echo(f"Demo discount code {DEMO_CODE}: 10% off orders from 30.00, once per shopper.")
