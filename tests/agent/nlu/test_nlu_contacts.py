"""A buyer's data in a message: cédulas, phones, emails, names, cities and addresses."""

from __future__ import annotations

import pytest

from agent.models import SaleState
from agent.nlu.lexicon import Lexicon
from agent.nlu.offline import OfflineReader
from agent.nlu.types import DialogState, Entities

COLLECTING = DialogState(sale_state=SaleState.COLLECTING_DATA, has_cart=True)


def asking(field: str) -> DialogState:
    """The state while the sale asks the buyer for one field."""
    return DialogState(sale_state=SaleState.COLLECTING_DATA, pending_field=field, has_cart=True)


@pytest.fixture(scope="module")
def reader() -> OfflineReader:
    return OfflineReader(Lexicon())


def read(reader: OfflineReader, text: str, state: DialogState = COLLECTING) -> Entities:
    return reader.understand(text, state).entities


@pytest.mark.parametrize(
    ("text", "state", "national_id"),
    [
        ("1032456789", asking("national_id"), "1032456789"),
        ("1.032.456.789", asking("national_id"), "1032456789"),
        ("10 32 45 67 89", asking("national_id"), "1032456789"),
        ("mi cédula es 79.456.123", COLLECTING, "79456123"),
        ("CC 1088234567", COLLECTING, "1088234567"),
        ("c.c. 24567890", COLLECTING, "24567890"),
        ("my ID number is 1088 234 567", COLLECTING, "1088234567"),
        ("mi número de cédula es 1094567321", COLLECTING, "1094567321"),
    ],
)
def test_cedula(reader: OfflineReader, text: str, state: DialogState, national_id: str) -> None:
    found = read(reader, text, state)

    assert found.national_id == national_id
    assert found.phone is None


@pytest.mark.parametrize(
    ("text", "state", "phone"),
    [
        ("3104567890", asking("phone"), "3104567890"),
        ("310 456 7890", asking("phone"), "3104567890"),
        ("+57 315 222 3344", COLLECTING, "3152223344"),
        ("573152223344", COLLECTING, "3152223344"),
        ("mi cel es 300-123-4567", COLLECTING, "3001234567"),
        ("(606) 3334455", asking("phone"), "6063334455"),
        ("fijo 6063334455", COLLECTING, "6063334455"),
        ("call me at 320.111.2233", COLLECTING, "3201112233"),
    ],
)
def test_phone(reader: OfflineReader, text: str, state: DialogState, phone: str) -> None:
    found = read(reader, text, state)

    assert found.phone == phone
    assert found.national_id is None


def test_cedula_and_phone_in_one_message(reader: OfflineReader) -> None:
    found = read(reader, "cédula 1088345678 y el teléfono 3206549870")

    assert (found.national_id, found.phone) == ("1088345678", "3206549870")


@pytest.mark.parametrize(
    "text", ["tienen algo por menos de $100.000?", "cuesta 150.000 pesos", "quiero 3 cascos"]
)
def test_prices_and_quantities_are_not_ids(reader: OfflineReader, text: str) -> None:
    found = read(reader, text, DialogState())

    assert (found.national_id, found.phone) == (None, None)


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("juan.perez@gmail.com", "juan.perez@gmail.com"),
        ("mi correo es Ventas@FerreteriaElTornillo.com.co", "ventas@ferreteriaeltornillo.com.co"),
        ("it's kate.miller@outlook.com thanks", "kate.miller@outlook.com"),
    ],
)
def test_email(reader: OfflineReader, text: str, email: str) -> None:
    assert read(reader, text, asking("email")).email == email


@pytest.mark.parametrize(
    ("text", "state", "name"),
    [
        ("me llamo Carlos Andrés Gómez", COLLECTING, "Carlos Andrés Gómez"),
        ("mi nombre es maria fernanda lopez", COLLECTING, "Maria Fernanda Lopez"),
        ("soy Ana Gómez, mi correo es ana@hotmail.com", COLLECTING, "Ana Gómez"),
        ("hola soy juan", DialogState(), "Juan"),
        ("my name is John Smith", COLLECTING, "John Smith"),
        ("a nombre de Ferretería El Tornillo", COLLECTING, "Ferretería El Tornillo"),
        ("Juan Pérez", asking("name"), "Juan Pérez"),
        ("ANDRES FELIPE OSPINA", asking("name"), "Andres Felipe Ospina"),
        ("María del Pilar Ruiz, cc 1032456789", asking("name"), "María del Pilar Ruiz"),
        ("soy cliente antiguo, Jorge Ramírez", DialogState(), "Jorge Ramírez"),
    ],
)
def test_name(reader: OfflineReader, text: str, state: DialogState, name: str) -> None:
    assert read(reader, text, state).name == name


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("soy cliente", DialogState()),
        ("soy de Pereira", DialogState()),
        ("I'm looking for helmets", DialogState()),
        ("prefiero no darlo", asking("name")),
        ("quiero agregar otro casco", asking("name")),
    ],
)
def test_not_a_name(reader: OfflineReader, text: str, state: DialogState) -> None:
    assert read(reader, text, state).name is None


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Pereira", "Pereira"),
        ("BOGOTA", "Bogotá"),
        ("en santa rosa de cabal", "Santa Rosa de Cabal"),
        ("la virginia", "La Virginia"),
        ("medellin", "Medellín"),
        ("Manizales, Caldas", "Manizales"),
        ("hacen envíos a Cúcuta?", "Cúcuta"),
        ("Ocana", "Ocaña"),
    ],
)
def test_city(reader: OfflineReader, text: str, city: str) -> None:
    assert read(reader, text, asking("city")).city == city


