#!/usr/bin/env python3
"""Generate the Maison Verte demo catalog: a Shopify product CSV and one flat SVG illustration per image.

    python scripts/make_demo_catalog.py

writes `shop/demo/catalog.csv` (Shopify's 2016 product-CSV columns plus the newer `Status` column) and
`static/demo/*.svg`. The output is deterministic: the catalog is the Python data below, nothing is random,
and re-running the script rewrites the same bytes. SVG files in static/demo that the catalog no longer
references are removed.

Shopify multi-row conventions used:
- the first row of a product holds the product fields (Title, Body, Vendor, Type, Tags, Published, option
  names, SEO, Status), its first variant and its first image;
- further variant rows hold only Handle and the variant columns (option values, SKU, stock, price...);
- further image rows hold only Handle, Image Src, Image Position and Image Alt Text;
- a product without options has Option1 Name "Title" and Option1 Value "Default Title".
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT / "shop" / "demo" / "catalog.csv"
SVG_DIR = ROOT / "static" / "demo"
IMAGE_URL = "/static/demo/"

#: Shopify's product import template (2016 column set), in order, plus `Status` as newer exports have.
COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode",
    "Image Src", "Image Position", "Image Alt Text", "Gift Card",
    "Google Shopping / MPN", "Google Shopping / Age Group", "Google Shopping / Gender",
    "Google Shopping / Google Product Category", "SEO Title", "SEO Description",
    "Google Shopping / AdWords Grouping", "Google Shopping / AdWords Labels", "Google Shopping / Condition",
    "Google Shopping / Custom Product", "Google Shopping / Custom Label 0",
    "Google Shopping / Custom Label 1", "Google Shopping / Custom Label 2",
    "Google Shopping / Custom Label 3", "Google Shopping / Custom Label 4",
    "Variant Image", "Variant Weight Unit", "Status",
]  # fmt: skip


@dataclass
class V:
    """One variant: its option values, price (EUR, as in the CSV) and stock."""

    options: tuple[str, ...]
    price: str
    qty: int = 10
    compare_at: str = ""
    #: "deny": cannot be sold below zero; "continue": can be ordered when out of stock (backorder).
    policy: str = "deny"
    grams: int | None = None


@dataclass
class P:
    """One product, as a Shopify export describes it."""

    handle: str
    title: str
    type: str
    vendor: str
    tags: list[str]
    body: str
    #: Option names; empty for a product without options (written as "Title" / "Default Title").
    options: list[str]
    variants: list[V]
    #: Drawing used for the SVG (see ART) and its main colour (a COLOURS name) when no Colour option.
    art: str
    colour: str
    grams: int = 1000
    status: str = "active"
    #: False: Shopify does not track stock (blank Variant Inventory Tracker); always available.
    tracked: bool = True
    #: Captions of additional images <handle>-2.svg, <handle>-3.svg...
    extra_images: list[str] = field(default_factory=list)
    #: Give every variant an image in its colour (<handle>-<colour>.svg); needs a "Colour" option.
    variant_images: bool = False


def one(price: str, qty: int = 10, **kw) -> list[V]:
    """The single variant of a product without options."""
    return [V(("Default Title",), price, qty, **kw)]


JB, TF, AL, MV = "Jardin & Bois", "Terre & Feuille", "Atelier Lumen", "Maison Verte"

PRODUCTS: list[P] = [
    # --- Tables -----------------------------------------------------------------------------------------
    P(
        "round-teak-garden-table",
        "Round Teak Garden Table",
        "Tables",
        JB,
        ["outdoor", "teak", "round", "garden", "dining", "featured"],
        "<p>A solid teak garden table with a round top that seats two to six, depending on the size. "
        "The wood is kiln-dried and oiled, and weathers to a soft silver-grey if left untreated.</p>"
        "<ul><li>Dimensions: 80, 100 or 120 cm diameter, 74 cm high</li>"
        "<li>Material: grade-A teak, stainless steel fittings</li>"
        "<li>Seats: 2 (80 cm), 4 (100 cm), 6 (120 cm)</li></ul>",
        ["Size"],
        [
            V(("80 cm",), "139.00", 12, grams=14000),
            V(("100 cm",), "179.00", 8, grams=18000),
            V(("120 cm",), "229.00", 5, grams=24000),
        ],
        "table-round",
        "Teak",
        extra_images=["In the garden", "Oiled teak, close up"],
    ),
    P(
        "rectangular-oak-dining-table",
        "Rectangular Oak Dining Table",
        "Tables",
        JB,
        ["indoor", "oak", "rectangular", "dining", "solid wood"],
        "<p>A generous dining table in solid European oak with a natural oil finish. The 4 cm thick top "
        "rests on square legs with softened edges: a table meant to last for generations.</p>"
        "<ul><li>Dimensions: 160 × 90 cm or 200 × 100 cm, 76 cm high</li>"
        "<li>Material: solid oak, natural oil finish</li><li>For indoor use</li></ul>",
        ["Size"],
        [
            V(("160 cm",), "649.00", 4, grams=42000),
            V(("200 cm",), "899.00", 2, compare_at="999.00", grams=52000),
        ],
        "table-rect",
        "Oak",
    ),
    P(
        "metal-bistro-table",
        "Metal Bistro Table",
        "Tables",
        MV,
        ["outdoor", "bistro", "metal", "round", "balcony", "folding", "green", "blue"],
        "<p>The classic Parisian café table: a round, folding steel table that fits on the smallest "
        "balcony. Choose a powder-coated metal top or a hand-laid mosaic top in blue and white tiles.</p>"
        "<ul><li>Dimensions: 60 or 70 cm diameter, 72 cm high</li>"
        "<li>Material: powder-coated steel, optional ceramic mosaic top</li>"
        "<li>Folds flat to 8 cm</li></ul>",
        ["Size", "Colour", "Top"],
        [
            V(("60 cm", "Sage Green", "Metal"), "89.00", 10),
            V(("60 cm", "Sage Green", "Mosaic"), "119.00", 4),
            V(("60 cm", "Navy Blue", "Metal"), "89.00", 7),
            V(("60 cm", "Navy Blue", "Mosaic"), "119.00", 3),
            V(("70 cm", "Sage Green", "Metal"), "109.00", 6),
            V(("70 cm", "Sage Green", "Mosaic"), "139.00", 2),
            V(("70 cm", "Navy Blue", "Metal"), "109.00", 5),
            V(("70 cm", "Navy Blue", "Mosaic"), "139.00", 1),
        ],
        "table-bistro",
        "Sage Green",
        grams=9000,
        variant_images=True,
    ),
    P(
        "folding-teak-side-table",
        "Folding Teak Side Table",
        "Tables",
        JB,
        ["outdoor", "teak", "side table", "folding", "garden"],
        "<p>A small square side table in teak that folds flat for winter storage. Just the right size for "
        "a drink and a book next to a lounge chair.</p>"
        "<ul><li>Dimensions: 45 × 45 cm, 50 cm high</li><li>Material: teak</li></ul>",
        [],
        one("79.00", 18, compare_at="95.00"),
        "table-side",
        "Teak",
        grams=5000,
    ),
    P(
        "marble-top-garden-table",
        "Marble Top Garden Table",
        "Tables",
        JB,
        ["outdoor", "marble", "round", "garden"],
        "<p>A round garden table with a white Carrara marble top on a wrought iron base. "
        "Coming next season.</p>",
        [],
        one("349.00", 3),
        "table-round",
        "Marble",
        grams=35000,
        status="draft",
    ),
    # --- Chairs -----------------------------------------------------------------------------------------
    P(
        "stacking-bistro-chair",
        "Stacking Bistro Chair",
        "Chairs",
        MV,
        ["outdoor", "bistro", "metal", "stacking", "balcony", "green", "blue"],
        "<p>A lightweight steel chair with a slatted seat that matches our Metal Bistro Table. It stacks up "
        "to six high, so a whole café terrace fits in a corner of the shed.</p>"
        "<ul><li>Dimensions: 43 × 50 cm, seat height 45 cm, 82 cm high</li>"
        "<li>Material: powder-coated steel, weather-resistant</li></ul>",
        ["Colour"],
        [
            V(("Sage Green",), "59.00", 24),
            V(("Black",), "59.00", 16),
            V(("Navy Blue",), "59.00", 9),
            V(("Terracotta Red",), "59.00", 0),
        ],
        "chair",
        "Sage Green",
        grams=4500,
        variant_images=True,
    ),
    P(
        "teak-garden-armchair",
        "Teak Garden Armchair",
        "Chairs",
        JB,
        ["outdoor", "teak", "armchair", "garden", "dining", "featured"],
        "<p>A sturdy teak armchair with broad armrests and a gently curved back. Pair it with the Round "
        "Teak Garden Table for long lunches outdoors.</p>"
        "<ul><li>Dimensions: 60 × 58 cm, seat height 44 cm, 88 cm high</li>"
        "<li>Material: grade-A teak</li></ul>",
        [],
        one("189.00", 11, compare_at="229.00"),
        "armchair",
        "Teak",
        grams=9500,
    ),
    P(
        "rope-lounge-chair",
        "Rope Lounge Chair",
        "Chairs",
        JB,
        ["outdoor", "lounge", "rope", "aluminium", "blue", "featured"],
        "<p>A low, deep lounge chair with a hand-woven rope seat on a rust-proof aluminium frame. The thick "
        "seat cushion is covered in quick-drying outdoor fabric and can stay out in a summer shower.</p>"
        "<ul><li>Dimensions: 72 × 78 cm, seat height 38 cm</li>"
        "<li>Material: aluminium, polypropylene rope, outdoor fabric</li></ul>",
        ["Colour"],
        [V(("Sand",), "329.00", 6), V(("Charcoal",), "329.00", 4), V(("Ocean Blue",), "329.00", 3)],
        "lounge",
        "Sand",
        grams=11000,
    ),
    P(
        "chaise-longue-elegance",
        "Chaise Longue Élégance",
        "Chairs",
        JB,
        ["outdoor", "sun lounger", "teak", "crème", "pool"],
        "<p>The Élégance is a teak chaise longue with a five-position backrest and a thick crème or "
        "anthracite cushion. Two wheels at the head end make it easy to follow the sun across the "
        "terrace.</p>"
        "<ul><li>Dimensions: 200 × 65 cm, seat height 35 cm</li>"
        "<li>Material: teak, outdoor fabric cushion (crème or anthracite)</li></ul>",
        ["Colour"],
        [
            V(("Crème",), "449.00", 5, compare_at="499.00"),
            V(("Anthracite",), "449.00", 3, compare_at="499.00"),
        ],
        "lounger",
        "Crème",
        grams=26000,
        extra_images=["By the pool"],
    ),
    P(
        "folding-deck-chair",
        "Folding Deck Chair",
        "Chairs",
        MV,
        ["outdoor", "deck chair", "beech", "folding", "striped", "blue", "beach"],
        "<p>The traditional seaside deck chair: a beech frame with three reclining positions and a striped "
        "cotton canvas seat. It folds flat and hangs on a hook. The red stripe is made to order and ships "
        "in about three weeks.</p>"
        "<ul><li>Dimensions: 58 × 110 cm unfolded</li><li>Material: beech, cotton canvas</li></ul>",
        ["Colour"],
        [
            V(("Blue Stripe",), "49.00", 14),
            V(("Red Stripe",), "49.00", 0, policy="continue"),
            V(("Green Stripe",), "49.00", 8),
        ],
        "deckchair",
        "Blue Stripe",
        grams=5200,
    ),
    P(
        "hanging-wicker-egg-chair",
        "Hanging Wicker Egg Chair",
        "Chairs",
        JB,
        ["outdoor", "wicker", "hanging", "egg chair"],
        "<p>A hanging egg chair in hand-woven natural wicker with a deep seat cushion. "
        "Stand sold separately.</p>",
        [],
        one("399.00", 2),
        "eggchair",
        "Natural",
        grams=15000,
        status="draft",
    ),
    # --- Planters ---------------------------------------------------------------------------------------
    P(
        "terracotta-garden-pot",
        "Terracotta Garden Pot",
        "Planters",
        TF,
        ["outdoor", "terracotta", "pot", "frost-resistant", "garden", "featured"],
        "<p>A classic terracotta pot, hand-thrown in Impruneta clay and fired at high temperature so that "
        "it survives frost. The clay lets roots breathe and ages to a soft patina; a drainage hole is "
        "included.</p>"
        "<ul><li>S: 20 cm diameter, 18 cm high</li><li>M: 30 cm diameter, 27 cm high</li>"
        "<li>L: 40 cm diameter, 36 cm high</li></ul>",
        ["Size"],
        [
            V(("S",), "12.90", 40, grams=1800),
            V(("M",), "19.90", 30, grams=4200),
            V(("L",), "29.90", 15, compare_at="34.90", grams=8500),
        ],
        "pot",
        "Terracotta",
    ),
    P(
        "glazed-ceramic-pot",
        "Glazed Ceramic Pot",
        "Planters",
        TF,
        ["indoor", "outdoor", "ceramic", "glazed", "pot", "blue", "green"],
        "<p>A stoneware pot with a deep reactive glaze: no two pieces are quite alike. For indoor plants "
        "and sheltered outdoor spots; bring it in when frost is forecast.</p>"
        "<ul><li>S: 16 cm, M: 22 cm, L: 30 cm diameter</li>"
        "<li>Material: glazed stoneware, drainage hole with cork plug</li></ul>",
        ["Colour", "Size"],
        [
            V((colour, size), price, qty, grams=grams)
            for colour, stock in (
                ("Cobalt Blue", (18, 12, 6)),
                ("Olive Green", (15, 9, 4)),
                ("Ivory", (20, 7, 3)),
            )
            for size, price, qty, grams in zip(
                ("S", "M", "L"), ("24.90", "34.90", "49.90"), stock, (1500, 3200, 6500), strict=True
            )
        ],
        "pot",
        "Cobalt Blue",
        variant_images=True,
    ),
    P(
        "hanging-rope-planter",
        "Hanging Rope Planter",
        "Planters",
        TF,
        ["indoor", "hanging", "planter", "cotton", "rope", "ceramic"],
        "<p>A white ceramic pot cradled in a hand-knotted cotton rope hanger. Perfect for trailing plants "
        "such as pothos or string of pearls.</p>"
        "<ul><li>S: 12 cm pot, 70 cm drop</li><li>L: 17 cm pot, 95 cm drop</li></ul>",
        ["Size"],
        [V(("S",), "16.90", 20, grams=700), V(("L",), "22.90", 12, grams=1200)],
        "hanging",
        "White",
    ),
    P(
        "terracotta-balcony-trough",
        "Terracotta Balcony Trough",
        "Planters",
        TF,
        ["outdoor", "terracotta", "trough", "balcony", "window box"],
        "<p>A long, narrow terracotta planter for balcony rails and window sills. Frost-resistant clay "
        "with two drainage holes.</p>"
        "<ul><li>Dimensions: 50 or 80 cm long, 18 cm wide, 16 cm high</li></ul>",
        ["Length"],
        [V(("50 cm",), "22.90", 18, grams=3500), V(("80 cm",), "32.90", 9, grams=5600)],
        "trough",
        "Terracotta",
    ),
    P(
        "galvanised-zinc-planter-set",
        "Galvanised Zinc Planter Set",
        "Planters",
        TF,
        ["outdoor", "zinc", "metal", "planter", "set", "herbs", "grey"],
        "<p>Three galvanised zinc tubs in graduated sizes, for herbs by the kitchen door or bulbs on the "
        "steps. The metal weathers to a soft grey.</p>"
        "<ul><li>Diameters: 20, 25 and 30 cm</li><li>Material: galvanised steel</li></ul>",
        [],
        one("39.90", 10),
        "zinc",
        "Zinc",
        grams=2400,
    ),
    P(
        "fibreclay-cube-planter",
        "Fibreclay Cube Planter",
        "Planters",
        TF,
        ["outdoor", "fibreclay", "grey", "square", "lightweight"],
        "<p>A large square planter in fibreclay, a blend of clay and fibreglass that looks like concrete at "
        "a third of the weight. Frost-resistant and UV-stable, in a stone grey finish.</p>"
        "<ul><li>Dimensions: 40 × 40 × 40 cm or 50 × 50 × 50 cm</li></ul>",
        ["Size"],
        [V(("40 cm",), "69.00", 7, grams=9000), V(("50 cm",), "99.00", 4, grams=14000)],
        "cube",
        "Stone Grey",
    ),
    # --- Plants -----------------------------------------------------------------------------------------
    P(
        "olive-tree",
        "Olive Tree",
        "Plants",
        TF,
        ["outdoor", "olive", "tree", "mediterranean", "evergreen", "featured"],
        "<p>A young olive tree (Olea europaea) grown in Tuscany and delivered in its nursery pot. Hardy to "
        "about −8 °C once established: give it full sun and a free-draining compost.</p>"
        "<ul><li>Heights include the pot</li>"
        "<li>Nursery pot: 18 cm (80 cm), 24 cm (120 cm), 30 cm (160 cm)</li></ul>",
        ["Height"],
        [
            V(("80 cm",), "49.00", 12, grams=4000),
            V(("120 cm",), "89.00", 6, grams=9000),
            V(("160 cm",), "149.00", 2, compare_at="179.00", grams=18000),
        ],
        "olive",
        "Terracotta",
    ),
    P(
        "english-lavender",
        "English Lavender",
        "Plants",
        TF,
        ["outdoor", "lavender", "purple", "scented", "perennial", "bees"],
        "<p>Lavandula angustifolia 'Hidcote': compact, deep purple and intensely scented. Bees love it; "
        "plant it along a sunny path or in a terracotta pot.</p>",
        ["Pot size"],
        [
            V(("9 cm",), "4.90", 40, grams=400),
            V(("1 L",), "9.90", 30, grams=1200),
            V(("3 L",), "17.90", 15, grams=3300),
        ],
        "lavender",
        "Terracotta",
    ),
    P(
        "monstera-deliciosa",
        "Monstera Deliciosa",
        "Plants",
        TF,
        ["indoor", "monstera", "houseplant", "tropical", "green"],
        "<p>The Swiss cheese plant, with large glossy split leaves. Easy-going indoors: bright indirect "
        "light and a drink when the top of the soil is dry.</p>"
        "<ul><li>S: 40 cm, M: 70 cm, L: 110 cm high including the nursery pot</li></ul>",
        ["Size"],
        [
            V(("S",), "19.90", 15, grams=1500),
            V(("M",), "34.90", 8, compare_at="39.90", grams=4000),
            V(("L",), "59.00", 4, grams=9000),
        ],
        "monstera",
        "Ivory",
    ),
    P(
        "boston-fern",
        "Boston Fern",
        "Plants",
        TF,
        ["indoor", "fern", "houseplant", "green", "shade"],
        "<p>A lush Nephrolepis exaltata with arching fronds, delivered in a 17 cm nursery pot. It loves a "
        "humid bathroom and indirect light.</p>",
        [],
        one("14.90", 20),
        "fern",
        "Ivory",
        grams=1400,
    ),
    P(
        "succulent-set",
        "Succulent Set",
        "Plants",
        TF,
        ["indoor", "succulent", "set", "gift", "green", "featured"],
        "<p>A hand-picked mix of echeverias, haworthias and sedums in 6 cm nursery pots. They need little "
        "water and plenty of light: an easy gift.</p>",
        ["Size"],
        [
            V(("Set of 3",), "14.90", 25, grams=500),
            V(("Set of 6",), "24.90", 18, grams=1000),
            V(("Set of 12",), "42.00", 6, grams=2000),
        ],
        "succulents",
        "Terracotta",
    ),
    # --- Lighting ---------------------------------------------------------------------------------------
    P(
        "solar-glass-lantern",
        "Solar Glass Lantern",
        "Lighting",
        AL,
        ["outdoor", "lantern", "solar", "glass", "led", "warm white", "featured"],
        "<p>A glass lantern with a small solar panel in the lid and a warm white LED that switches on at "
        "dusk. Up to eight hours of soft light after a sunny day, with no cable and no switch.</p>"
        "<ul><li>Dimensions: 15 × 15 cm, 28 cm high</li><li>Material: powder-coated steel, glass</li></ul>",
        ["Colour"],
        [V(("Black",), "29.90", 22), V(("White",), "29.90", 14)],
        "lantern",
        "Black",
        grams=1300,
    ),
    P(
        "moroccan-metal-lantern",
        "Moroccan Metal Lantern",
        "Lighting",
        AL,
        ["outdoor", "indoor", "lantern", "candle", "metal", "moroccan", "brass"],
        "<p>A pierced metal lantern in an antique brass finish that scatters patterned light across walls "
        "and tables. It takes a pillar candle or a battery LED candle.</p>"
        "<ul><li>S: 25 cm, M: 35 cm, L: 48 cm high</li></ul>",
        ["Size"],
        [
            V(("S",), "24.90", 12, grams=900),
            V(("M",), "34.90", 8, grams=1400),
            V(("L",), "44.90", 5, compare_at="54.90", grams=2100),
        ],
        "moroccan",
        "Brass",
    ),
    P(
        "festoon-string-lights",
        "Festoon String Lights",
        "Lighting",
        AL,
        ["outdoor", "string lights", "festoon", "led", "garden", "party"],
        "<p>Weatherproof festoon lights with a warm white LED bulb every 50 cm, to hang over a terrace or "
        "along a pergola. Mains powered with an IP44 outdoor plug; strings link up to 45 m.</p>",
        ["Length"],
        [
            V(("5 m",), "29.90", 25, grams=900),
            V(("10 m",), "44.90", 18, grams=1600),
            V(("15 m",), "59.90", 7, grams=2300),
        ],
        "festoon",
        "Warm White",
    ),
    P(
        "solar-fairy-lights",
        "Solar Fairy Lights",
        "Lighting",
        AL,
        ["outdoor", "string lights", "solar", "fairy lights", "copper"],
        "<p>One hundred tiny warm white LEDs on a fine copper wire, powered by a stake-mounted solar "
        "panel. Wind them through a hedge or around a parasol.</p>"
        "<ul><li>Length: 10 m lit, 2 m lead</li></ul>",
        [],
        one("19.90", 0, policy="continue"),
        "fairy",
        "Warm White",
        grams=400,
        tracked=False,
    ),
    # --- Tableware --------------------------------------------------------------------------------------
    P(
        "linen-tablecloth",
        "Linen Tablecloth",
        "Tableware",
        MV,
        ["tableware", "linen", "tablecloth", "natural", "green", "blue", "terracotta", "featured"],
        "<p>Stonewashed French linen, soft from the first use and better with every wash. The corners are "
        "mitred and the fabric is pre-shrunk.</p>"
        "<ul><li>150 × 150 cm: square or round tables up to 100 cm</li>"
        "<li>150 × 250 cm: tables up to 200 cm</li>"
        "<li>Material: 100% linen, machine washable at 40 °C</li></ul>",
        ["Colour", "Size"],
        [
            V((colour, size), price, qty, compare_at=compare, grams=grams)
            for colour, stock, sale in (
                ("Natural", (20, 14), False),
                ("Sage Green", (12, 9), False),
                ("Dusty Blue", (10, 6), False),
                ("Terracotta", (8, 3), True),
            )
            for size, price, was, qty, grams in zip(
                ("150 × 150 cm", "150 × 250 cm"),
                ("49.00", "69.00"),
                ("59.00", "79.00"),
                stock,
                (600, 950),
                strict=True,
            )
            for compare in [was if sale else ""]
        ],
        "tablecloth",
        "Natural",
        variant_images=True,
    ),
    P(
        "ceramic-mug",
        "Ceramic Mug",
        "Tableware",
        MV,
        ["tableware", "ceramic", "mug", "stoneware", "coffee", "blue"],
        "<p>A hand-glazed stoneware mug that holds a generous 350 ml. Dishwasher and microwave safe.</p>"
        "<ul><li>Dimensions: 9 cm diameter, 10 cm high</li></ul>",
        ["Colour"],
        [
            V(("Blue",), "12.90", 30),
            V(("White",), "12.90", 25),
            V(("Terracotta",), "12.90", 18),
            V(("Sage Green",), "12.90", 12),
        ],
        "mug",
        "Blue",
        grams=380,
        variant_images=True,
    ),
    P(
        "outdoor-seat-cushion",
        "Outdoor Seat Cushion",
        "Tableware",
        MV,
        ["outdoor", "cushion", "water-repellent", "chair", "blue", "yellow"],
        "<p>A water-repellent seat cushion with ties, sized for bistro and garden chairs. The cover zips "
        "off and is machine washable.</p>"
        "<ul><li>Dimensions: 40 × 40 cm, 5 cm thick</li><li>Cover: solution-dyed acrylic</li></ul>",
        ["Colour"],
        [
            V(("Ochre",), "24.90", 16, compare_at="29.90"),
            V(("Navy Blue",), "24.90", 21, compare_at="29.90"),
            V(("Stone Grey",), "24.90", 9, compare_at="29.90"),
        ],
        "cushion",
        "Ochre",
        grams=450,
    ),
    P(
        "linen-napkins-set-of-4",
        "Linen Napkins (Set of 4)",
        "Tableware",
        MV,
        ["tableware", "linen", "napkins", "set", "green", "blue"],
        "<p>Four stonewashed linen napkins to match our Linen Tablecloth. Generous and absorbent, they "
        "need no ironing.</p>"
        "<ul><li>Dimensions: 45 × 45 cm each</li><li>Material: 100% linen</li></ul>",
        ["Colour"],
        [V(("Natural",), "24.00", 15), V(("Sage Green",), "24.00", 10), V(("Dusty Blue",), "24.00", 8)],
        "napkins",
        "Natural",
        grams=250,
    ),
    P(
        "enamel-picnic-plates",
        "Enamel Picnic Plates (Set of 4)",
        "Tableware",
        MV,
        ["tableware", "enamel", "plates", "picnic", "outdoor", "blue"],
        "<p>Four white enamel plates with a navy blue rim: light, unbreakable and made for picnics, "
        "camping and children's tables.</p>"
        "<ul><li>Dimensions: 25 cm diameter</li><li>Material: enamelled steel</li></ul>",
        [],
        one("29.00", 16),
        "plates",
        "Navy Blue",
        grams=1100,
    ),
    P(
        "olive-wood-serving-board",
        "Olive Wood Serving Board",
        "Tableware",
        MV,
        ["tableware", "olive wood", "serving board", "cheese", "wood"],
        "<p>A serving board cut from a single piece of olive wood, each with its own grain. For cheese, "
        "charcuterie or bread; oil it now and then to keep it looking its best.</p>"
        "<ul><li>S: 30 × 15 cm, L: 45 × 20 cm (excluding handle)</li></ul>",
        ["Size"],
        [V(("S",), "29.00", 13, grams=700), V(("L",), "45.00", 7, grams=1300)],
        "board",
        "Olive Wood",
    ),
]

# --------------------------------------------------------------------------------------------------------
# SVG illustrations
# --------------------------------------------------------------------------------------------------------

COLOURS = {
    "Teak": "#a8703f", "Oak": "#c9a46b", "Marble": "#e9e6e1", "Sage Green": "#8aa486", "Navy Blue": "#2f4a6d",
    "Black": "#2b2b2b", "Terracotta Red": "#b24e36", "Sand": "#d8c3a0", "Charcoal": "#45474a",
    "Ocean Blue": "#2f6f9f", "Crème": "#efe2c4", "Anthracite": "#3a3d40", "Blue Stripe": "#3d6fb0",
    "Red Stripe": "#c0453a", "Green Stripe": "#4f8a5b", "Natural": "#d9c9a8", "Terracotta": "#c4673f",
    "Cobalt Blue": "#2b50a8", "Olive Green": "#6b7a3a", "Ivory": "#f1e9d6", "White": "#f7f6f1",
    "Zinc": "#a3a8ab", "Stone Grey": "#9a9a94", "Brass": "#b8923a", "Warm White": "#ffd76b",
    "Dusty Blue": "#7f9cb5", "Blue": "#3d6fb0", "Ochre": "#c99a2e", "Olive Wood": "#b98d5c",
}  # fmt: skip

#: Background of the main image and of additional images, and text colour, per product type.
BACKGROUNDS = {
    "Tables": ("#e6eee2", "#dbe6f0", "#2e3a2c"),
    "Chairs": ("#f3ebdf", "#e4eef0", "#3a3226"),
    "Planters": ("#f5e6dc", "#e9efe2", "#4a2e22"),
    "Plants": ("#e2eee4", "#f2efe2", "#23402a"),
    "Lighting": ("#1f2738", "#2c2440", "#f6ecd0"),
    "Tableware": ("#f1ede6", "#e6ecf2", "#3b3530"),
}
GREEN, DARK_GREEN, WOOD = "#5d8f4e", "#2f6b3a", "#8a6440"


def shade(hex_colour: str, factor: float) -> str:
    """Darken (factor < 1) or lighten (factor > 1, towards white) a #rrggbb colour."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor <= 1:
        rgb = [round(c * factor) for c in rgb]
    else:
        rgb = [round(c + (255 - c) * (factor - 1)) for c in rgb]
    return "#" + "".join(f"{min(255, c):02x}" for c in rgb)


