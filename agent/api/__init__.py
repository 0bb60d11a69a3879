"""The shop's REST API under `/api/v1`: products, customers, orders and conversations."""

from agent.api.mount import mount_api

__all__ = ["mount_api"]
