"""Valid resident IDs for bench writes (GB 11643 check digit), unique per counter value."""

from __future__ import annotations

import datetime as dt

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


def resident_id(n: int) -> str:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(n // 1000) % 20000)
    body = f"340181{birth:%Y%m%d}{n % 1000:03d}"
    return body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]
