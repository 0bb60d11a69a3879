"""Word classes the reader uses to cut a message into product mentions and the rest."""

from __future__ import annotations

from agent.quantities import CURRENCY_WORDS, MONEY_MULTIPLIERS, UNITS


def word_set(text: str) -> frozenset[str]:
    """The words of a text, each also spelled with n for ñ, as people type without it."""
    words = text.split()
    return frozenset(words + [word.replace("ñ", "n") for word in words])


CONNECTORS = word_set("de del d para pa con sin tipo en of for with without in")
"""Words that join a product to what describes it ("guantes de carnaza", "kit for cars")."""

ARTICLES = word_set(
    "el la los las lo le les the unos unas este esta estos estas ese esa esos esas aquel "
    "aquella aquellos aquellas those these that this some algun alguna algunos algunas su sus "
    "your mi mis my our nuestro nuestra nuestros nuestras"
)
"""Words dropped from a mention's text: they never tell products apart."""

ONE = word_set("un una uno one otro otra another")
"""Words that mean a single unit right before a product ("un extintor", "otro casco")."""

ENGLISH_ONE = word_set("a an")
"""English articles that mean a single unit right before a product."""

QUANTITY_CONNECTORS = word_set("a to en por")
"""A number right after one of these is a quantity ("cambia los guantes a 5")."""

ATTRIBUTE_MARKERS = word_set("talla size numero referencia ref modelo model calibre tamaño")
"""A number right after one of these describes the product ("botas talla 42")."""

MEASURE_UNITS = word_set(" ".join(UNITS))
"""Units that make the number before them an attribute ("extintor de 10 libras")."""

COUNT_UNITS = word_set(
    "unidad unidades und unds uds u unit units pcs piezas pieza pares par pair pairs"
)
"""Units that make the number before them a quantity ("10 unidades", "5 pares")."""

PACK_UNITS = word_set("caja cajas rollo rollos paquete paquetes box boxes roll rolls pack packs")
"""Packs that count a quantity when followed by de/of ("2 cajas de guantes")."""

MONEY_WORDS = word_set(" ".join([*MONEY_MULTIPLIERS, *CURRENCY_WORDS, "dolares", "usd"]))
"""Words after a number that make it money, not a quantity or an id."""

GENERIC_MODIFIERS = word_set(
    "seguridad industrial industriales proteccion personal safety protective work trabajo "
    "dotacion epp ppe"
)
"""Modifiers that leave a mention as broad as its category ("botas de seguridad")."""

BREAKERS = word_set(
    # Spanish function words, pronouns and adverbs
    "y e o u ni pero que q k ke qu cual cuales quien quienes como donde cuando cuanto cuanta "
    "cuantos cuantas cuánto porque xq pq si no ya tambien tb tmb ademas mas menos muy mucho "
    "mucha muchos muchas poco poca todo toda todos todas nada algo alguien aqui aca ahi alli "
    "alla asi aun ahora ahorita luego despues antes entonces pues igual solo solamente tan "
    "bien mal mejor peor me te se nos yo tu usted ustedes ud uds vos el ella ellos ellas "
    "al a por sobre entre hasta desde hacia segun cada otros otras mismo misma "
    # Spanish verbs that ask, order, want
    "es son soy eres somos esta estan estoy estamos era fue sera ser estar hay habia tiene "
    "tienen tienes tengo tenemos tenga tengan quiero quisiera queria queremos quiere quieren "
    "necesito necesita necesitamos necesitan ocupo ocupamos dame deme denme da dan regala "
    "regale regalame regaleme regalan regalas manda mande mandame mandeme mandan mandar "
    "mandeme envie envia envien enviar envian enviame envieme agrega agregue agregar "
    "agregame agregueme agreguele agregalo agreguelo anade anadir anademe pon ponme ponle "
    "pongame ponga ponganme poner suma sume sumale sumele incluye incluya incluir llevo "
    "lleva llevar llevamos llevame compro comprar compra compre compramos pido pedir pedimos "
    "separa separe separeme separame aparta aparte apartame aparteme cotizar cotizo "
    "cotizacion cuesta cuestan vale valen bale sale salen precio precios presio valor "
    "manejan maneja manejas venden vende vendes vendan busco buscando buscar sirve sirven "
    "trae traen viene vienen ver mirar saber conocer quita quite quitar quiteme quitame "
    "quitele elimina elimine eliminar saca saque sacar sacame saqueme borra borre borrar "
    "cambia cambie cambiar cambiame cambieme modifica modifique modificar deja deje dejar "
    "dejeme dejame sube subale subele baja bajale bajele confirma confirme confirmo "
    "cancela cancele cancelar puede pueden puedo podria podrian hace hacen haga hago "
    "recomienda recomiendan recomiendas quedan queda quedo llegaron llego disponible "
    "disponibles existencia existencias stock inventario cantidad total cuenta pedido "
    "pedidos orden carrito compras gracias favor porfa porfis xfa plis pls hola "
    "buenas buenos buen dias tardes noches ok listo dale parce parcero hermano veci señor "
    "señora don doña urgente hoy mañana semana mes diario informacion info fotos foto "
    "precio diferencia caracteristicas especificaciones ficha "
    # English
    "and or but the i im i m d ll s t re ve you we they he she it its is are was were be "
    "am do does did dont have has had can could would will shall should may might want "
    "need like take give gimme add put get buy order purchase send how much many what "
    "whats which who where when why price prices cost costs quote available availability "
    "left any please thanks thank hi hello hey too also more other there here so just only "
    "really very about tell show see look looking find check them from at by up out off "
    "remove delete drop change make instead update reduce increase cart basket done "
    "finish checkout carry sell offer stock today tomorrow now asap guys all quantity type types "
    "kind kinds sort sorts vendo vendemos"
)
"""Words that end a product mention: function words and the words of the request itself."""

NOT_NAMES = word_set(
    "cliente clienta customer nuevo nueva new encargado encargada ingeniero ingeniera jefe "
    "gerente administrador administradora comprador compradora contratista de from looking "
    "interested trying ready done sorry calling writing buying not also el la yo"
)
"""Words after "soy" / "I'm" that describe a person rather than name one."""

NAME_PARTICLES = word_set("de del la las los el y")
"""Small words inside a full name ("María del Pilar", "Ferretería El Tornillo")."""

FIRST_NAMES = word_set(
    "juan jose luis carlos andres felipe jorge diego david daniel alejandro santiago sebastian "
    "camilo mateo nicolas julian oscar fernando ricardo javier miguel angel pedro pablo manuel "
    "antonio francisco alberto hernan jaime william john edwin fabian mauricio gustavo cristian "
    "esteban alvaro hector ruben rodrigo sergio victor wilson jhon jhonatan brayan kevin "
    "maria ana luisa laura paula andrea carolina catalina diana natalia sandra claudia monica "
    "patricia marcela adriana angela lucia isabel sofia valentina daniela camila juliana "
    "gloria martha marta liliana paola viviana yuliana alejandra mariana sara valeria luz "
    "beatriz teresa rosa carmen elena silvia lina johana tatiana lorena jennifer jessica "
    "mary james robert michael william richard thomas peter mark paul kate emma olivia "
    "sarah linda susan karen nancy lisa"
)
"""Common first names, to take "soy juan" (no capitals) as a name."""
