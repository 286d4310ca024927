"""Word lists the bot understands shoppers with, in English and French, all folded (no accents, lower case).

Transparent on purpose: to teach the bot a new way of saying something, add a phrase here. Typos are
handled by fuzzy matching against these words (see `bot.understand`), so only correct spellings go here.
"""

from __future__ import annotations

#: Intent -> phrases. A phrase matches when its words appear consecutively in the (typo-corrected) message.
#: When several intents match, the first in `INTENT_PRECEDENCE` wins (a "hi, where is my order" is about
#: the order). Phrases starting with "~" are weak: they count only when no other intent matched ("is it
#: available" asks about the product, "do you have blue pots available" is a search).
INTENT_PHRASES: dict[str, list[str]] = {
    "human": [
        "human", "real person", "a person", "someone real", "talk to someone", "speak to someone", "agent",
        "seller", "salesperson", "customer service", "operator", "staff", "humain", "une personne",
        "vraie personne", "quelqu un", "parler a quelqu un", "un conseiller", "une conseillere",
        "conseiller", "vendeur", "vendeuse", "service client", "un humain", "operateur",
    ],
    "order_status": [
        "my order", "my orders", "my parcel", "my package", "my delivery", "order status", "track",
        "tracking", "where is my", "when will my", "has my order", "ma commande", "mes commandes",
        "mon colis", "mon paquet", "suivi", "suivre", "ou en est", "pas encore recu", "toujours pas recu",
        "not arrived", "not received", "hasn t arrived", "havent received", "haven t received",
        "order number", "numero de commande",
    ],
    "returns": [
        "return", "returns", "returning", "send back", "send it back", "refund", "money back", "exchange",
        "retour", "retours", "retourner", "renvoyer", "rembourse", "remboursement", "rembourser",
        "echanger", "echange", "satisfait ou rembourse",
    ],
    "shipping": [
        "shipping", "ship", "ships", "delivery", "deliver", "delivered", "postage", "how long to arrive",
        "courier", "livraison", "livrer", "livrez", "livre", "frais de port", "expedition", "expedier",
        "expediez", "envoi", "delai", "delais", "transporteur", "colissimo", "shipping cost",
        "click and collect", "retrait en magasin", "pick up",
    ],
    "price_objection": [
        "too expensive", "so expensive", "very expensive", "expensive", "too much", "pricey", "overpriced",
        "too dear", "a bit much", "discount", "a deal", "better price", "lower the price", "promo",
        "promo code", "coupon", "voucher", "trop cher", "trop chere", "un peu cher", "tres cher", "cher",
        "chere", "hors de prix", "reduction", "remise", "rabais", "code promo", "geste commercial",
        "moins cher", "cheaper", "can t afford", "cant afford", "out of my budget",
        "au dessus de mon budget", "budget serre",
    ],
    "add_to_cart": [
        "add", "add it", "add to cart", "add to my cart", "add to basket", "put it in", "i ll take",
        "ill take", "i will take", "i take", "i want this", "i ll have", "buy this", "ajoute", "ajouter",
        "ajoutez", "ajouter au panier", "mets", "mettez", "mettre dans", "je prends", "je le prends",
        "je la prends", "je vais prendre", "je veux celui", "je veux celle", "je voudrais celui",
        "je voudrais celle", "prends moi",
    ],
    "checkout": [
        "checkout", "check out", "pay", "payment", "place the order", "place my order", "place an order",
        "complete my order", "complete the order", "finish my order", "~proceed", "buy now",
        "ready to order", "payer", "paiement", "passer commande", "passer la commande", "passer ma commande",
        "commander", "~valider", "valider mon panier", "valider la commande", "finaliser", "regler", "caisse",
    ],
    "show_cart": [
        "my cart", "my basket", "the cart", "the basket", "view cart", "show cart", "cart", "basket",
        "in my cart", "mon panier", "le panier", "panier", "voir panier", "contenu du panier",
    ],
    "complementary": [
        "goes with", "go with", "goes well", "go well", "matches", "to match", "match with", "pair with",
        "pairs with", "combine with", "complete the look", "what else", "accessories", "accessory",
        "va avec", "vont avec", "aller avec", "irait avec", "iraient avec", "avec quoi", "assortir",
        "assorti", "assortie", "associer", "accessoire", "accessoires", "completer", "en complement",
        "to go with", "a mettre avec", "bought together",
    ],
    "similar": [
        "similar", "like this", "like this one", "like that", "something like", "alternative",
        "alternatives", "other options", "same style", "same kind", "other models", "others like",
        "semblable", "semblables", "similaire", "similaires", "pareil", "du meme genre", "du meme style",
        "dans le meme style", "dans le meme genre", "autre modele", "autres modeles", "equivalent",
        "ressemble", "comme celui", "comme celle", "comme ca",
    ],
    "product_question": [
        "how much", "price", "cost", "costs", "combien", "prix", "coute", "tarif",
        "in stock", "~stock", "~available", "~availability", "~left", "~disponible", "~dispo", "en stock",
        "material", "materials", "made of", "made from", "what is it made", "matiere", "materiau",
        "en quoi", "fait en", "fabrique", "composition",
        "dimensions", "dimension", "how big", "how tall", "how high", "how wide", "how large",
        "measurements", "measure", "size of", "weight", "how heavy", "diameter", "height", "width",
        "length", "taille", "quelle taille", "hauteur", "largeur", "longueur", "mesure", "mesures",
        "diametre", "poids", "pese", "quelles tailles", "which sizes", "what sizes", "sizes",
        "what colours", "what colors", "which colours", "which colors", "colours", "colors",
        "quelles couleurs", "couleurs", "coloris", "~options", "~variants", "~versions",
        "does it come", "existe en", "existe t il", "existe t elle", "~is it", "~est ce qu il",
        "~est elle", "~est il", "~can it", "~peut on", "waterproof", "entretien", "~care",
    ],
    "search": [
        "looking for", "look for", "searching", "do you have", "do you sell", "do you carry", "have you got",
        "got any", "~any", "i want", "i need", "i would like", "i d like", "show me", "find me", "recommend",
        "suggest", "~ideas", "~idea", "je cherche", "recherche", "vous avez", "avez vous", "auriez vous",
        "vous auriez", "je voudrais", "je veux", "j aimerais", "il me faut", "montrez moi", "montre moi",
        "vous vendez", "des idees", "une idee", "conseillez", "proposez",
    ],
    "greeting": [
        "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening", "howdy", "bonjour",
        "salut", "bonsoir", "coucou", "hello there", "yo",
    ],
    "thanks_bye": [
        "thanks", "thank you", "thx", "ty", "cheers", "bye", "goodbye", "good bye", "see you", "see ya",
        "have a nice day", "that s all", "that will be all", "merci", "merci beaucoup", "au revoir",
        "a bientot", "bonne journee", "bonne soiree", "a plus", "ciao", "c est tout", "parfait merci",
    ],
}  # fmt: skip