def legs(xs_tops: list[tuple[int, int, int, int]], colour: str, width: int = 12) -> str:
    return "".join(
        f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" stroke="{colour}" stroke-width="{width}" '
        'stroke-linecap="round"/>'
        for a, b, c, d in xs_tops
    )


def pot(c: str, x: int = 300, top: int = 330, w: int = 180, h: int = 130) -> str:
    """A tapered pot centred on x, its rim at `top`."""
    half, foot = w // 2, w // 2 - w // 9
    return (
        f'<path d="M{x - half + 8} {top + 22}H{x + half - 8}L{x + foot} {top + h}H{x - foot}Z" fill="{c}" '
        f'stroke="{shade(c, 0.8)}" stroke-width="3"/>'
        f'<rect x="{x - half}" y="{top}" width="{w}" height="26" rx="5" fill="{shade(c, 0.85)}"/>'
    )


def leaf(cx: int, cy: int, rx: int, ry: int, angle: int, colour: str, pivot: tuple[int, int]) -> str:
    return (
        f'<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" fill="{colour}" '
        f'transform="rotate({angle} {pivot[0]} {pivot[1]})"/>'
    )


def art_table_round(c: str) -> str:
    d = shade(c, 0.7)
    return (
        legs([(300, 270, 300, 430), (150, 260, 140, 450), (450, 260, 460, 450)], d, 16)
        + f'<ellipse cx="300" cy="252" rx="195" ry="52" fill="{d}"/>'
        + f'<ellipse cx="300" cy="240" rx="195" ry="52" fill="{c}"/>'
    )


