"""Logging filter that masks anything shaped like a resident ID (DOMAIN §9)."""

import logging
import re
from typing import Any

ID_PATTERN = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9])")


def mask_ids_in_text(text: str) -> str:
    return ID_PATTERN.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text) if text else text


class MaskResidentIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ids_in_text(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        # A traceback repeats exception messages and request paths: mask it too (issue 8).
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_ids_in_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_ids_in_text(record.stack_info)
        return True


try:  # gunicorn is a production dependency; the class is only used through --logger-class
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class MaskingGunicornLogger(_GunicornLogger):  # type: ignore[misc, valid-type]
    """Gunicorn's access log with resident IDs masked in the request line, path, query and referer
    (``gunicorn --logger-class accounts.logging.MaskingGunicornLogger``)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: mask_ids_in_text(v) if isinstance(v, str) else v for k, v in atoms.items()}
