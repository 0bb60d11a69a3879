"""The sale: a state machine (`machine`) that places orders (`order_placement`, the only code
that moves money and stock) and says where the sale stands (`replies`)."""

from rag_domains.sales.machine import CLEAR_WINNER, SalesHandler

__all__ = ["CLEAR_WINNER", "SalesHandler"]