INTENT_PRECEDENCE = [
    "human", "order_status", "returns", "shipping", "price_objection", "add_to_cart", "checkout", "show_cart",
    "complementary", "similar", "product_question", "search", "greeting", "thanks_bye",
]  # fmt: skip

#: What a product question is about, by the words that say so.
QUESTION_TOPICS: dict[str, list[str]] = {
    "price": ["how much", "price", "cost", "costs", "combien", "prix", "coute", "tarif"],
    "stock": ["in stock", "stock", "available", "availability", "left", "disponible", "dispo"],
    "material": [
        "material", "materials", "made of", "made from", "matiere", "materiau", "en quoi", "fait en",
        "fabrique", "composition", "waterproof", "frost", "entretien", "care",
    ],
    "dimensions": [
        "dimensions", "dimension", "how big", "how tall", "how high", "how wide", "how large", "measurements",
        "measure", "size of", "weight", "how heavy", "diameter", "height", "width", "length", "hauteur",
        "largeur", "longueur", "mesure", "mesures", "diametre", "poids", "pese",
    ],
    "options": [
        "sizes", "which sizes", "what sizes", "quelles tailles", "taille", "quelle taille", "what colours",
        "what colors", "which colours", "which colors", "colours", "colors", "quelles couleurs", "couleurs",
        "coloris", "~options", "~variants", "~versions", "does it come", "existe en",
    ],
}  # fmt: skip

