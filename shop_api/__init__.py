"""The shop's REST API under `/api/v1`: products, customers, orders and conversations."""

from shop_api.mount import mount_api

__all__ = ["mount_api"]
