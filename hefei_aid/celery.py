import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")

app = Celery("hefei_aid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
