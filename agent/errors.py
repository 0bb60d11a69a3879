"""One exception tree for the whole product; translated to HTTP or CLI output at the edge."""

from __future__ import annotations

from typing import Any


class SalesAgentError(Exception):
    """Root of every error the product raises on purpose."""


class ConfigurationError(SalesAgentError):
    """A setting is missing or invalid; the message names the variable."""


class InvalidInputError(SalesAgentError):
    """Input from a customer, a channel or a file that cannot be used as given."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(SalesAgentError):
    """A record that was asked for does not exist."""


class ConflictError(SalesAgentError):
    """A change the record's current state does not allow; `details` say what that state is."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class AuthenticationError(SalesAgentError):
    """A request to the shop's API without a valid key; `error` is the RFC 6750 error code."""

    def __init__(self, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class RateLimitedError(SalesAgentError):
    """Too many requests from one key or address; `retry_after` is in whole seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutOfStockError(SalesAgentError):
    """A sale could not be closed because a product no longer has the units asked for."""

    def __init__(self, sku: str, available: int) -> None:
        super().__init__(f"only {available} units of {sku} left")
        self.sku = sku
        self.available = available


class ChannelError(SalesAgentError):
    """A channel failed to receive or deliver a message."""


class ChannelAuthError(ChannelError):
    """A request claiming to come from a channel could not be verified."""


class RecipientAwayError(ChannelError):
    """Nobody is connected to receive a reply now (a closed web chat); it waits for them."""


class RetryableError(ChannelError):
    """A delivery that may succeed later; `retry_after` is in seconds when the vendor says."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AnswerLostError(RetryableError):
    """A send whose answer never came (a timeout, a dropped connection): the vendor may have the
    message, so the retry asks it first where it can be asked."""


class UndeliverableError(ChannelError):
    """A delivery that can never succeed as it is (refused by the vendor, outside WhatsApp's
    24-hour window, held back by a guard): recorded as failed at once, never retried."""


class OutcomeUnknownError(UndeliverableError):
    """A process stopped while the vendor was being handed the message, and the vendor cannot be
    asked whether it has it: not sent again (at most once), failed for staff to see."""


class StorageError(SalesAgentError):
    """The file store refused or failed an operation (a missing file, a server error)."""


class TurnTimeoutError(SalesAgentError):
    """A queued turn did not finish in time (no worker running, or all of them busy); the
    message stays queued and is answered when a worker takes it."""


class FeedInterruptedError(SalesAgentError):
    """The live feed between processes (Redis) broke: events sent meanwhile may be lost, so
    whoever waited on one reads the database instead."""


class DatabaseUnavailableError(SalesAgentError):
    """The database could not be reached (restarting, say): the work is done again later."""
