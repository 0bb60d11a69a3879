"""What Odoo knows about the shop: the company of the agent's Odoo user, as Odoo 18 and 19 name it.

The company (`res.users.company_id` of the user the API key belongs to) gives the name,
address, phone, e-mail, website and currency (`res.company.currency_id`); its contact
(`res.company.partner_id.lang`) the language prices and replies are written in. A shop that
runs on Odoo (`ODOO_SHOP`) takes them as its settings and company facts at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from agent.company import CompanyInfo
from agent.errors import ConfigurationError
from agent.settings import DEMO_SHOP_DIR, Settings
from channels.odoo_livechat.client import OdooClient, OdooError
from channels.odoo_livechat.config import OdooConfig

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
    uid = await client.user_id(context)
    users = await client.call("res.users", "read", ids=[uid], fields=["company_id"])
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


async def run_on_odoo(settings: Settings, company: CompanyInfo) -> tuple[Settings, CompanyInfo]:
    """The settings and company facts of a shop that runs on Odoo: its Odoo company's.

    The shop's name (the greeting), currency and language are Odoo's, and the demo shop is not
    loaded; the company file keeps what Odoo does not know (hours, payment, shipping,
    returns), so it must be the shop's own, not the demo's.
    """
    if settings.company_file.resolve() == (DEMO_SHOP_DIR / "company.yaml").resolve():
        raise ConfigurationError(
            "ODOO_SHOP needs the shop's own COMPANY_FILE for what Odoo does not know (hours, "
            "payment, shipping, returns): copy agent/demo_shop/company.yaml, edit it and set "
            "COMPANY_FILE (see README 'A shop that runs on Odoo')"
        )
    client = OdooClient(OdooConfig.from_settings(settings))
    try:
        shop = await read_shop(client)
    finally:
        await client.close()
    settings = settings.model_copy(
        update={
            "shop_name": shop.name or settings.shop_name,
            "currency": shop.currency or settings.currency,
            "default_language": shop.language or settings.default_language,
            # Products are synced with their names in the company's language.
            "catalog_language": shop.language or settings.catalog_language,
            "auto_seed_demo": False,
        }
    )
    facts = {
        "name": shop.name,
        "currency": shop.currency,
        "address": shop.address,
        "city": shop.city,
        "phone": shop.phone,
        "email": shop.email,
        "website": shop.website,
    }
    known = {field: value for field, value in facts.items() if value}
    try:
        return settings, CompanyInfo.model_validate({**company.model_dump(), **known})
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigurationError(
            f"the Odoo company's {'.'.join(map(str, first['loc']))} cannot be the shop's: "
            f"{first['msg']} (fix it in Odoo: Settings → Companies)"
        ) from err
