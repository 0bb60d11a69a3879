"""Synonyms for catalogs that bring none: the words customers use for what a name says."""

from __future__ import annotations

import re

from agent.text import normalize

# (pattern on the normalised name, synonyms). Spanish as customers in Colombia write it,
# then English. Brand names customers use for a kind of product (Solkaflam) are here
# because people ask for them by that name.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^extintor", ("extinguidor", "extinguidor de fuego", "extintor de incendios",
                    "fire extinguisher")),
    (r"^extintor (estandar|fuego)", ("extintor de polvo químico seco", "extintor pqs",
                                     "extintor abc", "extintor multipropósito",
                                     "dry chemical extinguisher")),
    (r"^extintor.*\bco2\b", ("dióxido de carbono", "gas carbónico", "extintor de gas",
                  "co2 extinguisher", "carbon dioxide")),
    (r"agente limpio", ("solkaflam", "extintor para equipos electrónicos",
                        "extintor para computadores", "clean agent extinguisher")),
    (r"halocarbonado", ("fm-200", "novec", "halotron")),
    (r"clase k", ("extintor de cocina", "extintor para cocina", "químico húmedo",
                  "extintor de acetato de potasio", "kitchen fire extinguisher",
                  "wet chemical extinguisher")),
    (r"satelite", ("extintor rodante", "extintor con ruedas", "carro extintor",
                   "wheeled fire extinguisher")),
    (r"^recarga", ("recargar extintor", "recarga de extinguidor", "llenado de extintor",
                   "extinguisher refill", "extinguisher recharge")),
    (r"botiquin(?! caja)", ("kit de primeros auxilios", "botiquín de primeros auxilios",
                   "first aid kit")),
    (r"camilla", ("camilla de rescate", "camilla de emergencia", "stretcher")),
    (r"morral|bolso", ("mochila", "maleta", "backpack", "bag")),
    (r"caja plastica", ("caja para botiquín", "estuche plástico")),
    (r"cinta antideslizante", ("cinta antiderrapante", "cinta de agarre",
                               "cinta para escaleras", "anti-slip tape")),
    (r"cinta de demarcacion", ("cinta para piso", "cinta de señalización",
                               "cinta amarilla y negra", "floor marking tape")),
    (r"cinta de precaucion", ("cinta de peligro", "cinta de seguridad", "cinta amarilla",
                              "caution tape", "barricade tape")),
    (r"fotoluminiscente", ("brilla en la oscuridad", "luminiscente", "glow in the dark")),
    (r"^señal", ("aviso", "letrero", "señalética", "safety sign")),
    (r"pare y siga", ("pare siga", "paleta de tránsito", "paleta de tráfico",
                      "stop slow paddle")),
    (r"^soporte", ("gancho para extintor", "soporte para extintor", "extinguisher bracket")),
    (r"^canastilla", ("soporte de piso para extintor", "canasta para extintor",
                      "extinguisher floor stand")),
    (r"^gabinete", ("caja para extintor", "cabina para extintor", "extinguisher cabinet")),
    (r"^base matero", ("matera para extintor", "base de piso para extintor",
                       "extinguisher floor stand")),
    (r"^kit de carretera", ("equipo de carretera", "kit vial",
                            "kit de emergencia para carro", "road kit",
                            "roadside emergency kit")),
    (r"^maletin", ("estuche para kit de carretera", "bolso para kit", "case")),
    (r"herramientas", ("herramienta para carro", "tool kit")),
    (r"tacos", ("cuñas", "calzos", "tacos para llantas", "wheel chocks")),
    (r"chaleco reflectivo", ("chaleco de seguridad", "chaleco reflectante",
                             "reflective vest", "hi vis vest")),
    (r"\bconos?\b", ("cono de tránsito", "cono vial", "conos de seguridad", "traffic cone")),
    (r"linterna", ("lámpara de mano", "linterna de manivela", "flashlight")),
    (r"colombina", ("delineador tubular", "hito vial", "bolardo", "delineator post")),
)  # fmt: skip
_COMPILED = tuple((re.compile(pattern), synonyms) for pattern, synonyms in _RULES)
_EXTINTOR = re.compile(r"^extintor", re.IGNORECASE)


def synonyms_for(name: str) -> list[str]:
    """Synonyms for a product name, from the rules whose pattern the name matches."""
    key = normalize(name)
    candidates = [_EXTINTOR.sub("Extinguidor", name)] if _EXTINTOR.match(name) else []
    for pattern, synonyms in _COMPILED:
        if pattern.search(key):
            candidates.extend(synonyms)
    found: dict[str, str] = {}
    for synonym in candidates:
        found.setdefault(normalize(synonym), synonym)
    found.pop(key, None)
    return list(found.values())