def test_an_unknown_town_is_taken_when_the_city_was_asked(reader: OfflineReader) -> None:
    assert read(reader, "Pácora", asking("city")).city == "Pácora"


@pytest.mark.parametrize(
    ("text", "address", "city"),
    [
        ("Calle 19 # 8-34", "Calle 19 # 8-34", None),
        ("Cra 7 No. 12-45 apto 301", "Cra 7 No. 12-45 apto 301", None),
        ("kr 12 # 5-40 local 2", "kr 12 # 5-40 local 2", None),
        ("Mz 4 casa 12 barrio El Jardín", "Mz 4 casa 12 barrio El Jardín", None),
        ("Av 30 de Agosto # 45-20", "Av 30 de Agosto # 45-20", None),
        ("Diagonal 25 # 7-11, Dosquebradas", "Diagonal 25 # 7-11", "Dosquebradas"),
        ("Transversal 4 #18-22 en Ibagué", "Transversal 4 #18-22", "Ibagué"),
        ("Km 5 vía Cerritos bodega 3", "Km 5 vía Cerritos bodega 3", None),
        ("envíelo a la Calle 10 # 5-20, barrio Centro", "Calle 10 # 5-20, barrio Centro", None),
        ("Calle 50 #10-20 y mi cel 3001234567", "Calle 50 #10-20", None),
        ("barrio Cuba manzana 3 casa 8", "barrio Cuba manzana 3 casa 8", None),
    ],
)
def test_address(reader: OfflineReader, text: str, address: str, city: str | None) -> None:
    found = read(reader, text, asking("address"))

    assert (found.address, found.city) == (address, city)


def test_every_field_of_one_message(reader: OfflineReader) -> None:
    text = "Laura Restrepo, 1088456123, 3145556677, laura.r@gmail.com, Cra 5 # 22-10, Armenia"

    found = read(reader, text, asking("name"))

    assert found == Entities(
        name="Laura Restrepo",
        national_id="1088456123",
        phone="3145556677",
        email="laura.r@gmail.com",
        address="Cra 5 # 22-10",
        city="Armenia",
    )


ANDREA = Entities(
    name="Andrea Lopez",
    national_id="1093456789",
    phone="3125556677",
    city="Pereira",
    address="Cra 5 # 10-20",
)
JOHN = Entities(
    name="John Smith",
    national_id="79123456",
    phone="3125556677",
    city="Dosquebradas",
    address="Calle 20 # 7-15",
)
BLOCKS = [
    ("Andrea Lopez, 1093456789, 3125556677, Pereira, Cra 5 # 10-20", ANDREA),
    ("Pereira, Cra 5 # 10-20, 3125556677, 1093456789, Andrea Lopez", ANDREA),
    ("3125556677 1093456789 Andrea Lopez Pereira Cra 5 # 10-20", ANDREA),
    ("Andrea Lopez / 1093456789 / 3125556677 / Pereira / Cra 5 # 10-20", ANDREA),
    ("3125556677 - 1093456789 - Andrea Lopez - Pereira - Cra 5 # 10-20", ANDREA),
    ("cel 3125556677, cc 1093456789, dir Cra 5 # 10-20, Pereira, Andrea Lopez", ANDREA),
    ("Dir Cra 5 # 10-20 Pereira, Andrea Lopez, cc 1.093.456.789, cel 312 555 6677", ANDREA),
    ("Andrea Lopez\n1093456789\n3125556677\nPereira\nCra 5 # 10-20", ANDREA),
    (
        "dir: Cra 5 # 10-20\ncel: 312-555-6677\nCC: 1093456789\nnombre: Andrea Lopez\n"
        "ciudad: Pereira",
        ANDREA,
    ),
    (
        "bueno le doy los datos andrea lopez cedula 1093456789 celular 312 555 6677 "
        "direccion Cra 5 # 10-20 en pereira",
        ANDREA,
    ),
    (
        "soy andrea lopez mi cc es 1093456789 y mi cel +57 312 555 6677 vivo en pereira "
        "en la Cra 5 # 10-20",
        ANDREA,
    ),
    (
        "name: John Smith, phone: 3125556677, ID: 79123456, address: Calle 20 # 7-15, "
        "city: Dosquebradas",
        JOHN,
    ),
    ("John Smith / ID 79123456 / 312-555-6677 / Dosquebradas / Calle 20 # 7-15", JOHN),
    (
        "I'm John Smith, my ID is 79123456 and my phone is 3125556677, deliver to "
        "Calle 20 # 7-15 in Dosquebradas",
        JOHN,
    ),
    ("79123456, John Smith, Dosquebradas, Calle 20 # 7-15, 3125556677", JOHN),
]


