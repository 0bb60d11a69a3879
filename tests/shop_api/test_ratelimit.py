"""Rate limits as a client meets them: 429 with Retry-After, then service again after it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from fixtures.api_keys import new_key
from fixtures.live_server import serving
from websockets.exceptions import InvalidStatus

from agent.ratelimit import InMemoryRateLimiter
from agent.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(per_minute=30, burst=3, clock=clock)

    first = [await limiter.hit("a") for _ in range(3)]
    refused = await limiter.hit("a")
    other = await limiter.hit("b")
    clock.now += 1.0
    still_refused = await limiter.hit("a")
    clock.now += 1.0
    again = await limiter.hit("a")
    clock.now += 3600
    burst_after_rest = [(await limiter.hit("a")).allowed for _ in range(4)]

    assert all(d.allowed for d in first)
    assert not refused.allowed and refused.retry_after == 2  # one token every 2 s
    assert other.allowed  # each key has its own bucket
    assert not still_refused.allowed and still_refused.retry_after == 1
    assert again.allowed
    assert burst_after_rest == [True, True, True, False]  # never more than the burst


async def test_many_addresses_do_not_grow_the_buckets_without_bound() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(per_minute=60, burst=1, max_keys=100, clock=clock)

    for n in range(1000):
        await limiter.hit(f"ip:{n}")
    assert not (await limiter.hit("ip:999")).allowed

    assert len(limiter._buckets) <= 100


def limited(settings: Settings, **limits: object) -> Settings:
    return settings.model_copy(update=limits)


async def test_an_api_key_over_its_rate_gets_429_until_retry_after(
    demo_settings: Settings,
) -> None:
    settings = limited(demo_settings, api_rate_limit_per_minute=60, api_rate_limit_burst=3)
    busy, quiet = await new_key(settings, "busy"), await new_key(settings, "quiet")
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        busy_auth = {"Authorization": f"Bearer {busy}"}
        allowed = [await http.get("/api/v1/orders", headers=busy_auth) for _ in range(3)]
        refused = await http.get("/api/v1/orders", headers=busy_auth)
        other_key = await http.get("/api/v1/orders", headers={"X-API-Key": quiet})

        assert [r.status_code for r in allowed] == [200, 200, 200]
        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert retry_after == 1 == refused.json()["retry_after"]
        assert "too many requests" in refused.json()["detail"]
        assert other_key.status_code == 200

        await asyncio.sleep(retry_after + 0.05)
        recovered = await http.get("/api/v1/orders", headers=busy_auth)
        assert recovered.status_code == 200 and "items" in recovered.json()


async def test_the_public_chat_is_limited_per_address_and_recovers(
    demo_settings: Settings,
) -> None:
    settings = limited(demo_settings, chat_rate_limit_per_minute=60, chat_rate_limit_burst=2)
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        message = {"chat_id": "busy", "message": "hola"}
        allowed = [await http.post("/chat/text", json=message) for _ in range(2)]
        refused = await http.post("/chat/text", json=message)
        history = await http.get("/chat/history/busy")
        spoofed = await http.post(
            "/chat/text", json=message, headers={"X-Forwarded-For": "203.0.113.9"}
        )
        health = await http.get("/health")  # not a chat endpoint: never limited

        assert [r.status_code for r in allowed] == [200, 200]
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "try again in 1 s" in refused.json()["detail"]
        assert history.status_code == 429
        assert spoofed.status_code == 429  # X-Forwarded-For is not believed by default
        assert health.status_code == 200

        await asyncio.sleep(1.05)
        recovered = await http.post("/chat/text", json=message)
        assert recovered.status_code == 200 and recovered.json()["reply"]


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    demo_settings: Settings,
) -> None:
    settings = limited(
        demo_settings,
        chat_rate_limit_per_minute=1,
        chat_rate_limit_burst=1,
        forwarded_allow_ips="127.0.0.1",
    )
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:

        async def send(client: str) -> int:
            response = await http.post(
                "/chat/text",
                json={"chat_id": f"c-{client}", "message": "hola"},
                headers={"X-Forwarded-For": client},
            )
            return response.status_code

        assert [await send("198.51.100.1"), await send("198.51.100.1")] == [200, 429]
        assert await send("198.51.100.2") == 200


async def test_new_chat_sockets_are_limited_per_address(demo_settings: Settings) -> None:
    settings = limited(demo_settings, chat_rate_limit_per_minute=1, chat_rate_limit_burst=2)
    async with serving(settings) as live:
        socket_url = live.chat_url("tab-1")
        statuses = []
        for _ in range(3):
            try:
                async with websockets.connect(socket_url, open_timeout=10):
                    statuses.append(101)
            except InvalidStatus as refused:
                statuses.append(refused.response.status_code)
                if refused.response.status_code == 429:
                    assert refused.response.headers["Retry-After"] == "60"

    assert 429 not in statuses[:2]
    assert statuses[2] == 429


@pytest.mark.parametrize("value", [0, 0.0])
async def test_a_limit_of_zero_turns_it_off(demo_settings: Settings, value: float) -> None:
    settings = limited(demo_settings, chat_rate_limit_per_minute=value, chat_rate_limit_burst=1)
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        statuses = {(await http.get("/chat/history/x")).status_code for _ in range(5)}

    assert 429 not in statuses


async def test_a_shop_page_can_read_the_429_and_its_preflights_cost_nothing(
    demo_settings: Settings,
) -> None:
    shop = "https://shop.example"
    settings = limited(
        demo_settings,
        chat_rate_limit_per_minute=1,
        chat_rate_limit_burst=1,
        web_allowed_origins=shop,
    )
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        preflight = {"Access-Control-Request-Method": "POST", "Origin": shop}
        preflights = [(await http.options("/chat/text", headers=preflight)) for _ in range(3)]
        message = {"chat_id": "shop", "message": "hola"}
        answered = await http.post("/chat/text", json=message, headers={"Origin": shop})
        refused = await http.post("/chat/text", json=message, headers={"Origin": shop})

    assert [r.status_code for r in preflights] == [200, 200, 200]
    assert answered.status_code == 200
    assert refused.status_code == 429
    assert refused.headers["access-control-allow-origin"] == shop
    # one token a minute, less the time the answered turn took
    assert 50 <= refused.json()["retry_after"] <= 60
    assert refused.headers["retry-after"] == str(refused.json()["retry_after"])
