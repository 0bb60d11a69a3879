"""Odoo: website livechat served by the agent, handoff to Odoo operators, catalog and orders."""
