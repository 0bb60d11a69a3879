"""The gateway every model call goes through: breaker, deadline, retries, spend and health."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from agent.llm.breaker import CircuitBreaker
from agent.llm.cache import ResponseCache
from agent.llm.errors import LLMError, LLMOutputError, LLMTimeout, LLMUnavailable
from agent.llm.pricing import FREE, Price
from agent.llm.types import Completion, Prompt, Provider, Usage

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Spend:
    """Model calls made for one purpose (a turn's reading, its phrasing) and what they cost."""

    model: str | None = None
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal = Decimal(0)
    outages: int = 0
    """Calls that failed because the service did not answer (timeouts, 429/5xx, refused);
    a malformed answer is not one."""

    def add(self, other: Spend) -> None:
        """Count `other` in this spend."""
        self.model = other.model or self.model
        self.calls += other.calls
        self.usage = self.usage + other.usage
        self.cost_usd += other.cost_usd
        self.outages += other.outages


@dataclass(slots=True)
class CallStats:
    """Process-wide counters: what `salesagent eval` and the benchmark report."""

    calls: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    cache_hits: int = 0
    wire_seconds: float = 0.0
    """Time spent waiting on the provider (network and model)."""
    product_seconds: float = 0.0
    """Time the product spent around the calls: prompts, redaction, parsing, guard."""

    @contextmanager
    def product_time(self) -> Iterator[None]:
        """Count the block's time, less what it waited on the provider, as product time."""
        started = time.perf_counter()
        wire_before = self.wire_seconds
        try:
            yield
        finally:
            wire = self.wire_seconds - wire_before
            self.product_seconds += time.perf_counter() - started - wire

    @property
    def total_calls(self) -> int:
        """Every call that went out, retries included."""
        return sum(self.calls.values())


class LLMService:
    """One provider behind a circuit breaker, per-call deadlines and retries with backoff."""

    def __init__(
        self,
        provider: Provider,
        *,
        breaker: CircuitBreaker | None = None,
        cache: ResponseCache | None = None,
        price: Price = FREE,
        retries: int = 2,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 4.0,
    ) -> None:
        self.provider = provider
        self.breaker = breaker or CircuitBreaker()
        self.cache = cache or ResponseCache(size=0)
        self.price = price
        self.stats = CallStats()
        self._retries = retries
        self._base_delay = retry_base_delay
        self._max_delay = retry_max_delay
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None

    @property
    def enabled(self) -> bool:
        """False for the offline provider: nothing is ever sent."""
        return self.provider.name != "offline"

    @property
    def model(self) -> str:
        """The configured model's name."""
        return self.provider.model

    def available(self) -> bool:
        """Whether a call would be attempted now (enabled, breaker not open)."""
        return self.enabled and self.breaker.state.value != "open"

    def status(self) -> dict[str, Any]:
        """What `/health` shows about the model."""
        return {
            "provider": self.provider.name,
            "model": self.provider.model if self.enabled else None,
            "breaker": self.breaker.state.value,
            "consecutive_failures": self.breaker.consecutive_failures,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "calls": self.stats.total_calls,
            "cache_hits": self.stats.cache_hits,
        }

    def spend_of(self, usage: Usage, calls: int = 1) -> Spend:
        """The spend of `calls` calls that used `usage` tokens."""
        return Spend(self.provider.model, calls, usage, self.price.cost(usage))

    async def complete(self, kind: str, prompt: Prompt, *, budget: float, spend: Spend) -> str:
        """The answer's text; retries 429/5xx with backoff within `budget` seconds in all.

        Every attempt is counted in `spend`; an LLMError says why there is no answer.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        attempt = 0
        while True:
            self._admit(kind)
            spend.add(self.spend_of(Usage(), 1))
            self.stats.calls[kind] += 1
            started = time.perf_counter()
            try:
                async with asyncio.timeout_at(deadline):
                    completion: Completion = await self.provider.complete(
                        prompt, http_timeout=max(0.1, deadline - loop.time())
                    )
            except TimeoutError:
                error: LLMError = LLMTimeout(f"{kind}: no answer within {budget:.1f} s")
            except LLMError as err:
                error = err
            else:
                self.stats.wire_seconds += time.perf_counter() - started
                self.breaker.success()
                spend.add(self.spend_of(completion.usage, 0))
                return completion.text
            self.stats.wire_seconds += time.perf_counter() - started
            self.failed(kind, error)
            spend.outages += not isinstance(error, LLMOutputError)
            attempt += 1
            delay = self._delay(attempt, error)
            if not error.retryable or attempt > self._retries or loop.time() + delay >= deadline:
                raise error
            log.info("%s: retrying in %.2f s after %s", kind, delay, error)
            await asyncio.sleep(delay)

    async def stream(
        self, kind: str, prompt: Prompt, *, budget: float, spend: Spend
    ) -> AsyncGenerator[str, None]:
        """The answer's text piece by piece, all of it within `budget` seconds.

        A 429/5xx before the first piece is retried; once pieces have been given, a failure
        raises (the caller decides what the customer sees).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        attempt = 0
        while True:
            self._admit(kind)
            spend.add(self.spend_of(Usage(), 1))
            self.stats.calls[kind] += 1
            pieces = self.provider.stream(prompt, http_timeout=max(0.1, deadline - loop.time()))
            given = False
            wire = 0.0
            try:
                while True:
                    started = time.perf_counter()
                    try:
                        async with asyncio.timeout_at(deadline):
                            piece = await anext(pieces)
                    except StopAsyncIteration:
                        break
                    finally:
                        wire += time.perf_counter() - started
                    if piece.usage is not None:
                        spend.add(self.spend_of(piece.usage, 0))
                    if piece.text:
                        if not given:
                            self.breaker.success()  # the service answers, whatever follows
                        given = True
                        yield piece.text
            except TimeoutError:
                error: LLMError = LLMTimeout(f"{kind}: the answer took over {budget:.1f} s")
            except LLMError as err:
                error = err
            else:
                self.stats.wire_seconds += wire
                self.breaker.success()
                return
            finally:
                await pieces.aclose()
            self.stats.wire_seconds += wire
            self.failed(kind, error)
            spend.outages += not isinstance(error, LLMOutputError)
            attempt += 1
            delay = self._delay(attempt, error)
            retry = error.retryable and not given and attempt <= self._retries
            if not retry or loop.time() + delay >= deadline:
                raise error
            log.info("%s: retrying in %.2f s after %s", kind, delay, error)
            await asyncio.sleep(delay)

    def failed(self, kind: str, error: LLMError) -> None:
        """Record a failed call: the breaker, the log, the health page."""
        self.stats.failures[kind] += 1
        self.last_error = f"{type(error).__name__}: {error}"
        self.last_error_at = datetime.now(UTC)
        if not isinstance(error, LLMOutputError):
            # A malformed answer is the model's slip, not the service being down.
            self.breaker.failure()
        log.warning("%s with %s failed: %s", kind, self.provider.name, self.last_error)

    def _admit(self, kind: str) -> None:
        if not self.enabled:
            raise LLMUnavailable("no model is configured (LLM_PROVIDER=offline)")
        if not self.breaker.allow():
            self.stats.skipped += 1
            raise LLMUnavailable(f"{kind}: circuit breaker open, the model is skipped")

    def _delay(self, attempt: int, error: LLMError) -> float:
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            return float(min(retry_after, self._max_delay))
        backoff = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
        return float(backoff * (0.5 + random.random() / 2))

    async def close(self) -> None:
        """Release the provider."""
        await self.provider.close()
