"""Domain errors carrying an HTTP status, rendered once as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://plaudit.dev/problems/"


class PlauditError(Exception):
    """Base of every error a client may see. ``detail`` must be a sentence a person can act on."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}

    def problem(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


class InvalidInput(PlauditError):
    status = 422
    slug = "validation-error"
    title = "Your request has invalid fields"


class Unauthenticated(PlauditError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(PlauditError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(PlauditError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(PlauditError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class PayloadTooLarge(PlauditError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(PlauditError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class RateLimited(PlauditError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class ServiceUnavailable(PlauditError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


class Busy(ServiceUnavailable):
    """Concurrent changes kept this request from completing within its budget; nothing was
    written, and the same request can be sent again (answered with Retry-After)."""

    slug = "busy"
    title = "Busy with concurrent changes; retry"


def not_found(kind: str, ident: object) -> NotFound:
    return NotFound(f"No {kind} with id '{ident}' exists in this organization.")
