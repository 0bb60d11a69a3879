"""The base vocabulary of an industrial-safety shop: product words by category, both languages.

Each category lists Spanish terms, then English terms; the first Spanish term is the word a
misspelling is corrected to. A catalog adds its own words on top (`Lexicon.from_products`).
"""

from __future__ import annotations

from agent.nlu.vocabulary import word_set

TradeGroup = tuple[str, tuple[str, ...], tuple[str, ...]]

TRADE_GROUPS: tuple[TradeGroup, ...] = (
    (
        "extintores",
        ("extintor", "extinguidor", "matafuego", "extinguidores"),
        ("extinguisher", "fire extinguisher"),
    ),
    ("cascos", ("casco", "casco de seguridad"), ("helmet", "hard hat", "hardhat")),
    ("guantes", ("guante",), ("glove",)),
    (
        "botas",
        ("bota", "calzado de seguridad", "zapato de seguridad", "zapato"),
        ("boot", "safety shoe", "shoe"),
    ),
    (
        "arneses",
        ("arnes", "linea de vida", "eslinga", "mosqueton"),
        ("harness", "lanyard", "lifeline", "carabiner"),
    ),
    (
        "gafas",
        ("gafa", "monogafa", "lente", "anteojo"),
        ("goggle", "safety glasses", "glasses", "eyewear", "spectacles"),
    ),
    (
        "tapabocas",
        ("tapabocas", "mascarilla", "respirador", "mascara", "cubrebocas", "filtro", "cartucho"),
        ("mask", "respirator", "face mask", "n95"),
    ),
    (
        "señalizacion",
        ("señal", "señalizacion", "letrero", "pictograma", "demarcacion"),
        ("sign", "signage"),
    ),
    ("cintas", ("cinta",), ("tape",)),
    (
        "conos",
        ("cono", "colombina", "delineador", "barricada", "paleta", "paleta pare y siga"),
        ("cone", "traffic cone", "barricade", "stop slow paddle"),
    ),
    (
        "botiquines",
        ("botiquin", "kit de primeros auxilios", "primeros auxilios", "gasa", "venda"),
        ("first aid kit", "first aid", "medkit", "gauze", "bandage"),
    ),
    (
        "camillas",
        ("camilla", "inmovilizador", "collar cervical", "tabla espinal"),
        ("stretcher", "spine board", "cervical collar"),
    ),
    ("chalecos", ("chaleco",), ("vest", "hi vis vest")),
    (
        "gabinetes",
        ("gabinete", "soporte", "canastilla", "base para extintor", "portaextintores"),
        ("cabinet", "bracket", "extinguisher stand"),
    ),
    ("linternas", ("linterna", "lampara"), ("flashlight", "torch")),
    (
        "ropa de trabajo",
        ("overol", "braga", "impermeable", "delantal", "peto", "camisa", "pantalon"),
        ("coverall", "overall", "raincoat", "apron"),
    ),
    (
        "proteccion auditiva",
        ("protector auditivo", "tapon", "tapon auditivo", "orejera"),
        ("earplug", "ear plug", "earmuff", "ear muff", "ear protection"),
    ),
    ("caretas", ("careta", "pantalla facial", "visor"), ("face shield", "welding mask")),
    (
        "kits de carretera",
        ("kit de carretera", "kit", "taco", "maletin", "kit de herramientas"),
        ("road kit", "kit", "wheel chock", "toolkit"),
    ),
    ("recargas", ("recarga", "mantenimiento de extintores"), ("refill", "recharge")),
    ("detectores", ("detector", "detector de humo", "alarma"), ("smoke detector", "alarm")),
    ("mangueras", ("manguera", "rociador", "hidrante"), ("hose", "sprinkler", "hydrant")),
)

DESCRIPTIVE_WORDS = word_set(
    """
    carnaza nitrilo vaqueta latex caucho pvc cuero dielectrico dielectrica reflectivo
    reflectiva fotoluminiscente antideslizante metalico metalica plastico plastica acero
    punta ala completa completo portatil plegable rigida rigido antiempanante blanco blanca
    amarillo amarilla rojo roja azul verde negro negra naranja gris abc co2 pqs solkaflam
    agente limpio satelite cocina quimico humedo precaucion peligro salida emergencia evacuacion
    leather nitrile rubber steel toe reflective dielectric yellow white red blue orange black
    clean agent caution danger exit emergency full body
    """
)
"""Words that describe products of this trade; typos in them are corrected inside a mention."""