def art_table_rect(c: str) -> str:
    d = shade(c, 0.7)
    return (
        legs([(160, 250, 165, 410), (440, 250, 435, 410)], shade(c, 0.55), 14)
        + legs([(95, 280, 95, 460), (505, 280, 505, 460)], d, 18)
        + f'<path d="M140 215H460L520 265H80Z" fill="{c}"/>'
        + f'<rect x="80" y="265" width="440" height="18" fill="{d}"/>'
    )


def art_table_bistro(c: str) -> str:
    d = shade(c, 0.7)
    return (
        legs([(300, 250, 300, 430)], d, 18)
        + f'<ellipse cx="300" cy="435" rx="85" ry="16" fill="{d}"/>'
        + f'<ellipse cx="300" cy="242" rx="130" ry="36" fill="{d}"/>'
        + f'<ellipse cx="300" cy="232" rx="130" ry="36" fill="{c}"/>'
    )


def art_table_side(c: str) -> str:
    d = shade(c, 0.7)
    return (
        legs([(220, 300, 380, 450), (380, 300, 220, 450)], d, 16)
        + f'<path d="M215 255H385L420 290H180Z" fill="{c}"/>'
        + f'<rect x="180" y="290" width="240" height="14" fill="{d}"/>'
    )


def art_chair(c: str, arms: bool = False) -> str:
    d = shade(c, 0.7)
    out = legs([(235, 300, 245, 440), (365, 300, 355, 440)], shade(c, 0.55), 12)
    out += legs([(195, 330, 180, 465), (405, 330, 420, 465)], d, 14)
    out += f'<rect x="220" y="110" width="160" height="170" rx="22" fill="{c}"/>'
    out += "".join(
        f'<rect x="{x}" y="132" width="10" height="126" rx="5" fill="{d}"/>' for x in (255, 295, 335)
    )
    out += f'<path d="M215 290H385L415 332H185Z" fill="{c}"/>'
    out += f'<rect x="185" y="332" width="230" height="10" fill="{d}"/>'
    if arms:
        out += legs(
            [(175, 255, 230, 255), (370, 255, 425, 255), (190, 258, 190, 330), (410, 258, 410, 330)], d, 16
        )
    return out


