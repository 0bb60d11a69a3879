"""Leads (README "Leads"): conversations with buying interest that did not close.

`rules` reads a turn for the signs of a lead (a quote request, a wholesale question, a request
for a call); `track` records them in the turn's own transaction, one lead per conversation per
episode; `carts` turns carts left idle into leads on a schedule; `phrasing` lets a configured
model write the summary and next step under the grounding guard; `changes` counts each change
of a lead (for Odoo) and tells the open consoles of it.
"""
