"""`flask seller ...` commands."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup

from chat.models import SELLER_ROLES, Seller
from extensions import db

seller_cli = AppGroup("seller", help="Seller accounts.")


@seller_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Name shown to shoppers.")
@click.option("--role", type=click.Choice(SELLER_ROLES), default="seller", show_default=True)
@click.password_option(help="Prompted (twice) when not given.")
def create_seller(email: str, name: str, role: str, password: str) -> None:
    """Create a seller account (or reset an existing one's name, role and password)."""
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    seller = db.session.scalar(db.select(Seller).filter_by(email=email))
    created = seller is None
    if seller is None:
        seller = Seller(email=email)
        db.session.add(seller)
    seller.name, seller.role = name.strip(), role
    seller.set_password(password)
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} {role} {name} <{email}>.")
