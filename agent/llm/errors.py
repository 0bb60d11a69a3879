"""Why a model call failed; every one of them degrades to the offline path."""

from __future__ import annotations

from agent.errors import SalesAgentError


class LLMError(SalesAgentError):
    """A model call that gave no usable answer."""

    retryable = False


class LLMUnavailable(LLMError):
    """The provider could not be reached, or the circuit breaker is open."""


class LLMTimeout(LLMError):
    """The call took longer than its timeout."""


class LLMRateLimited(LLMError):
    """The provider said 429: too many requests (retried with backoff)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMServerError(LLMError):
    """The provider answered 5xx (retried with backoff)."""

    retryable = True


class LLMRequestError(LLMError):
    """The provider refused the request (4xx other than 429): retrying would not help."""


class LLMOutputError(LLMError):
    """The model answered, but not in the shape asked for (malformed JSON, schema violation)."""


class LLMStreamBroken(LLMError):
    """A streamed answer stopped before its end."""