def art_armchair(c: str) -> str:
    return art_chair(c, arms=True)


def art_lounge(c: str) -> str:
    frame = "#b8bcbf"
    return (
        legs([(170, 370, 160, 440), (430, 370, 440, 440)], shade(frame, 0.7), 14)
        + f'<rect x="175" y="170" width="250" height="150" rx="36" fill="{shade(c, 0.82)}"/>'
        + f'<rect x="140" y="300" width="320" height="70" rx="28" fill="{c}"/>'
        + f'<rect x="120" y="250" width="44" height="130" rx="18" fill="{frame}"/>'
        + f'<rect x="436" y="250" width="44" height="130" rx="18" fill="{frame}"/>'
    )


def art_lounger(c: str) -> str:
    wood = COLOURS["Teak"]
    return (
        legs([(150, 380, 150, 440), (410, 380, 410, 440)], shade(wood, 0.7), 14)
        + f'<circle cx="470" cy="430" r="22" fill="{shade(wood, 0.6)}"/>'
        + f'<rect x="100" y="366" width="400" height="18" rx="6" fill="{wood}"/>'
        + f'<rect x="110" y="330" width="300" height="36" rx="14" fill="{c}"/>'
        + f'<path d="M395 330L465 215L500 232L440 366H395Z" fill="{shade(c, 0.9)}"/>'
    )


