"""What Odoo knows about the shop: the company of the agent's Odoo user, as Odoo 18 and 19 name it.

The company (`res.users.company_id` of the user the API key belongs to) gives the name,
address, phone, e-mail, website and currency (`res.company.currency_id`); its contact
(`res.company.partner_id.lang`) the language prices and replies are written in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from channels.odoo_livechat.client import OdooClient, OdooError

COMPANY_FIELDS = (
    "name",
    "street",
    "street2",
    "city",
    "phone",
    "email",
    "website",
    "currency_id",
    "partner_id",
)


@dataclass(frozen=True, slots=True)
class OdooShop:
    """The shop as its Odoo company describes it."""

    name: str
    currency: str
    """The company's currency code (`USD`, `COP`, `EUR`...)."""
    lang: str
    """Odoo's language code (`es_CO`, `en_US`): product names are read in it."""
    address: str | None
    city: str | None
    phone: str | None
    email: str | None
    website: str | None

    @property
    def language(self) -> Literal["es", "en"] | None:
        """The agent's language for Odoo's: Spanish or English, None for any other."""
        prefix = self.lang.split("_")[0]
        return "en" if prefix == "en" else "es" if prefix == "es" else None


async def read_shop(client: OdooClient) -> OdooShop:
    """The company of the agent's Odoo user, with its currency and language."""
    context = await client.call("res.users", "context_get")
    users = await client.call("res.users", "read", ids=[int(context["uid"])], fields=["company_id"])
    company_id = _many2one_id(users[0]["company_id"])
    if company_id is None:
        raise OdooError("the agent's Odoo user has no company")
    (company,) = await client.call(
        "res.company", "read", ids=[company_id], fields=list(COMPANY_FIELDS)
    )
    partner_id = _many2one_id(company.get("partner_id"))
    lang = str(context.get("lang") or "")
    if partner_id is not None:
        (partner,) = await client.call("res.partner", "read", ids=[partner_id], fields=["lang"])
        lang = str(partner.get("lang") or lang)
    currency = company.get("currency_id")
    street = ", ".join(s for s in (_text(company, "street"), _text(company, "street2")) if s)
    return OdooShop(
        name=_text(company, "name") or "",
        currency=str(currency[1]) if isinstance(currency, list) and len(currency) > 1 else "",
        lang=lang,
        address=street or None,
        city=_text(company, "city"),
        phone=_text(company, "phone"),
        email=_text(company, "email"),
        website=_text(company, "website"),
    )


def _text(record: dict[str, Any], name: str) -> str | None:
    """A char field's value; Odoo says `False` for an empty one."""
    value = record.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _many2one_id(value: Any) -> int | None:
    """The id of a many2one as `read` gives it (`[id, "name"]`, or `False`)."""
    return int(value[0]) if isinstance(value, list) and value else None
