"""Routes take the runtime's parts from the app: refused while it has none, served once given."""

from __future__ import annotations

import httpx

from salesagent.app import create_app, provide
from salesagent.runtime import Runtime


async def test_routes_answer_503_naming_the_part_until_the_app_is_given_its_parts(
    runtime: Runtime,
) -> None:
    app = create_app(runtime.settings)  # no lifespan runs here: nothing is given yet
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as http:
        before = [await http.get(path) for path in ("/info", "/health", "/api/v1/products")]

        provide(app, runtime)
        info = await http.get("/info")

    assert [r.status_code for r in before] == [503, 503, 503]
    assert [r.json()["detail"] for r in before] == [
        "this app runs without its settings",
        "this app runs without its runtime",
        "this app runs without its sessions",
    ]
    assert info.status_code == 200
    assert info.json()["shop"] == runtime.settings.shop_name
    assert "web" in info.json()["channels"]