#: Canonical colour -> the words shoppers and catalogs use for it.
COLOURS: dict[str, list[str]] = {
    "blue": ["blue", "bleu", "bleue", "navy", "cobalt", "marine", "azur", "turquoise"],
    "green": ["green", "vert", "verte", "sage", "kaki", "khaki", "emerald", "emeraude"],
    "red": ["red", "rouge", "bordeaux", "burgundy"],
    "black": ["black", "noir", "noire"],
    "white": ["white", "blanc", "blanche", "ivory", "ivoire"],
    "grey": ["grey", "gray", "gris", "grise", "anthracite", "graphite", "charcoal"],
    "beige": ["beige", "sand", "sable", "cream", "creme", "ecru"],
    "brown": ["brown", "marron", "brun", "brune", "chocolate", "chocolat", "caramel"],
    "yellow": ["yellow", "jaune", "ochre", "ocre", "mustard", "moutarde"],
    "pink": ["pink", "rose"],
    "purple": ["purple", "violet", "violette", "mauve", "lilac", "lilas"],
    "orange": ["orange"],
    "gold": ["gold", "golden", "dore", "doree", "brass", "laiton"],
    "copper": ["copper", "cuivre"],
    "taupe": ["taupe"],
}
COLOUR_OF = {word: colour for colour, words in COLOURS.items() for word in words}

#: Canonical size letter -> words for it ("the medium one", "la petite").
SIZES: dict[str, list[str]] = {
    "XS": ["xs", "extra small", "tres petit", "tres petite"],
    "S": ["small", "petit", "petite", "smallest", "plus petit", "plus petite", "mini"],
    "M": ["medium", "moyen", "moyenne", "mid", "middle", "intermediate"],
    "L": ["large", "big", "grand", "grande", "bigger", "plus grand", "plus grande", "biggest"],
    "XL": ["xl", "extra large", "tres grand", "tres grande", "huge", "largest"],
}
SIZE_OF = {word: size for size, words in SIZES.items() for word in words}
#: Option values shoppers call by a size letter: "Small", "Petit", "S - Ø 30 cm" all are "S".
SIZE_VALUE = {"s": "S", "m": "M", "l": "L", "xs": "XS", "xl": "XL"} | {
    w: s for w, s in SIZE_OF.items() if " " not in w
}

#: Words that mean the same thing to a shopper, across the two languages; search treats them as one.
SYNONYMS: list[list[str]] = [
    ["table", "tables"],
    ["chair", "chaise", "seat", "siege", "seating"],
    ["armchair", "fauteuil", "armchairs"],
    ["sofa", "canape", "couch", "settee"],
    ["swing", "balancoire", "hamac", "hammock"],
    ["lounger", "transat", "sunbed", "sunlounger", "deckchair", "longue"],
    ["stool", "tabouret", "barstool"],
    ["bench", "banc", "banquette"],
    ["pot", "planter", "jardiniere", "cachepot", "bac", "planters", "trough", "vasque", "container"],
    ["vase"],
    ["plant", "plante", "plants", "houseplant", "vegetal"],
    ["tree", "arbre", "arbuste", "shrub"],
    ["olive", "olivier"],
    ["palm", "palmier"],
    ["lavender", "lavande"],
    ["fern", "fougere"],
    ["succulent", "succulente", "grasse", "cactu", "cactus"],
    ["pine", "sapin", "fir", "christma", "noel"],
    ["lantern", "lanterne", "photophore", "lamp", "lampe"],
    ["light", "lights", "lumiere", "guirlande", "lighting", "eclairage", "luminaire", "fairy"],
    ["candle", "bougie"],
    ["cushion", "coussin", "pillow"],
    ["tablecloth", "nappe"],
    ["napkin", "serviette"],
    ["mug", "tasse", "cup"],
    ["plate", "assiette", "dish"],
    ["board", "planche", "plateau", "tray"],
    ["outdoor", "exterieur", "outside", "outdoors", "exterior", "dehor"],
    ["indoor", "interieur", "inside", "indoors", "appartement", "apartment", "house", "maison"],
    ["garden", "jardin"],
    ["balcony", "balcon", "terrace", "terrasse", "patio", "veranda"],
    ["terracotta", "terre", "clay", "argile", "cuite"],
    ["wood", "wooden", "bois"],
    ["teak", "teck"],
    ["oak", "chene"],
    ["metal", "metallic", "fer", "acier", "steel", "iron", "aluminium", "aluminum"],
    ["wicker", "osier", "woven", "tresse"],
    ["rattan", "rotin", "cane", "canne"],
    ["rope", "corde", "cord"],
    ["linen", "lin"],
    ["cotton", "coton"],
    ["ceramic", "ceramique", "faience", "stoneware", "gre", "porcelain", "porcelaine"],
    ["glass", "verre"],
    ["marble", "marbre"],
    ["zinc", "galvanised", "galvanized", "galvanise"],
    ["fiberstone", "fibreclay", "fiberclay", "fibre", "fiber", "resine", "resin"],
    ["enamel", "email", "emaille"],
    ["round", "rond", "ronde", "circular", "circulaire"],
    ["square", "carre", "carree", "cube"],
    ["rectangular", "rectangulaire", "rectangle"],
    ["folding", "pliant", "pliante", "foldable", "pliable"],
    ["hanging", "suspendu", "suspendue", "suspension", "hang"],
    ["stacking", "stackable", "empilable"],
    ["solar", "solaire"],
    ["dining", "repas", "salle", "manger"],
    ["tall", "high", "haut", "haute"],
    ["frost", "gel", "frostproof", "ingelif"],
    ["picnic", "pique", "nique"],
    ["set", "lot", "ensemble"],
    ["gift", "cadeau"],
    ["tropical", "exotique"],
    ["scented", "parfume", "fragrant"],
    ["shade", "ombre"],
]

