"""A configured model writes a lead's summary and next step, under the grounding guard.

The rules' texts are what the model rephrases; the lead's facts (kind, items, quantities,
prices, amount, missing fields) are what it may state. An answer with a number the facts do
not hold or a missing part keeps the rules' texts for good; a model that does not answer keeps
them until a later round gets an answer. The model is asked with no transaction open; the
answer is written only if the lead did not change meanwhile; texts written are a change of the
lead (told to `on_lead`, and to Odoo).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.leads.changes import LeadChanged, LeadListener, changed, tell, told
from agent.llm.errors import LLMError
from agent.llm.factory import LLM
from agent.llm.grounding import Grounds
from agent.llm.privacy import Redactor
from agent.llm.service import Spend
from agent.llm.types import Prompt
from agent.models import Lead

log = logging.getLogger(__name__)

SYSTEM = (
    "Eres el asistente interno de {shop}. Con los datos de una oportunidad de venta escribe, en "
    "español, dos líneas para un asesor: en la primera, un resumen de una frase de qué quiere el "
    "cliente y cuánto; en la segunda, empezando por 'Siguiente paso:', qué debe hacer el asesor. "
    "Usa solo los datos dados; no inventes productos, cifras ni precios. Sin saludos ni listas."
)
NEXT_MARK = "siguiente paso:"


def lead_facts(lead: Lead) -> dict[str, Any]:
    """What the model may say about a lead (its numbers are the only ones allowed)."""
    return {
        "kind": lead.kind.value,
        "items": lead.items,
        "amount": str(lead.amount) if lead.amount is not None else None,
        "currency": lead.currency,
        "company": lead.company,
        "missing": lead.missing,
    }


async def phrase_lead(
    lead: Lead, llm: LLM, *, shop_name: str, budget: float
) -> tuple[str, str] | None:
    """The model's summary and next step of `lead`, or None when they are not grounded (the
    rules' texts stand); an LLMError when the model did not answer."""
    facts = lead_facts(lead)
    private = [("phone", lead.phone)] if lead.phone else []
    redactor = Redactor(private, enabled=llm.privacy)
    user = (
        f"Datos:\n{redactor.redact(json.dumps(facts, ensure_ascii=False))}\n\n"
        f"Resumen del sistema: {lead.summary}\nSiguiente paso del sistema: {lead.next_step}"
    )
    prompt = Prompt(
        system=SYSTEM.format(shop=shop_name), user=user, temperature=0.2, max_output_tokens=200
    )
    text = await llm.service.complete("lead", prompt, budget=budget, spend=Spend())
    text = redactor.restore(text.strip())
    summary, _, step = text.partition("\n")
    step = step.strip()
    if step.lower().startswith(NEXT_MARK):
        step = step[len(NEXT_MARK) :].strip()
    summary = " ".join(summary.split())
    step = " ".join(step.split())
    template = f"{lead.summary} {lead.next_step}"
    problems = Grounds(facts, template).problems(f"{summary} {step}")
    if problems or not summary or not step:
        log.info("lead #%s: the model's texts were not grounded: %s", lead.id, "; ".join(problems))
        return None
    return summary, step


async def phrase_leads(
    sessions: async_sessionmaker[AsyncSession],
    llm: LLM,
    *,
    shop_name: str,
    budget: float,
    limit: int = 20,
    on_lead: LeadListener | None = None,
) -> int:
    """Let the model write the texts of the leads the rules filled last, each told to
    `on_lead`; how many it wrote."""
    if not llm.service.enabled or not llm.service.available():
        return 0
    async with sessions() as session:
        leads = list(
            (
                await session.scalars(
                    select(Lead).where(Lead.phrased.is_(False)).order_by(Lead.id).limit(limit)
                )
            ).all()
        )
    written = 0
    for lead in leads:
        try:
            phrased = await phrase_lead(lead, llm, shop_name=shop_name, budget=budget)
        except LLMError as err:  # asked again next round; the breaker spaces the tries
            log.info("lead #%s keeps the rules' texts for now: %s", lead.id, err)
            break
        change = await _keep(sessions, lead.id, lead.updated_at, phrased)
        if change is not None:
            written += 1
            await tell(on_lead, [change])
    return written


async def _keep(
    sessions: async_sessionmaker[AsyncSession],
    lead_id: int,
    read_at: datetime,
    phrased: tuple[str, str] | None,
) -> LeadChanged | None:
    """Write the model's texts (or mark the rules' as final) unless the lead changed since;
    the change when texts were written."""
    async with transaction(sessions) as session:
        lead = await session.get(Lead, lead_id, with_for_update=True)
        if lead is None or lead.updated_at != read_at:
            return None
        lead.phrased = True
        if phrased is None:
            return None
        lead.summary, lead.next_step = phrased
        changed(lead)
        return told(lead)
