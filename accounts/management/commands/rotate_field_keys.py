"""Re-encrypt every encrypted column with the current (first) FIELD_ENCRYPTION_KEY and rebuild the
blind indexes. Run after putting a new key first in FIELD_ENCRYPTION_KEY (keep the old ones after
it until this finishes); then the old keys can be removed."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import audit_record
from accounts.crypto import EncryptedTextField, blind_index


class Command(BaseCommand):
    help = "用当前密钥重新加密全部加密字段并重建盲索引(密钥轮换)。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch_size"]
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            has_index = any(f.name == "id_index" for f in model._meta.get_fields())
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), batch):
                with transaction.atomic():
                    rows = model._default_manager.select_for_update().filter(pk__in=pks[start : start + batch])
                    row: Any
                    for row in rows:
                        update = list(fields)
                        if has_index and row.id_number:
                            row.id_index = blind_index(row.id_number)
                            update.append("id_index")
                        row.save(update_fields=update)  # get_prep_value re-encrypts with the first key
                        total += 1
            self.stdout.write(f"{model._meta.label}: {len(pks)} rows re-encrypted")
        with transaction.atomic():
            audit_record(
                actor=None,
                action="crypto.rotate_keys",
                object_type="system",
                object_id="field-keys",
                after={"rows": total},
                actor_label="manage.py rotate_field_keys",
            )
