from typing import Any


class BusinessError(Exception):
    """A rule refused the write. Carries a stable code and a Chinese message for the user."""

    status = 400

    def __init__(self, message: str, *, code: str = "business_rule", status: int | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra
        if status is not None:
            self.status = status


class Conflict(BusinessError):
    status = 409
