"""Shops (tenants): which shop the code works for, and the scoping of every query to it."""