def art_deckchair(c: str) -> str:
    wood = COLOURS["Oak"]
    stripes = "".join(f'<rect x="{x}" y="150" width="28" height="230" fill="{c}"/>' for x in (228, 286, 344))
    return (
        legs([(205, 380, 420, 465), (395, 380, 180, 465)], shade(wood, 0.7), 12)
        + '<path d="M220 150H380L400 380H200Z" fill="#fbfaf5"/>'
        + stripes
        + legs([(215, 135, 190, 465), (385, 135, 410, 465)], wood, 14)
    )


def art_eggchair(c: str) -> str:
    return (
        legs([(300, 40, 300, 130)], "#6d6d6d", 6)
        + f'<ellipse cx="300" cy="300" rx="140" ry="175" fill="{shade(c, 0.8)}"/>'
        + f'<ellipse cx="300" cy="320" rx="105" ry="130" fill="{c}"/>'
        + f'<rect x="215" y="360" width="170" height="50" rx="22" fill="{shade(c, 1.4)}"/>'
    )


def art_pot(c: str) -> str:
    return pot(c, 300, 210, 260, 240) + '<ellipse cx="300" cy="222" rx="112" ry="8" fill="#5a3d2b"/>'


def art_trough(c: str) -> str:
    flowers = "".join(
        f'<circle cx="{x}" cy="{y}" r="18" fill="{GREEN}"/>'
        f'<circle cx="{x}" cy="{y - 20}" r="11" fill="#d8434f"/>'
        for x, y in ((170, 300), (250, 290), (330, 300), (410, 288))
    )
    return (
        flowers
        + f'<path d="M118 330H482L462 440H138Z" fill="{c}"/>'
        + f'<rect x="100" y="310" width="400" height="26" rx="5" fill="{shade(c, 0.85)}"/>'
    )


