"""Whether the agent can work with a shop's Odoo: the address, the database, the key, the rights.

`check_odoo` calls Odoo as the agent does and says in one sentence what is wrong (the first
of: Odoo not answering, a database it does not have, a key or login it refuses, rights the
agent's user lacks) or that everything the agent needs is there. Rights are asked with the
ORM's public `has_access(operation)` on an empty recordset (Odoo 18 and 19), so nothing is
created to find out. With ODOO_PUSH_LEADS the CRM leads' rights are asked too (read, create,
write: the agent finds, makes and updates its crm.leads).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import RetryableError
from channels.odoo_livechat.client import OdooClient, OdooError


@dataclass(frozen=True, slots=True)
class Right:
    """An access the agent needs: the operation on a model, said for people."""

    model: str
    operation: str
    doing: str
    """What the right lets the agent do ("create contacts")."""
    grant: str
    """What to give the agent's user in Odoo (Settings → Users) for it."""
    optional: bool = False
    """Without the app, the agent works without this (no stock app: stock is left alone)."""


RIGHTS = (
    Right("res.company", "read", "read the company", "Internal User"),
    Right("product.product", "read", "read products", "Sales: User"),
    Right("stock.quant", "read", "read stock", "Inventory: User", optional=True),
    Right("res.partner", "create", "create contacts", "Contact Creation"),
    Right("sale.order", "create", "create quotations", "Sales: User"),
    Right("discuss.channel", "read", "read livechat sessions", "Live Chat: Administrator"),
)
"""What the agent's Odoo user needs (README "Odoo", step 2)."""
LEAD_RIGHTS = (
    Right("crm.lead", "read", "read CRM leads", "Sales: User"),
    Right("crm.lead", "create", "create CRM leads", "Sales: User"),
    Right("crm.lead", "write", "update CRM leads", "Sales: User"),
)
"""What it needs besides to push leads (ODOO_PUSH_LEADS): the CRM app's leads."""


@dataclass(frozen=True, slots=True)
class OdooCheck:
    """The outcome of `check_odoo`: whether the agent can work, in one sentence."""

    ok: bool
    sentence: str


async def check_odoo(client: OdooClient, *, leads: bool = False) -> OdooCheck:
    """Reach Odoo, log in to the database and ask for each right the agent needs (those of the
    CRM leads too when it pushes `leads`)."""
    config = client.config
    where = f"Odoo at {config.url}"
    try:
        version = await client.major_version()
        await client.call("res.users", "context_get")
    except RetryableError as err:
        return OdooCheck(False, f"{where} does not answer ({err}): check ODOO_URL.")
    except OdooError as err:
        return OdooCheck(False, _login_refused(where, config.database, err))
    missing: list[str] = []
    absent: list[str] = []
    for right in RIGHTS + (LEAD_RIGHTS if leads else ()):
        try:
            allowed = await client.call(
                right.model, "has_access", ids=[], operation=right.operation
            )
        except OdooError as err:
            if not _no_such_model(err):
                raise
            if not right.optional and not any(a.startswith(f"{right.model} (") for a in absent):
                absent.append(f"{right.model} ({right.doing})")
            continue
        if not allowed:
            missing.append(f"{right.doing} ({right.grant})")
    if absent:
        return OdooCheck(
            False, f"{where}, database {config.database!r}, lacks {_and(absent)}: install the app."
        )
    if missing:
        return OdooCheck(
            False,
            f"The agent's Odoo user on {config.database!r} cannot {_and(missing)}: give it "
            "those rights in Odoo (Settings → Users).",
        )
    return OdooCheck(
        True,
        f"Odoo {version} at {config.url}, database {config.database!r}: the key works and the "
        "agent's user has every right it needs.",
    )


def _login_refused(where: str, database: str, err: OdooError) -> str:
    """The sentence for a first call Odoo refused: the database, or the key."""
    message = str(err)
    if (err.status == 404 and err.name is None) or "does not exist" in message:
        return f"{where} has no database {database!r}: check ODOO_DB."
    if err.status == 401 or (err.name or "").endswith("AccessDenied"):
        return f"{where} refused the agent's key on {database!r}: check ODOO_API_KEY."
    return f"{where} refused the agent: {message}."


def _no_such_model(err: OdooError) -> bool:
    """Odoo's answer for a model it does not have (its app not installed)."""
    return err.status == 404 or (err.name or "").endswith(("KeyError", "NotFound"))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