#: Concept -> concepts whose products go well with it ("what goes with this table?": chairs, cushions).
GOES_WITH: dict[str, list[str]] = {
    "table": ["chair", "armchair", "bench", "stool", "tablecloth", "cushion"],
    "chair": ["table", "cushion"],
    "armchair": ["table", "cushion"],
    "sofa": ["table", "cushion"],
    "stool": ["table"],
    "bench": ["table", "cushion"],
    "lounger": ["cushion", "table"],
    "plant": ["pot"],
    "tree": ["pot"],
    "pot": ["plant", "tree"],
    "lantern": ["candle", "light"],
    "light": ["lantern"],
    "tablecloth": ["napkin", "plate", "table"],
    "napkin": ["tablecloth", "plate"],
    "plate": ["napkin", "mug", "tablecloth"],
    "mug": ["plate", "board"],
    "board": ["plate", "napkin"],
    "cushion": ["chair", "armchair", "lounger"],
}

#: Words that say nothing about the product wanted (besides those that say which intent it is).
STOPWORDS = set(
    """
    a an the some any of for to in on at with and or but is are was be it its this that these those my me
    i you your we our us do does did can could would should will shall please pls plz have has had what
    which who how where when why there here one ones thing things something anything stuff also too very
    really just like about around approx approximately roughly get got need want looking look find show
    see tell give let s t d ll m re ve im id ive ok okay yes no not maybe hmm well so then now still
    sell selling available other else more less than under below over above between from up max min
    price cost costs euro euros eur usd dollar dollars pound pounds gbp inr rs rupee rupees bucks budget
    le la les l un une des du de d au aux ce cet cette ces mon ma mes ton ta tes son sa ses notre votre vos
    leur je tu il elle on nous vous ils elles me te se moi toi et ou mais donc or ni car est sont etre
    avoir ai as a avez ont pour par sur sous dans en avec sans chez qui que quoi quel quelle quels quelles
    quand comment combien pourquoi y c ca cela ceci s qu n ne pas plus moins tres trop bien aussi encore
    vraiment svp stp merci oui non peut peux pouvez voudrais veux voulez aimerais cherche recherche trouve
    trouver avez auriez vendez montrez montre voir genre type chose truc environ entre partir jusqu
    budget prix balles eu
    """.split()
)

#: Number words for quantities ("add two", "ajoute trois").
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "a couple": 2, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
    "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
}  # fmt: skip

#: Words that are more often French than English (to answer in the shopper's language).
FRENCH_MARKERS = set(
    """
    je tu il elle nous vous est sont le la les un une des du de et ou avec pour dans sur pas ne mon ma mes
    votre vos bonjour salut merci bonsoir coucou cherche avez voudrais veux combien prix trop cher panier
    commande livraison retour quoi quel quelle quelles comment ce cette ces moins entre au aux chez oui non
    rien quelqu est ce qu sapin pot plante jardin exterieur interieur
    """.split()
)
ENGLISH_MARKERS = set(
    """
    i you he she we they is are the a an and or with for in on not my your hello hi hey thanks thank please
    looking want need have do does what which how much price too expensive cart order shipping return
    where when can show me something any table chair garden outdoor indoor
    """.split()
)
