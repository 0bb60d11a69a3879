"""A circuit breaker: after repeated failures the model is skipped for a while."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class BreakerState(enum.StrEnum):
    """closed: calls go through; open: calls are skipped; half_open: one trial call."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failures` consecutive failures; after `reset_seconds` lets one call try."""

    def __init__(
        self,
        *,
        failures: int = 5,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "llm",
    ) -> None:
        self._threshold = failures
        self._reset = reset_seconds
        self._clock = clock
        self._name = name
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker turns half-open when its time is up)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._reset:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def allow(self) -> bool:
        """Whether a call may go out now; half-open lets exactly one trial call through."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial:
            self._trial = True
            log.info("%s breaker half-open: trying the model again", self._name)
            return True
        return False

    def success(self) -> None:
        """A call worked: close the breaker."""
        if self._opened_at is not None:
            log.info("%s breaker closed: the model answers again", self._name)
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def failure(self) -> None:
        """A call failed: count it, and open (or re-open after a failed trial)."""
        self._failures += 1
        if self._trial or (self._opened_at is None and self._failures >= self._threshold):
            self._opened_at = self._clock()
            self._trial = False
            log.warning(
                "%s breaker open after %d failures: the model is skipped for %.1f s",
                self._name,
                self._failures,
                self._reset,
            )
