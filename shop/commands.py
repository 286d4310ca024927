"""`flask shop ...` commands."""

import click
from flask.cli import AppGroup

shop_cli = AppGroup("shop", help="Catalog commands: import a Shopify export, load the demo catalog.")
