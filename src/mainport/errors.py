"""Domain errors raised by services; the API maps each to one HTTP status and one error shape."""

from __future__ import annotations

from typing import Any


class MainportError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAuthenticated(MainportError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(MainportError):
    status_code = 403
    code = "forbidden"


class NotFound(MainportError):
    status_code = 404
    code = "not_found"


class Conflict(MainportError):
    status_code = 409
    code = "conflict"


class ValidationFailed(MainportError):
    status_code = 422
    code = "validation_failed"


class TooManyRequests(MainportError):
    status_code = 429
    code = "too_many_requests"


class PayloadTooLarge(MainportError):
    status_code = 413
    code = "payload_too_large"
