"""gunicorn.conf.py: a worker's loaded code is frozen out of the garbage collector's reach."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

from django.conf import settings


def test_post_worker_init_freezes_what_is_loaded_and_raises_the_young_threshold() -> None:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", Path(settings.BASE_DIR) / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    threshold = gc.get_threshold()
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000  # Django, every view module, the URL conf
        assert gc.get_threshold() == (conf.YOUNG_GENERATION_THRESHOLD, threshold[1], threshold[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
