"""Logging filter that masks anything shaped like a resident ID (DOMAIN §9)."""

import logging
import re

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
        return True
