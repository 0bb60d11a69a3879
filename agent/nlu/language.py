"""Which language a message is written in, from the words only one of the two languages uses."""

from __future__ import annotations

from collections.abc import Iterable

from agent.nlu.vocabulary import word_set

# Frequent words of each language that the other does not use ("no", "ok", "me" and names
# are left out: they say nothing).
_SPANISH = word_set(
    """
    de del la el los las lo le les que q k ke quiero quisiera necesito necesita ocupo hola
    gracias buenas buenos buen dias tardes noches por favor porfa xfa cuanto cuantos cuantas
    cuanta precio precios vale valen cuesta cuestan tienen tiene tienes hay un una unos unas
    es son esta estan estoy y con para pa mi mis se su sus usted ustedes como donde cual
    cuales si dale listo parce parcero pues envio envios envian pago pagar dame deme manda
    mande mandame regala regale mas tambien todo toda nada eso esto esa ese esos esas muy bien
    hasta luego chao adios señor señora hora horario abren atienden ciudad cedula celular
    correo direccion nombre llamo soy ya asesor humano persona catalogo venden manejan carrito
    pedido pedidos compra compras compre cancelar cancela confirmo garantia devolucion quedan
    quiubo jajaja jaja jajajaja nop hagale correcto claro agregame agregue ponme quita quitar
    sin cambia cambiar mejor vez otro otra otros dos tres cuatro cinco seis siete ocho nueve
    diez veinte cien sirve tipo talla algo ahi aqui alla hagamos seria nos vemos pero o ni
    solo cuando porque ver tengo tenemos puedo puede pueden quien quienes estamos somos fue
    era ser hacer hace hacen hoy mañana ahora siempre nunca aun despues antes cosa cosas
    gente casa trabajo empresa tienda mucho poco grande nuevo nueva
    """
)
_ENGLISH = word_set(
    """
    the an and or i you your my do does did have has is are was were what whats which how
    much many want need please thanks thank thx hi hello hey yes yep yeah nope bye goodbye
    price cost order cart checkout human agent of for with to in it its that this can could
    would will get give add take show see there here all any some more too also just only
    from about where when who why deliver delivery shipping ship return refund warranty open
    hours lol sounds good great we they them looking one two three four
    five ten twenty dozen pair available stock left send like talk speak someone person name
    phone number address id done nothing else sell carry offer kind kinds types stuff guys
    store shop located business bot company long does cancel forget never mind tell joke
    weather won game last night fix computer capital be been being am not dont doesnt
    cant well so but if then than because very really still already again now today
    tomorrow yesterday week time way thing things people new old big small right buy
    bought ordered purchase purchases item items product products operator representative
    manager
    """
)


def detect_language(
    words: Iterable[str], product_languages: Iterable[str | None], fallback: str
) -> str:
    """`es` or `en` by which language has more of the message's words; `fallback` on a tie."""
    spanish = english = 0
    for word in words:
        spanish += word in _SPANISH
        english += word in _ENGLISH
    for language in product_languages:
        spanish += language == "es"
        english += language == "en"
    if spanish == english:
        return fallback
    return "en" if english > spanish else "es"
