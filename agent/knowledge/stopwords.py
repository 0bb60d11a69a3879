"""Words too common in questions and documents to say what a passage is about, and the
words a question is asked with (how, what, cuánto…), in Spanish and English."""

from __future__ import annotations

_SPANISH_STOPWORDS = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun como con contra cual
    cuales cuando de del desde donde e el ella ellas ellos en entre era es esa esas ese eso
    esos esta estan estas este esto estos fue ha hay han hasta la las le les lo los mas me mi mis
    mucho muy nada ni no nos nuestra nuestro nuestros o os otra otro para pero poco por porque
    puede pueden puedo que quien quienes se sea ser si sin sobre son su sus tambien te tengo tiene
    tienen tu tus un una uno unos unas usted ustedes y ya yo hola buenos buenas favor gracias quiero
    saber necesito dime digame podria podrian cuanto cuanta cuantos cuantas hacer hace tienda
    dura duran durar puedo podemos debo debe deben hago hacen ofrecen
    manejan tener tienes sirve sirven funciona explicar explica vende venden vendes mandan manda
    mandar q pa pues entonces toca tocaria hago eso esto aca alla ahi todavia
    somos soy estoy estamos alguien nadie cualquier cualquiera
"""
_ENGLISH_STOPWORDS = """
    a an and any are as at be been but by can could do does did for from had has have how i if in
    into is it its me my of on or our please should so tell than that the their them then there
    these they this to us was we what when where which who why will with would you your hello hi
    thanks thank know need want shop store much many long last lasts get give offer
    s t ll re ve d m am being whats what's shouldn isn don doesn didn won cant can't some also
    just still again ever each about up out off over only very something anything nothing
    everything nobody someone somebody anyone anybody everyone everybody else because until now
    already too
"""
STOPWORDS = frozenset(_SPANISH_STOPWORDS.split()) | frozenset(_ENGLISH_STOPWORDS.split())
"""Words too common in questions and documents to say what a passage is about."""
