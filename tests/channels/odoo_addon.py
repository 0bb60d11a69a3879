"""The addon's webhook module (plain Python, no `odoo` import), loaded from the addon's folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ADDON = Path(__file__).parents[2] / "channels" / "odoo_livechat" / "addon" / "salesagent_livechat"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "salesagent_livechat_webhook", ADDON / "webhook.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


addon_webhook = _load()
"""`webhook.py` of the addon: `build_payload`, `encode`, `signed_headers`, `signature`..."""