@pytest.mark.parametrize(("text", "expected"), BLOCKS)
@pytest.mark.parametrize("asked", ["national_id", "name", "phone", "city", "address"])
def test_a_contact_block_fills_every_field_whatever_was_asked(
    reader: OfflineReader, text: str, expected: Entities, asked: str
) -> None:
    understanding = reader.understand(text, asking(asked))

    assert understanding.intent == "purchase.data"
    assert understanding.entities == expected


@pytest.mark.parametrize(
    ("text", "national_id", "phone"),
    [
        ("1093456789 3125556677", "1093456789", "3125556677"),
        ("3125556677 1093456789", "1093456789", "3125556677"),
        ("3125556677, 43123456", "43123456", "3125556677"),
        ("tel 6063334455 cc 1093456789", "1093456789", "6063334455"),
        ("ID 79123456 / 312-555-6677", "79123456", "3125556677"),
        ("cc 1088999000 cel 3162221100", "1088999000", "3162221100"),
        ("NIT 900.123.456-7, contacto cc 1088234567 cel 3112345678", "1088234567", "3112345678"),
        ("cc no 1088234567 cel no 3112345678", "1088234567", "3112345678"),
    ],
)
def test_bare_numbers_go_to_the_field_their_shape_fits(
    reader: OfflineReader, text: str, national_id: str, phone: str
) -> None:
    for asked in ("national_id", "phone"):
        found = read(reader, text, asking(asked))

        assert (found.national_id, found.phone) == (national_id, phone)


def test_a_lone_number_answers_the_field_asked_for(reader: OfflineReader) -> None:
    assert read(reader, "3125556677", asking("national_id")).national_id == "3125556677"
    assert read(reader, "1093456789", asking("phone")).phone == "1093456789"


SUMMARY = DialogState(sale_state=SaleState.READY_TO_CONFIRM, has_cart=True)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("no, el celular es 3001234567", "phone", "3001234567"),
        ("espere el telefono es 3001234567 no 3001234568", "phone", "3001234567"),
        ("el numero de celular esta mal es el 3001234567", "phone", "3001234567"),
        ("me equivoque en la direccion: Calle 8 # 3-12", "address", "Calle 8 # 3-12"),
        ("cambia la direccion a calle 8 # 3-12", "address", "calle 8 # 3-12"),
        ("perdon la cedula es 1093456788", "national_id", "1093456788"),
        ("no es pereira, es dosquebradas", "city", "Dosquebradas"),
        ("mejor envielo a chinchina", "city", "Chinchiná"),
        ("el nombre esta mal, es Andrea Lopez Mejia", "name", "Andrea Lopez Mejia"),
        ("wait, the phone is wrong, it's 3001112233", "phone", "3001112233"),
        ("actually my phone number is 3001234567", "phone", "3001234567"),
        ("sorry, wrong address: it's Carrera 9 # 41-22", "address", "Carrera 9 # 41-22"),
        ("change the address to Calle 8 # 3-12", "address", "Calle 8 # 3-12"),
        ("the city is Cartago, not Pereira", "city", "Cartago"),
    ],
)
@pytest.mark.parametrize("state", [SUMMARY, asking("city"), asking("national_id")])
def test_a_correction_is_data_for_the_field_it_names(
    reader: OfflineReader, text: str, field: str, value: str, state: DialogState
) -> None:
    understanding = reader.understand(text, state)

    assert understanding.intent == "purchase.data"
    given = {
        name: getattr(understanding.entities, name)
        for name in ("national_id", "name", "phone", "city", "address")
        if getattr(understanding.entities, name) is not None
    }
    assert given == {field: value}


@pytest.mark.parametrize(
    "text",
    [
        "Ana Ruiz, cc 43123456, cel 3112223344, Cra 7 # 12-30, Dosquebradas",
        "Andrea Lopez 1093456789 3125556677 Pereira Cra 5 # 10-20",
        "John Smith, ID 79123456, phone 3125556677, Calle 20 # 7-15, Dosquebradas",
    ],
)
def test_a_contact_block_before_checkout_is_order_data_not_a_lookup(
    reader: OfflineReader, text: str
) -> None:
    assert reader.understand(text, DialogState()).intent == "purchase.data"


@pytest.mark.parametrize("text", ["mi cedula es 10138452", "cc 1088245671 cel 3104567821"])
def test_a_cedula_alone_or_with_the_phone_is_still_a_lookup(
    reader: OfflineReader, text: str
) -> None:
    assert reader.understand(text, DialogState()).intent == "customer.lookup"