def art_hanging(c: str) -> str:
    trail = "".join(
        leaf(x, y, 9, 16, 20, GREEN, (x, y))
        for x, y in ((238, 410), (232, 440), (366, 415), (372, 448), (240, 470))
    )
    return (
        legs([(300, 50, 225, 300), (300, 50, 375, 300), (300, 50, 300, 300)], "#cbb58f", 5)
        + leaf(270, 280, 30, 16, -20, GREEN, (270, 280))
        + leaf(330, 280, 30, 16, 20, GREEN, (330, 280))
        + f'<path d="M215 300H385Q380 400 300 400Q220 400 215 300Z" fill="{c}" stroke="#cfc8b8" '
        'stroke-width="3"/>' + trail
    )


def art_cube(c: str) -> str:
    return (
        f'<circle cx="330" cy="175" r="80" fill="{GREEN}"/>'
        f'<circle cx="265" cy="195" r="60" fill="{DARK_GREEN}"/>'
        f'<path d="M180 250L250 205H450L400 250Z" fill="{shade(c, 1.2)}"/>'
        f'<path d="M400 250L450 205V410L400 455Z" fill="{shade(c, 0.75)}"/>'
        f'<rect x="180" y="250" width="220" height="205" fill="{c}"/>'
    )


def art_zinc(c: str) -> str:
    return (
        pot(c, 170, 320, 130, 130)
        + pot(shade(c, 0.92), 300, 270, 160, 180)
        + pot(shade(c, 1.1), 440, 340, 110, 110)
        + leaf(300, 235, 14, 40, 0, GREEN, (300, 270))
        + leaf(300, 235, 14, 40, -35, GREEN, (300, 270))
        + leaf(300, 235, 14, 40, 35, GREEN, (300, 270))
    )


