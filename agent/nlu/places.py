"""Colombian cities a customer may name, matched without accents or case."""

from __future__ import annotations

from agent.text import normalize

CITIES = (
    "Pereira", "Dosquebradas", "Santa Rosa de Cabal", "La Virginia", "Marsella", "Belén de Umbría",
    "Quinchía", "Apía", "Santuario", "Mistrató", "Guática", "La Celia", "Balboa", "Pueblo Rico",
    "Manizales", "Villamaría", "Chinchiná", "La Dorada", "Riosucio", "Anserma", "Supía",
    "Armenia", "Calarcá", "Montenegro", "Quimbaya", "La Tebaida", "Circasia", "Filandia", "Salento",
    "Cartago", "Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena", "Bucaramanga", "Cúcuta",
    "Ibagué", "Santa Marta", "Villavicencio", "Pasto", "Neiva", "Popayán", "Montería", "Sincelejo",
    "Valledupar", "Riohacha", "Quibdó", "Yopal", "Tunja", "Florencia", "Leticia", "Mocoa",
    "San Andrés", "Arauca", "Soacha", "Bello", "Itagüí", "Envigado", "Sabaneta", "Rionegro",
    "La Estrella", "Chía", "Zipaquirá", "Facatativá", "Fusagasugá", "Girardot", "Mosquera",
    "Funza", "Palmira", "Tuluá", "Buga", "Buenaventura", "Jamundí", "Yumbo", "Sogamoso",
    "Duitama", "Barrancabermeja", "Floridablanca", "Girón", "Piedecuesta", "Soledad", "Malambo",
    "Apartadó", "Caucasia", "Espinal", "Melgar", "Ocaña", "Pamplona",
)  # fmt: skip

# Short or everyday names people use for some of them.
_ALIASES = {
    "santa rosa": "Santa Rosa de Cabal",
    "bogota dc": "Bogotá",
    "bogota d c": "Bogotá",
    "bta": "Bogotá",
    "quilla": "Barranquilla",
    "bquilla": "Barranquilla",
    "dosq": "Dosquebradas",
}

CITY_NAMES: dict[tuple[str, ...], str] = {
    tuple(spelling.split()): name
    for name in CITIES
    for spelling in (normalize(name), normalize(name).replace("ñ", "n"))
} | {tuple(alias.split()): name for alias, name in _ALIASES.items()}
"""Folded words of a city name (or alias) → the city as it is written."""

LONGEST_CITY = max(len(words) for words in CITY_NAMES)
"""The most words a city name has."""
