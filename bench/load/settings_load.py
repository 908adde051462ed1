"""Production settings for the load bench: ``hefei_aid.settings`` unchanged (run with DEBUG=0 and the
production environment variables), except that collected static files go to the bench's own
folder instead of the shared ``var/static``."""

from hefei_aid.settings import *  # noqa: F403
from hefei_aid.settings import BASE_DIR

STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
