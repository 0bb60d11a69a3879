"""Phrases that signal what a customer wants, as patterns over the folded words of a message.

Each cue is evidence, not a verdict: `intents.decide` weighs the cues found with the products,
quantities, buyer data and the state of the conversation.
"""

from __future__ import annotations

import enum
import re

from agent.nlu.vocabulary import word_set


class Cue(enum.StrEnum):
    """A kind of evidence a phrase gives."""

    HANDOFF = "handoff"
    CANCEL = "cancel"
    REMOVE = "remove"
    CHANGE = "change"
    CART = "cart"
    CART_TOTAL = "cart_total"
    BARE_TOTAL = "bare_total"
    CHECKOUT = "checkout"
    YES = "yes"
    NO = "no"
    HOLD = "hold"
    DEFER = "defer"
    HISTORY = "history"
    LOOKUP = "lookup"
    HOURS = "company.hours"
    LOCATION = "company.location"
    CONTACT = "company.contact"
    PAYMENT = "company.payment"
    SHIPPING = "company.shipping"
    RETURNS = "company.returns"
    WARRANTY = "company.warranty"
    ABOUT = "company.about"
    CATALOG = "catalog"
    CATALOG_WEAK = "catalog_weak"
    CATEGORY = "category"
    HAVE = "have"
    PRICE = "price"
    STOCK = "stock"
    INFO = "info"
    ADD = "add"
    MORE = "more"
    CLITIC = "clitic"
    SELECT = "select"
    GREETING = "smalltalk.greeting"
    THANKS = "smalltalk.thanks"
    GOODBYE = "smalltalk.goodbye"
    IDENTITY = "smalltalk.identity"


# Spellings of "que" and "cuanto" people type on a phone.
_Q = r"(?:que|q|k|ke)"
_COLOUR = r"(?:blanc|amarill|roj|azul|verde|naranj|negr|gris)\w*"
_HOW_MUCH = r"(?:cuanto|cuant|cuantos|cuanta|cuantas|qnto|cnto|kuanto)"
_NOT_DELIVERING = (
    r"(?!llegar|enviar|mandar|despachar|entregar|traer|llevar)"
    r"[a-z]+(?:ar|er|ir)(?:l[oa]s?|les?|me|nos)?\b"
)
"""A verb after "se demoran en" that is not about delivering: "recargarlos", "revisarlo"."""