def art_olive(c: str) -> str:
    circles = (
        (240, 190, 60, "#7f926a"),
        (360, 190, 60, "#7f926a"),
        (300, 140, 75, "#93a67c"),
        (300, 215, 55, "#8a9c72"),
    )
    canopy = "".join(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{f}"/>' for x, y, r, f in circles)
    return f'<rect x="290" y="200" width="20" height="130" fill="{WOOD}"/>' + canopy + pot(c)


def art_lavender(c: str) -> str:
    tips = ((220, 190), (250, 160), (280, 135), (310, 150), (340, 130), (370, 165), (395, 195))
    return "".join(
        f'<line x1="300" y1="330" x2="{x}" y2="{y + 30}" stroke="{GREEN}" stroke-width="5"/>'
        f'<ellipse cx="{x}" cy="{y}" rx="11" ry="32" fill="#8d6cc0"/>'
        for x, y in tips
    ) + pot(c)


def art_monstera(c: str) -> str:
    leaves = "".join(
        leaf(300, 200, 55, 95, a, DARK_GREEN if i % 2 else GREEN, (300, 320))
        for i, a in enumerate((-55, -20, 20, 55))
    )
    return leaves + pot(c)


def art_fern(c: str) -> str:
    return "".join(leaf(300, 215, 16, 110, a, GREEN, (300, 320)) for a in range(-75, 76, 25)) + pot(c)


def art_succulents(c: str) -> str:
    out = ""
    for x, g in ((170, "#7fae8c"), (300, "#9bb98a"), (430, "#6f9c9a")):
        out += "".join(
            leaf(x, 300, 14, 34, a, shade(g, 0.9 if a % 60 else 1.0), (x, 330)) for a in range(-75, 76, 30)
        )
        out += pot(c, x, 330, 110, 110)
    return out


def art_lantern(c: str) -> str:
    glow = COLOURS["Warm White"]
    return (
        f'<circle cx="300" cy="300" r="170" fill="{glow}" opacity="0.18"/>'
        f'<circle cx="300" cy="95" r="22" fill="none" stroke="{c}" stroke-width="8"/>'
        f'<path d="M230 150L300 115L370 150Z" fill="{c}"/>'
        '<rect x="265" y="126" width="70" height="14" fill="#24407a"/>'
        f'<rect x="215" y="150" width="170" height="290" rx="8" fill="{c}"/>'
        f'<rect x="232" y="168" width="136" height="254" fill="#fff3c4" opacity="0.85"/>'
        f'<circle cx="300" cy="300" r="22" fill="{glow}"/>'
        f'<rect x="205" y="440" width="190" height="16" rx="4" fill="{c}"/>'
    )


def art_moroccan(c: str) -> str:
    holes = "".join(
        f'<circle cx="{x}" cy="{y}" r="7" fill="#ffd98a"/>'
        for y in range(230, 421, 38)
        for x in range(240, 361, 30)
    )
    return (
        f'<circle cx="300" cy="320" r="175" fill="#ffcf6b" opacity="0.16"/>'
        f'<circle cx="300" cy="80" r="18" fill="none" stroke="{c}" stroke-width="7"/>'
        f'<path d="M215 200Q300 70 385 200Z" fill="{c}"/>'
        f'<rect x="215" y="200" width="170" height="245" fill="{c}"/>'
        + holes
        + f'<rect x="200" y="445" width="200" height="16" rx="4" fill="{shade(c, 0.7)}"/>'
    )


def art_festoon(c: str) -> str:
    out = ""
    for p0, p1, p2 in (((30, 120), (300, 320), (570, 120)), ((30, 230), (300, 420), (570, 230))):
        out += (
            f'<path d="M{p0[0]} {p0[1]}Q{p1[0]} {p1[1]} {p2[0]} {p2[1]}" fill="none" stroke="#111" '
            'stroke-width="4"/>'
        )
        for i in range(1, 7):
            t = i / 7
            x = round((1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0])
            y = round((1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1])
            out += (
                f'<circle cx="{x}" cy="{y + 26}" r="26" fill="{c}" opacity="0.25"/>'
                f'<rect x="{x - 5}" y="{y}" width="10" height="12" fill="#333"/>'
                f'<circle cx="{x}" cy="{y + 26}" r="14" fill="{c}"/>'
            )
    return out


def art_fairy(c: str) -> str:
    # A wire waving around y=250, one LED at each crest and trough and one where it crosses the middle.
    wire = "M60 250" + "".join(
        f"Q{x + 20} {205 if i % 2 else 295} {x + 40} 250" for i, x in enumerate(range(60, 540, 40))
    )
    dots = "".join(
        f'<circle cx="{x + 20}" cy="{228 if i % 2 else 272}" r="6" fill="{c}"/>'
        f'<circle cx="{x + 40}" cy="250" r="4" fill="{c}"/>'
        for i, x in enumerate(range(60, 540, 40))
    )
    return (
        f'<path d="{wire}" fill="none" stroke="#b87333" stroke-width="2"/>'
        + dots
        + '<line x1="300" y1="360" x2="300" y2="460" stroke="#555" stroke-width="8"/>'
        + '<rect x="250" y="330" width="100" height="40" rx="4" fill="#24407a" stroke="#8fa3c8" '
        'stroke-width="3"/>'
    )


def art_tablecloth(c: str) -> str:
    d = shade(c, 0.8)
    return (
        legs([(150, 400, 150, 465), (450, 400, 450, 465)], WOOD, 16)
        + f'<path d="M140 235H460L505 405H95Z" fill="{d}"/>'
        + f'<ellipse cx="300" cy="235" rx="160" ry="34" fill="{c}"/>'
        + '<path d="M95 405Q150 420 200 405T300 405T400 405T505 405" fill="none" '
        f'stroke="{shade(c, 0.65)}" stroke-width="4"/>'
    )


def art_mug(c: str) -> str:
    return (
        '<path d="M270 170Q255 140 272 115M310 170Q295 140 312 115" fill="none" stroke="#c9c0b4" '
        'stroke-width="6" stroke-linecap="round" opacity="0.8"/>'
        '<path d="M380 250C455 250 455 380 380 380" fill="none" '
        f'stroke="{shade(c, 0.85)}" stroke-width="24"/>'
        f'<rect x="200" y="190" width="185" height="240" rx="22" fill="{c}" stroke="{shade(c, 0.8)}" '
        'stroke-width="3"/>'
        f'<ellipse cx="292" cy="192" rx="92" ry="14" fill="{shade(c, 0.7)}"/>'
    )


def art_cushion(c: str) -> str:
    d = shade(c, 0.75)
    return (
        legs([(170, 210, 130, 190), (430, 210, 470, 190)], d, 6)
        + f'<rect x="160" y="190" width="280" height="250" rx="55" fill="{c}" '
        f'stroke="{d}" stroke-width="6"/>' + f'<circle cx="300" cy="315" r="10" fill="{d}"/>'
    )


def art_napkins(c: str) -> str:
    d = shade(c, 0.8)
    return "".join(
        f'<rect x="{190 + i * 12}" y="{200 + i * 45}" width="220" height="70" rx="8" '
        f'fill="{c if i % 2 else d}" stroke="{shade(c, 0.65)}" stroke-width="3" '
        f'transform="rotate({-4 + i * 3} 300 300)"/>'
        for i in range(4)
    )


def art_plates(c: str) -> str:
    return "".join(
        f'<circle cx="{x}" cy="{y}" r="120" fill="#fbfbf7" stroke="{c}" stroke-width="12"/>'
        f'<circle cx="{x}" cy="{y}" r="82" fill="none" stroke="#e4e4de" stroke-width="3"/>'
        for x, y in ((240, 280), (360, 320))
    )


def art_board(c: str) -> str:
    grain = "".join(
        f'<path d="M170 {y}Q300 {y - 18} 430 {y}" fill="none" stroke="{shade(c, 0.8)}" stroke-width="3"/>'
        for y in (260, 300, 340)
    )
    return (
        f'<rect x="420" y="270" width="110" height="60" rx="30" fill="{c}"/>'
        f'<circle cx="500" cy="300" r="10" fill="{BACKGROUNDS["Tableware"][0]}"/>'
        f'<rect x="140" y="215" width="310" height="170" rx="34" fill="{c}"/>'
        + grain
        + '<path d="M220 240L300 240L260 290Z" fill="#f2d48a"/>'
    )


#: Drawing functions by the name products use in `art`.
ART = {
    "table-round": art_table_round, "table-rect": art_table_rect, "table-bistro": art_table_bistro,
    "table-side": art_table_side, "chair": art_chair, "armchair": art_armchair, "lounge": art_lounge,
    "lounger": art_lounger, "deckchair": art_deckchair, "eggchair": art_eggchair, "pot": art_pot,
    "trough": art_trough, "hanging": art_hanging, "cube": art_cube, "zinc": art_zinc, "olive": art_olive,
    "lavender": art_lavender, "monstera": art_monstera, "fern": art_fern, "succulents": art_succulents,
    "lantern": art_lantern, "moroccan": art_moroccan, "festoon": art_festoon, "fairy": art_fairy,
    "tablecloth": art_tablecloth, "mug": art_mug, "cushion": art_cushion, "napkins": art_napkins,
    "plates": art_plates, "board": art_board,
}  # fmt: skip


def text_size(text: str) -> int:
    return 38 if len(text) <= 18 else 32 if len(text) <= 24 else 27


def svg(title: str, label: str, caption: str, art: str, colour: str, product_type: str, alt: bool) -> str:
    """One 600×600 illustration: background, product drawing, name and caption."""
    bg, bg_alt, ink = BACKGROUNDS[product_type]
    ground = shade(bg_alt if alt else bg, 0.93) if product_type != "Lighting" else shade(bg, 1.08)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600" '
        'role="img" aria-labelledby="t">',
        f'<title id="t">{escape(label)}</title>',
        f'<rect width="600" height="600" fill="{bg_alt if alt else bg}"/>',
        f'<ellipse cx="300" cy="462" rx="250" ry="26" fill="{ground}"/>',
        ART[art](COLOURS[colour]),
        f'<text x="300" y="{528 if caption else 545}" text-anchor="middle" font-family="Georgia, serif" '
        f'font-size="{text_size(title)}" fill="{ink}">{escape(title)}</text>',
    ]
    if caption:
        parts.append(
            f'<text x="300" y="570" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="22" fill="{ink}" opacity="0.75">{escape(caption)}</text>'
        )
    parts.append("</svg>\n")
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------------

