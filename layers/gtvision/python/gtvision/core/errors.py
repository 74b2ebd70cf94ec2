"""Domain exceptions and the single place that maps them to HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    """An error a caller can act on; `code` is the contract's snake_case code."""

    status = 400

    def __init__(self, code: str, message: str, headers: dict[str, str | list[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: Extra response headers (e.g. Retry-After on a 429; a list repeats the header).
        self.headers: dict[str, str | list[str]] = headers or {}

    def to_body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class Malformed(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class TooLarge(DomainError):
    status = 413


class Invalid(DomainError):
    status = 422


class RateLimited(DomainError):
    status = 429


class Unavailable(DomainError):
    status = 503


def not_found(what: str = "recurso") -> NotFound:
    """The one 404 used for missing ids and for other cities' ids alike.

    "inexistente" agrees with any noun (cidade, câmera, usuário, gravação), unlike "não encontrado".
    """
    return NotFound("not_found", f"{what} inexistente")


class PoisonMessage(Exception):
    """A queue message that can never succeed (not JSON, unknown ids...): it belongs in the DLQ, fast
    (`gtvision.core.retries.RetryingBatchProcessor` sends it there; kept here so raising it costs no batch import)."""


class BadInput(Exception):
    """The input itself cannot be processed (unreadable media, values out of range): the feature records why
    (a rejected segment, a failed clip) and the message succeeds — retrying cannot help."""


class TransientError(Exception):
    """A failure that says nothing about the input (a timeout, a killed process, a resource running out):
    retried with backoff, never a rejection."""


class ResourceExhausted(TransientError):
    """The machine ran out of something (scratch space, a writable scratch, file handles, memory): retried
    after minutes, not seconds — the same instance filling up again at once helps nobody."""


#: A stored failure reason is at most this long; of a longer one the first `ERROR_HEAD` characters (what failed)
#: are kept and the rest is its tail (ffmpeg prints the cause last).
ERROR_CHARS = 600
ERROR_HEAD = 160


def bounded_reason(error: str) -> str:
    """A failure reason fit to store and show: at most `ERROR_CHARS`, head and tail."""
    if len(error) <= ERROR_CHARS:
        return error
    return error[:ERROR_HEAD] + " … " + error[-(ERROR_CHARS - ERROR_HEAD - 3) :]