_PATTERNS: dict[Cue, tuple[str, ...]] = {
    Cue.HANDOFF: (
        r"(?:hablar|hable|habla|comunic\w*|pas\w*|transfer\w*|conect\w*|atienda|atender)"
        r" (?:con |a )?(?:un |una |el |la |alguien )?(?:asesor\w*|humano|persona|agente"
        r"|operador\w*|gerente|encargad\w*|alguien|vendedor\w*)",
        r"asesor\w* humano",
        r"(?:un|una|el|la|al|a un|a una) (?:asesor(?:a|es)?|humano|vendedor(?:a)?)\b",
        r"persona real",
        r"(?:una persona|alguien) de verdad",
        r"^(?:un |una |el )?(?:asesor\w*|humano|agente|agent|human|operator|representative)"
        r"(?: por favor| porfa| xfa| please)?$",
        r"(?:talk|speak|chat) (?:to|with) (?:a |an |the )?(?:real )?(?:person|human|someone"
        r"|somebody|agent|representative|rep|manager)",
        r"transfer me",
        r"real person",
        r"(?:human|live) agent",
        r"customer service",
        # Asking to be called is asking for a person: "que alguien me llame", "call me back".
        r"(?:alguien|un asesor|una asesora|un vendedor|una persona|ustedes) (?:de \w+ )?"
        r"(?:me )?(?:puede |pueden |podria |podrian )?(?:llame|llamen|llamar|llamarme)\b",
        r"(?:me|nos) (?:pueden|puede|podrian|podria) (?:llamar|marcar|timbrar)",
        r"\bllam(?:enme|eme|ame|arme)\b",
        r"(?:someone|somebody|anyone|anybody|an agent|a rep|sales) (?:from \w+ )?"
        r"(?:to )?(?:call|ring|phone) (?:me|us)\b",
    ),
    Cue.CANCEL: (
        r"cancel\w*(?! (?:con|en|por|via|mediante|with|by)\b)",
        r"anul\w*",
        r"olvid(?:alo|elo|emos|ate|ese)",
        r"ya no (?:quiero|necesito|voy a (?:comprar|llevar)\w*) nada",
        r"no (?:quiero|voy a comprar|necesito) nada",
        r"ya no voy a comprar",
        r"forget\b",
        r"never ?mind",
        r"(?:don t|do not|dont) want anything",
        r"changed my mind",
    ),
    Cue.REMOVE: (
        r"(?:quit|saqu|sac|elimin|borr)\w*",
        r"(?:remove|delete|drop)\w*",
        r"ya no (?:quiero|necesito|voy a llevar) (?:el|la|los|las|ese|esa|esos|esas)\b",
        r"(?:sin|without) (?:el|la|los|las|the)\b",
        r"(?:don t|do not|dont) (?:want|need) the\b",
        r"take\b.{0,30}\b(?:out|off)\b",
        r"take off",
    ),
    Cue.CHANGE: (
        r"cambi(?:a|e|ar|ame|eme|alo|elo|emos)\b",
        r"modific\w*",
        r"en (?:vez|lugar) de",
        r"mejor (?:que )?(?:sean|serian|ponme|pongame|dame|deme|solo)",
        r"(?:^|no )mejor \d+\b",
        # "ay no, mejor blancos", "mejor el de 20": another colour or size of the same thing.
        rf"(?:^|no )mejor (?:en |de |del |los |las |el |la |talla )*(?:{_COLOUR}|\d+\b)",
        rf"{_Q} (?:sean|queden)\b",
        r"dej(?:a|e|ar)(?:me|le|lo|la|los|las)?\b.{0,30}\ben \d+",
        r"(?:sub|baj)(?:a|e|ale|ele|ame|eme)\b",
        r"change",
        r"make (?:it|that|them|the \w+|those \w+)\b",
        r"instead",
        r"update",
        r"reduce",
        r"increase",
    ),
    Cue.CART: (
        # "al carrito", "in my cart" are where an added product goes, not a wish to see the cart.
        r"(?<!al )(?<!a mi )carrit\w*",
        r"carro de compras?",
        rf"{_Q} (?:llevo|tengo|he pedido|llevamos|hay en)\b",
        r"(?:ver|muestr\w*|mostrar|revis\w*|recuerd\w*)(?: \w+)? (?:mi|el)"
        r" (?:pedido|carrito|orden)",
        r"resumen",
        r"(?<!in my )(?<!to my )(?<!into my )(?<!in the )(?<!to the )cart\b",
        r"basket",
        r"(?:show|see|view|check|review) (?:me )?(?:what s in )?(?:my|the) (?:order|cart|basket)",
        r"what s in (?:my|the)\b",
        r"what (?:do|did) i (?:have|get)\b",
    ),
    Cue.CART_TOTAL: (
        rf"{_HOW_MUCH} (?:llevo|llevamos|va|vamos|voy)\b",
        rf"{_HOW_MUCH} (?:me )?(?:es|seria|sale|vale|va|queda) (?:todo|el total)",
        r"hasta (?:ahora|el momento)",
        r"(?:el|mi) total",
        r"so far",
        r"how much (?:is |for )?(?:everything|it all|all of it|all together|altogether)",
        r"(?:my|the|order) total",
        r"my total",
    ),
    # "¿cuánto es?", "¿cuánto sería en total?": while buying, what the cart comes to (before
    # anything is bought, the price of what was asked about).
    Cue.BARE_TOTAL: (
        rf"^{_HOW_MUCH} (?:me |le |te )?(?:es|seria|serian|sale|salen|queda|quedaria|debo)$",
        rf"{_HOW_MUCH} (?:me )?(?:es|seria|sale|vale|va|queda) en total",
        r"^how much (?:is it|will it be|do i owe|would it be)$",
    ),
    Cue.CHECKOUT: (
        r"(?<!cuanto )(?:eso es|es|seria) todo",
        r"nada mas",
        r"ya no mas",
        r"(?:quiero|voy a|vamos a|listo para|ya) pagar",
        r"pagar ya",
        r"(?:solo|solamente|nomas) (?:eso|esos|esas|eso nomas)$",
        r"cerr(?:emos|amos|ar|emosla|emoslo)$",
        r"(?:cerr|cierr)\w* (?:el |mi )?(?:pedido|compra|orden|trato|negocio)",
        r"finaliz\w*",
        r"termin(?:e|ar|amos|emos)\b",
        r"(?:hacer|hagamos|hago|montar|montemos|cerrar|cerremos|realizar|confirmar) (?:el |mi )?"
        r"(?:pedido|compra|orden)",
        r"proced\w*",
        r"cerremos",
        r"check ?out",
        r"wrap (?:it |this )?up",
        r"that s (?:all|it|everything)",
        r"(?:i m|i am) done",
        r"nothing else",
        r"that will be all",
        r"place (?:the |my |an )?order",
        r"ready to (?:pay|order)",
        r"finish",
        r"wrap (?:it |this |things )?up",
        r"^(?:(?:ok|okay|yes) )?(?:just|only) (?:that|those|this)$",
        r"complete (?:the |my )?(?:order|purchase)",
    ),
    Cue.YES: (
        r"si+",
        r"sip",
        r"claro",
        r"dale",
        r"dele",
        r"listo",
        r"ok",
        r"okay",
        r"oki",
        r"okey",
        r"vale",
        r"correcto",
        r"perfecto",
        r"hagale",
        r"confirm\w*",
        r"de una",
        r"exacto",
        r"todo bien",
        r"esta bien",
        r"yes",
        r"yep",
        r"yeah",
        r"yup",
        r"sure",
        r"sounds good",
        r"go ahead",
        r"do it",
        r"of course",
        r"correct",
        r"right",
        r"fine",
    ),
    Cue.NO: (
        r"no+",
        r"nop",
        r"nope",
        r"nah",
        r"nel",
        r"negativo",
        r"incorrect\w*",
        r"esta mal",
        r"hay un error",
        r"equivocad\w*",
        r"corregir",
        r"wrong",
        r"not right",
    ),
    Cue.HOLD: (
        r"esper\w*",
        r"un (?:momento|momentico|segundo|segundito|minuto|minutico|rato)",
        r"dej(?:a|e|ame|eme) (?:lo )?(?:pensar\w*|revisar\w*|consultar\w*|ver|mirar)",
        r"(?:lo )?(?:pienso|consulto|reviso|miro)",
        r"(?:ya|despues|luego) (?:te|le) (?:digo|aviso|confirmo)",
        r"(?:todavia|aun|ahora) no",
        r"mas tarde",
        r"tal vez",
        r"quizas?",
        r"de pronto",
        r"no se",
        r"creo que",
        r"pero",
        r"primero",
        r"antes",
        r"descuento\w*",
        r"wait\w*",
        r"hold on",
        r"one (?:moment|second|sec|minute)",
        r"give me a (?:moment|second|sec|minute)",
        r"let me (?:think|check|see|ask|talk)",
        r"not yet",
        r"later",
        r"maybe",
        r"perhaps",
        r"i think",
        r"but",
        r"first",
        r"before",
        r"discount\w*",
    ),
    # Putting off what the last reply offered: nothing is added, nothing is asked.
    Cue.DEFER: (
        r"dej(?:a|e|ame|eme|enme)(?: lo| la| los)? (?:pensar\w*|pienso|consultar\w*|consulto"
        r"|revisar\w*|reviso|mirar|miro|ver|averiguar)",
        r"(?:lo|la|los) (?:pienso|consulto|reviso|miro|voy a pensar|tengo que pensar)",
        r"(?:ya|despues|luego) (?:te|le|les) (?:digo|aviso|confirmo|escribo)",
        r"(?:por ahora|todavia|aun|ahorita|de momento) no",
        r"no por ahora",
        r"mas (?:tarde|adelante)",
        r"(?:not|maybe) (?:now|yet|today|later)",
        r"let me (?:think|check|ask|talk)",
        r"i ll (?:think about it|let you know|get back)",
    ),
    Cue.HISTORY: (
        rf"{_Q} (?:le |les |te )?(?:he |hemos )?(?:compr|ped)(?:i|e|ido|ado|imos|amos)\b",
        r"compras (?:que|anteriores|pasadas|realizadas)",
        r"what (?:have|did) i (?:ordered|order|bought|buy|purchased|purchase)",
        r"(?:ordered|bought|purchased) (?:before|previously)",
        r"purchase history",
        r"(?:mis|my) (?:pedidos|compras|ordenes|orders|purchases)",
        r"historial",
        r"history",
        r"(?:ultim[oa]s?|anterior(?:es)?) (?:pedido|compra|orden)(?:s|es)?",
        r"(?:pedido|compra|orden)s? (?:anterior|anteriores|pasad[oa]s?)",
        r"la vez pasada",
        r"(?:last|previous|past) (?:order|purchase)s?",
        r"what did i (?:buy|order|purchase)",
        # Where an order is: "dónde está mi paquete", "en qué va mi pedido".
        r"(?:donde|dnd|en (?:que|q) va) (?:esta |va |viene )?(?:mi|mis|el|la) "
        r"(?:paquete|pedido|orden|envio|compra|domicilio)s?\b",
    ),
    Cue.LOOKUP: (
        r"soy client[ea]",
        r"ya (?:soy|he sido|somos) client\w*",
        r"client\w* (?:antigu\w*|frecuente|registrad\w*)",
        r"(?:he|hemos) comprado",
        r"compr(?:e|amos) antes",
        r"ya (?:estoy|estamos) registrad\w*",
        r"mis datos",
        r"(?:busc|consult)\w* (?:por )?(?:mi |la )?(?:cedula|cuenta)",
        r"(?:existing|returning|regular) customer",
        r"bought from you",
        r"(?:look|search) me up",
        r"my (?:details|info|information|data|account)",
        r"on file",
    ),
    Cue.HOURS: (
        r"horario\w*",
        rf"(?:a )?{_Q} horas? (?:abren|cierran|atienden|abre|cierra|estan|trabajan)",
        rf"hasta {_Q} hora",
        r"(?:abren|abre|atienden|trabajan|abiertos?) (?:los |el |hoy |en )?"
        r"(?:sabado|domingo|festivo|lunes|feriado|fines)\w*",
        r"(?:estan|esta) abiert\w*",
        r"abren",
        r"cierran",
        r"atienden",
        r"hora de atencion",
        r"(?:opening|business|store|working|your|the) hours",
        r"hours (?:on|today|tomorrow)",
        r"(?:are you|you guys) open",
        r"open (?:on|today|tomorrow|sunday|saturday)",
        r"what time",
        r"when do you (?:open|close)",
    ),
    Cue.LOCATION: (
        r"(?:donde|dnd) (?:quedan|queda|estan|esta|se encuentran|los encuentro|los ubico)"
        r"(?! (?:mi|mis|el|la) (?:paquete|pedido|orden|envio|compra|domicilio)s?\b)",
        r"ubicad\w*",
        r"ubicacion",
        r"direccion (?:de ustedes|de la tienda|del local|de la empresa|del almacen)",
        r"su direccion",
        r"(?:tienen|hay) (?:una |un )?(?:sede|tienda|local|punto|almacen)\w*",
        r"sedes?",
        r"como llego",
        rf"en {_Q} parte",
        r"tienda fisica",
        r"punto de venta",
        r"where (?:exactly |precisely )?(?:are|is|s) (?:you|your|the (?:shop|store))",
        r"located",
        r"where (?:can|do) i find (?:you|your|the)",
        r"(?:your|the store s|the shop s) address",
        r"address of (?:the|your) (?:store|shop|company|business)",
        r"physical (?:store|shop)",
    ),
    Cue.CONTACT: (
        r"(?:numero|telefono|celular|whatsapp|wpp|correo|email|mail|contacto)\w* (?:de ustedes"
        r"|de la tienda|de la empresa|de ventas|de contacto|para llamar)",
        r"(?:su|sus) (?:numero|telefono|celular|whatsapp|correo|email|contacto)",
        r"(?:tienen|tiene) (?:un |una )?(?:correo|email|whatsapp|telefono|numero|linea)",
        r"(?:me pasa|me da|me regala|pasame|deme) (?:el|su) (?:numero|telefono|whatsapp|correo|"
        r"contacto)",
        r"(?:los|lo|la) (?:llamo|puedo llamar|contacto)",
        r"comunic\w* con ustedes",
        r"como (?:los |me )?(?:contacto|comunico|llamo)",
        r"(?:your|the) (?:phone|number|email|whatsapp|contact)",
        r"contact (?:you|info|information|details)",
        r"call you",
        r"(?:llamar|contactar|escribir)(?:los|les)\b",
        r"numero para (?:llamar|contactar|comunicar|escribir)\w*",
        r"(?:have|got) (?:a |an )?(?:whatsapp|phone|email|contact)",
        r"reach you",
        r"email address",
    ),
    Cue.PAYMENT: (
        r"(?:medios?|formas?|metodos?) de pago",
        r"nequi",
        r"daviplata",
        r"pse",
        r"bancolombia",
        r"efectivo",
        r"tarjeta",
        r"transferencia",
        r"contra ?entrega",
        r"credito",
        r"consigna\w*",
        r"como (?:se |puedo |puede |le )?pag\w*",
        r"pagar (?:con|en|por)\b",
        r"cancel\w* (?:con|en|por|via|mediante)\b",
        r"payment",
        r"(?:credit|debit) card",
        r"card\b",
        r"cash",
        r"pay (?:by|with|in|on)\b",
        r"bank transfers?",
        r"(?:accept|take) (?:cards?|cash|credit|transfers?)",
        r"paypal",
        r"how (?:can|could) (?:i|we) pay",
        r"(?:sacar|expedir|emitir|generar|hacer|dar|dan)(?:me|nos)? (?:la |una )?factura\b",
        r"factura (?:electronica|a nombre)",
        r"(?:issue|give) (?:an |a )?invoices?",
    ),
    Cue.SHIPPING: (
        r"envios?",
        r"(?:hacen|tienen|manejan|hay) (?:envio|domicilio|despacho)\w*",
        r"(?:envian|despachan|mandan|llevan|entregan) (?:a|hasta|para)\b",
        r"envian",
        r"despach\w*",
        r"domicilio\w*",
        r"transportadora",
        r"flete",
        # "¿cuánto se demoran?" asks about delivery; "¿cuánto se demoran en recargarlos?"
        # about the service named, not about shipping it.
        rf"{_HOW_MUCH} (?:se )?(?:demora|tarda|demoran|tardan)(?! en {_NOT_DELIVERING})",
        r"(?:demora|tarda)\w* en llegar",
        r"(?:enviar|mandar|despachar)(?:lo|la|los|las)? (?:a|hasta|para)\b",
        r"cobran por (?:enviar|mandar|llevar)",
        r"(?:a|hasta) la casa",
        r"shipping",
        r"ship\b",
        r"deliver\w*",
        r"courier",
        r"how long (?:does|will) (?:it|delivery|shipping) take",
    ),
    Cue.RETURNS: (
        r"devol\w*",
        r"devolv\w*",
        r"devuelv\w*",
        r"reembols\w*",
        r"(?:hacen|hay|aceptan|tienen|hacer) cambios?",
        r"(?:puedo|se puede|pueden|podria) (?:cambiar|devolver)",
        r"(?:lo|la|los|las) (?:puedo|podria) cambiar",
        r"politica de (?:cambio|devolucion)\w*",
        r"returns?\b",
        r"refund\w*",
        r"exchange\w*",
        r"send (?:it |them )?back",
    ),
    Cue.WARRANTY: (r"garant\w*", r"warrant\w*", r"guarant\w*"),
    Cue.ABOUT: (
        r"quien(?:es)? (?:son|es) (?:ustedes|usted|la empresa)",
        r"quienes son",
        r"(?:hace cuanto|desde cuando) (?:tiempo )?(?:existe|existen|estan|llevan|funcionan"
        r"|trabajan)",
        r"(?:de|sobre|acerca de) (?:la|su) empresa",
        r"(?:son|es una?) (?:fabricantes?|distribuidores?|importadores?)",
        r"fabricantes?",
        r"who are you guys",
        r"about (?:you|your company|the company|your business|us)\b",
        r"in business",
        r"ustedes son\b",
        r"(?:cuent|habl)\w* (?:\w+ ){0,3}(?:de|sobre) (?:ustedes|la empresa|su empresa)",
        r"(?:this|the) company\b",
        r"owns?\b",
        r"owner",
        r"(?:de )?donde son\b",
        r"(?:real|legit|registered) (?:company|business)",
        r"your company",
    ),
    Cue.CATALOG: (
        r"catalog\w*",
        r"portafolio",
        r"lista de (?:precios|productos)",
        rf"(?:{_Q}|cuales) (?:otros )?productos",
        rf"{_Q} (?:(?:otras )?(?:cosas|articulos|elementos|equipos|mas) )?(?:venden|vende|vendes"
        r"|ofrecen|ofrece)",
        r"price list",
        r"product (?:list|line|range)",
        r"what (?:products|items)",
        r"what (?:do|else do) you (?:guys )?(?:sell|offer|carry)",
        r"everything (?:you|that you)",
    ),
    Cue.CATALOG_WEAK: (
        rf"{_Q} (?:mas )?(?:tienen|manejan|hay)\b",
        r"todo lo que (?:tienen|venden|manejan)",
        r"what do you (?:guys )?have",
        r"what kind of (?:stuff|things|products)",
        r"what else",
    ),
    Cue.CATEGORY: (
        rf"(?:{_Q}|cuales|cual) (?:tipos?|clases?|referencias?|modelos?|marcas?|opciones)",
        r"(?:tipos?|clases?|referencias?|modelos?) de",
        rf"(?:{_Q}|cuales) \w+(?: de \w+)? (?:tienen|manejan|hay|venden|ofrecen)",
        r"muestr\w*",
        r"ver (?:los|las|sus)\b",
        r"(?:which|what) (?:kinds?|types?|sorts?) of",
        r"(?:which|what) \w+(?: \w+)? do you (?:guys )?(?:have|carry|sell|offer)",
        r"show me (?:your|the)",
        r"see (?:the|your)\b",
    ),
    Cue.HAVE: (
        r"tienen",
        r"tiene",
        r"manejan",
        r"venden",
        r"hay",
        r"do you (?:guys |still |also )?(?:sell|carry|have|stock)",
    ),
    Cue.PRICE: (
        rf"{_HOW_MUCH} (?:me )?(?:vale|valen|bale|balen|cuesta|cuestan|es|son|sale|salen|cobra"
        r"|cobran|deja|dejan|queda|valdria|costaria|seria)\b",
        r"(?:en|a) (?:cuanto|como) (?:me )?(?:deja|dejan|sale|salen|queda|esta|estan|tiene"
        r"|tienen|vende|venden)\b",
        r"^(?:y )?a como\b",
        rf"{_HOW_MUCH}$",
        r"prec?io\w*",
        r"presio(?!n)\w*",  # "presión" is pressure ("extintor de agua a presión")
        r"valor\b",
        r"costo\w*",
        r"cotiz\w*",
        r"how much",
        r"price\w*",
        r"cost\w*",
        r"quote",
        r"quotation",
    ),
    Cue.STOCK: (
        r"disponib\w*",
        r"existencia\w*",
        r"stock",
        r"inventario",
        r"(?:cuantos|cuantas)\b.{0,30}\b(?:hay|tienen|quedan|tienes)\b",
        r"(?<!me )qued(?:a|an)\b",
        r"still (?:have|got)",
        r"todavia (?:hay|tienen|tiene|quedan)",
        r"lleg(?:o|aron)\b",
        r"available",
        r"availability",
        r"any\b.{0,30}\bleft",
        r"how many\b.{0,40}\b(?:have|left)",
    ),
    Cue.INFO: (
        r"caracteristic\w*",
        r"especificacion\w*",
        r"ficha tecnica",
        r"informacion",
        r"info",
        rf"(?:para )?{_Q} sirven?",
        r"sirven? (?:para|pa)\b",
        r"diferencia\w*",
        rf"(?:de )?{_Q} (?:material|tamano|medida|color|marca|norma|peso)",
        r"material\w*",
        r"normas?",
        r"certificad\w*",
        r"recomiend\w*",
        r"recomendar",
        r"fotos?",
        r"imagen\w*",
        r"como (?:se usa|funciona|es|son)\b",
        rf"{_Q} trae\w*",
        r"trae\b",
        rf"{_Q} tal (?:es|son)\b",
        r"busco",
        r"buscando",
        r"pesa\b",
        r"mide\b",
        r"medidas",
        r"viene (?:con|en)\b",
        r"specs?",
        r"specifications?",
        r"details",
        r"information",
        r"tell me (?:more )?about",
        r"difference",
        r"recommend\w*",
        r"made of",
        r"(?:pictures?|photos?|images?)",
        r"looking for",
        r"good for",
        r"come with",
        # How long a service takes: "¿cuánto se demoran en recargarlos?", "how long does the
        # refill take?" (delivery times are shipping's).
        rf"{_HOW_MUCH} (?:se )?(?:demora|tarda|demoran|tardan) en {_NOT_DELIVERING}",
        rf"en {_HOW_MUCH} tiempo (?!(?:me )?(?:llega|envian|mandan|despachan|entregan))",
        r"how long (?:does|will|do) (?:the|a|an|your|you) (?!delivery|shipping|order)\w+"
        r"(?: \w+)? take",
        r"how long (?:does|will) it take to (?!arrive|ship|deliver|get)\w+",
    ),
    Cue.ADD: (
        r"quiero(?! (?:ver|saber|conocer|preguntar|cotizar|informacion|info|mirar|hablar|que"
        r"|pagar))",
        r"quisiera(?! (?:ver|saber|conocer|preguntar|cotizar|hablar))",
        r"necesit(?:o|amos|aria|ariamos)(?! (?:saber|informacion|info|hablar))",
        r"ocup(?:o|amos)",
        r"(?:dame|deme|denme|damelo|demelo|me da|me das)\b",
        r"regal\w*",
        r"(?:mand|envi)(?:a|e)(?:me|nos|melo|mela|melos|noslo)?\b",
        r"agreg\w*",
        r"anad\w*",
        r"pon(?:me|le|ga|game|ganme|gale)?\b",
        r"sum(?:a|e|ale|ele|ame|eme)\b",
        r"inclu(?:ye|ya|ir)\w*",
        r"llev(?:o|amos)\b",
        r"voy a llevar",
        r"compr(?:o|ar|amos)\b",
        r"ped(?:ir|imos)\b",
        r"pido\b",
        r"separ(?:a|e)(?:me|nos)?\b",
        r"apart(?:a|e)(?:me|nos)?\b",
        r"me (?:vende|vendes|venden)\b",
        r"encarg\w*",
        r"i (?:want|need|d like|would like)(?! to (?:see|know|ask|talk|speak|check))\b",
        r"i (?:ll take|will take|ll have|ll get)\b",
        r"give me",
        r"gimme",
        r"add\b",
        r"put\b",
        r"get me",
        r"buy\b",
        r"purchase\b",
        r"(?:can|could|may) i (?:order|get|have)\b",
    ),
    Cue.MORE: (
        r"\d+ mas\b",
        r"(?:otro|otra|otros|otras)\b",
        r"\w+ more\b",
        r"another",
        r"(?:tambien|tb|tmb) \d+\b",  # "y el arnés también 2"
        r"\d+ (?:tambien|too|as well)\b",
    ),
    Cue.CLITIC: (
        r"(?:agreg|anad|sum|inclu|llev|compr|separ|apart|pon|mand|envi|regal)\w*(?:lo|la|los|las)",
        r"(?:lo|la|los|las|me lo|me la) (?:quiero|llevo|compro|necesito)\b",
        r"i ll take (?:it|them|that|those)",
    ),
    # Picking one of the products just listed: "el primero", "the second one", "el de 20".
    Cue.SELECT: (
        r"(?:primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|ultim[oa])\b",
        r"(?:first|second|third|fourth|fifth|last) one",
        r"(?:el|la|opcion|option|number|numero|nro) \d\b",
        r"^(?:el|la|los|las) (?:de|del|que)\b",
        r"(?:the|those|that|this) (?:\w+ )?ones?$",
        r"^(?:ese|esa|este|esta|esos|esas)(?: mism[oa]s?)?$",
    ),
    Cue.IDENTITY: (
        r"(?:eres|es usted|usted es|sos|estoy hablando con|hablo con|me (?:contesta|responde"
        r"|atiende)|habla con) (?:un |una |el |la )?(?:bot|robot|chatbot|maquina|chatgpt|ia"
        r"|inteligencia artificial|persona|humano|alguien real|programa|contestadora)\b",
        r"(?:persona|humano|alguien) (?:real |de verdad )?o (?:un |una )?(?:bot|robot|maquina"
        r"|chatbot|programa)\b",
        r"(?:bot|robot|maquina|chatbot) o (?:un |una )?(?:persona|humano)\b",
        r"(?:usted|tu|vos) es (?:de verdad|real)\b",
        r"(?:es|eres|usted es) (?:de verdad|real) o\b",
        r"con quien (?:hablo|estoy hablando|tengo el gusto)",
        r"quien (?:me )?(?:contesta|responde|escribe|atiende)$",
        r"(?:are|r) (?:you|u) (?:a |an )?(?:bot|robot|chatbot|machine|human|real|person|ai"
        r"|chatgpt|computer|program)\b",
        r"(?:is this|am i (?:talking|chatting|speaking) (?:to|with)) (?:a |an )?(?:bot|robot"
        r"|chatbot|machine|human|real|person|ai|chatgpt|computer|automated)\b",
        r"who (?:am i|i m|im) (?:talking|chatting|speaking) (?:to|with)",
        r"who is (?:this|answering|replying)\b",
        r"^(?:and |so |ok )?(?:what|who) (?:are|r) (?:you|u)$",
        r"(?:person|human) or (?:a |an )?(?:bot|robot|machine|ai)\b",
        r"(?:bot|robot|machine|ai) or (?:a |an )?(?:real )?(?:person|human)\b",
    ),
    Cue.GREETING: (
        r"hola+\w*",
        r"holi\w*",
        r"^ola\b",
        r"buenas",
        r"buenos dias",
        r"buen dia",
        rf"^{_Q} mas\b",
        r"quiubo",
        r"qhubo",
        rf"{_Q} hubo",
        r"^ey\b",
        r"hey",
        r"hi",
        r"hello",
        r"good (?:morning|afternoon|evening)",
        r"saludos",
        r"como (?:esta|estas|estan|va|vas|le va)\b",
        r"how are you",
    ),
    Cue.THANKS: (
        r"gracia\w*",
        r"muy amable",
        r"le pague",
        r"agradec\w*",
        r"thank\w*",
        r"thx",
        r"ty",
        r"appreciate\w*",
        r"cheers",
    ),
    Cue.GOODBYE: (
        r"chao\w*",
        r"chau",
        r"adios",
        r"hasta (?:luego|pronto|manana|la proxima)",
        r"nos vemos",
        r"que (?:este|estes|esten|le vaya|te vaya) (?:muy )?bien",
        r"feliz (?:dia|tarde|noche|fin)",
        r"bye",
        r"goodbye",
        r"see (?:you|ya)\b",
        r"have a (?:nice|good|great) (?:day|one|evening|night)",
        r"take care",
    ),
}

_COMPILED = {
    cue: re.compile(r"\b(?:" + "|".join(patterns) + r")\b") for cue, patterns in _PATTERNS.items()
}
_FULL = {
    cue: re.compile(r"(?:{0})(?: (?:{0}))*".format("|".join(_PATTERNS[cue])))
    for cue in (Cue.YES, Cue.NO)
}
# Words that may come with a bare yes or no without changing it ("sí señor, confirmo el pedido").
_YES_NO_FILLER = word_set(
    "señor sr señora gracias thanks please porfa por favor el la pedido order the todo bien "
    "esta asi es that s is mal hay un error pues bueno de una muchas thank you"
)


def find_cues(words: list[str]) -> set[Cue]:
    """The cues present in a message given as its folded words."""
    clean = " ".join(words).replace("ñ", "n")
    return {cue for cue, pattern in _COMPILED.items() if pattern.search(clean)}


def only(cue: Cue, words: list[str]) -> bool:
    """Whether the words are nothing but a yes (or a no), with polite filler."""
    core = [w for w in words if w not in _YES_NO_FILLER] or words
    return bool(core) and _FULL[cue].fullmatch(" ".join(core).replace("ñ", "n")) is not None