TYPE_CODES = {
    "Tables": "TAB",
    "Chairs": "CHR",
    "Planters": "PLT",
    "Plants": "PLN",
    "Lighting": "LGT",
    "Tableware": "TBW",
}
PRICE = re.compile(r"^\d+\.\d{2}$")
HANDLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "-".join(re.findall(r"[a-z0-9]+", "".join(c for c in folded if not unicodedata.combining(c))))


def body_html(html: str) -> str:
    """One block element per line, as Shopify's editor saves descriptions (a quoted newline in the CSV)."""
    return re.sub(r"(</p>|<ul>|</li>|</ul>)(?=<)", "\\1\n", html)


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def seo_description(body: str, limit: int = 160) -> str:
    first = plain(body.split("</p>")[0])
    if len(first) <= limit:
        return first
    return first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def check(product: P) -> None:
    """Fail loudly on data that would make an inconsistent Shopify CSV."""
    where = product.handle
    assert HANDLE.match(product.handle), where
    assert product.status in ("active", "draft"), where
    assert product.type in TYPE_CODES, where
    assert product.art in ART, where
    assert product.colour in COLOURS, where
    combos = [v.options for v in product.variants]
    assert len(set(combos)) == len(combos), f"{where}: duplicate option combination"
    n_options = len(product.options) or 1
    assert all(len(c) == n_options and all(c) for c in combos), f"{where}: option values"
    assert product.options or combos == [("Default Title",)], where
    for v in product.variants:
        assert PRICE.match(v.price), f"{where}: price {v.price}"
        assert 4.90 <= float(v.price) <= 899.00, f"{where}: price {v.price}"
        if v.compare_at:
            assert PRICE.match(v.compare_at), where
            assert float(v.compare_at) > float(v.price), f"{where}: compare-at is not higher than price"
        assert v.qty >= 0, where
        assert v.policy in ("deny", "continue"), where
    if product.variant_images:
        assert "Colour" in product.options, where


def product_rows(product: P, number: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The CSV rows of a product, and the SVG files (name -> content) its images need."""
    check(product)
    handle, title = product.handle, product.title
    colour_index = product.options.index("Colour") if "Colour" in product.options else None

    def colour_of(variant: V) -> str:
        return variant.options[colour_index] if colour_index is not None else product.colour

    # Images: main, additional views, then one per colour for variant images (all listed as Image Src).
    images: list[tuple[str, str]] = [(f"{handle}.svg", title)]
    svgs = {
        f"{handle}.svg": svg(
            title, title, "", product.art, colour_of(product.variants[0]), product.type, alt=False
        )
    }
    for n, caption in enumerate(product.extra_images, start=2):
        name = f"{handle}-{n}.svg"
        images.append((name, f"{title}, {caption.lower()}"))
        svgs[name] = svg(
            title,
            f"{title}, {caption.lower()}",
            caption,
            product.art,
            colour_of(product.variants[0]),
            product.type,
            alt=True,
        )
    variant_image: dict[str, str] = {}
    if product.variant_images:
        for colour in dict.fromkeys(colour_of(v) for v in product.variants):
            name = f"{handle}-{slug(colour)}.svg"
            variant_image[colour] = IMAGE_URL + name
            images.append((name, f"{title} in {colour}"))
            label = f"{title} in {colour}"
            svgs[name] = svg(title, label, colour, product.art, colour, product.type, alt=False)

    rows = []
    for i, variant in enumerate(product.variants):
        has_options = variant.options != ("Default Title",)
        suffix = "-" + slug(" ".join(variant.options)).upper() if has_options else ""
        row = {
            "Handle": handle,
            "Option1 Value": variant.options[0],
            "Option2 Value": variant.options[1] if len(variant.options) > 1 else "",
            "Option3 Value": variant.options[2] if len(variant.options) > 2 else "",
            "Variant SKU": f"MV-{TYPE_CODES[product.type]}-{number:03d}{suffix}",
            "Variant Grams": str(variant.grams if variant.grams is not None else product.grams),
            "Variant Inventory Tracker": "shopify" if product.tracked else "",
            "Variant Inventory Qty": str(variant.qty),
            "Variant Inventory Policy": variant.policy,
            "Variant Fulfillment Service": "manual",
            "Variant Price": variant.price,
            "Variant Compare At Price": variant.compare_at,
            "Variant Requires Shipping": "true",
            "Variant Taxable": "true",
            "Variant Image": variant_image.get(colour_of(variant), ""),
            "Variant Weight Unit": "kg",
        }
        if i == 0:
            names = product.options or ["Title"]
            row.update(
                {
                    "Title": title,
                    "Body (HTML)": body_html(product.body),
                    "Vendor": product.vendor,
                    "Type": product.type,
                    "Tags": ", ".join(product.tags),
                    "Published": "true" if product.status == "active" else "false",
                    "Option1 Name": names[0],
                    "Option2 Name": names[1] if len(names) > 1 else "",
                    "Option3 Name": names[2] if len(names) > 2 else "",
                    "Image Src": IMAGE_URL + images[0][0],
                    "Image Position": "1",
                    "Image Alt Text": images[0][1],
                    "Gift Card": "false",
                    "SEO Title": f"{title} | Maison Verte",
                    "SEO Description": seo_description(product.body),
                    "Status": product.status,
                }
            )
        rows.append(row)
    for position, (name, alt) in enumerate(images[1:], start=2):
        rows.append(
            {
                "Handle": handle,
                "Image Src": IMAGE_URL + name,
                "Image Position": str(position),
                "Image Alt Text": alt,
            }
        )
    return [{column: row.get(column, "") for column in COLUMNS} for row in rows], svgs


def main() -> int:
    handles = [p.handle for p in PRODUCTS]
    assert len(set(handles)) == len(handles), "duplicate handle"
    all_rows: list[dict[str, str]] = []
    all_svgs: dict[str, str] = {}
    for number, product in enumerate(PRODUCTS, start=1):
        rows, svgs = product_rows(product, number)
        all_rows += rows
        all_svgs.update(svgs)

    CSV_PATH.parent.mkdir(parents=True, exist_ok=True)
    with CSV_PATH.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(all_rows)

    SVG_DIR.mkdir(parents=True, exist_ok=True)
    for stale in sorted({p.name for p in SVG_DIR.glob("*.svg")} - set(all_svgs)):
        (SVG_DIR / stale).unlink()
    for name, content in sorted(all_svgs.items()):
        assert len(content.encode()) < 3000, f"{name} is {len(content.encode())} bytes"
        (SVG_DIR / name).write_text(content, encoding="utf-8")

    variants = sum(len(p.variants) for p in PRODUCTS)
    print(
        f"{CSV_PATH.relative_to(ROOT)}: {len(PRODUCTS)} products, {variants} variants, {len(all_rows)} rows."
    )
    print(f"{SVG_DIR.relative_to(ROOT)}: {len(all_svgs)} SVG images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
