"""A page's text: the words and the values escaped, the markup a template wrote kept."""

from __future__ import annotations

from markupsafe import Markup

from agent.words import markup


def test_a_page_text_keeps_a_templates_markup_and_escapes_the_rest() -> None:
    text = markup(
        "es",
        "console.login.then",
        installed=Markup("<code>make run</code>"),
        command="<script>",
        username="admin",
        create="a & b",
    )
    assert text == (
        "Si lo instalaste con <code>make run</code>, el comando es &lt;script&gt;. Luego entra "
        "aquí con admin y esa contraseña; desde la consola no se crean cuentas: a &amp; b crea "
        "las de los asesores."
    )


def test_a_page_text_in_english() -> None:
    assert markup("en", "console.login.your_name") == "Your name"
