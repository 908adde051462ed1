"""gunicorn settings read from the working directory (``gunicorn hefei_aid.wsgi:application …``, in
docker-compose.yml and bench/load_test.py); the command line still sets bind, workers and logging.

Garbage collection of a worker: once Django, the URL conf (with every view module) and the
templates in use are loaded, the ≈ 200,000 objects they make live until the worker exits.
Python's cyclic collector would walk them again on every full collection and a request allocates
enough (ORM rows, template nodes) to trigger a young collection every few hundred allocations.
``gc.freeze()`` moves what is loaded into a permanent generation the collector skips, and a larger
first threshold makes young collections ≈ 30 × rarer (a request's garbage is mostly freed by
reference counting; cycles are still collected). Measured with ``bench/load/profile_pages.py``:
collection time 0.3–0.7 ms → ≈ 0.1–0.2 ms per request.
"""

from __future__ import annotations

import gc
from typing import Any

YOUNG_GENERATION_THRESHOLD = 20_000  # Python's default is 700


def post_worker_init(worker: Any) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every view module now, not on the first request)
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
