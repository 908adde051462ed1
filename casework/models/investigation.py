"""Home investigation (入户调查, DOMAIN §6.4): at least two staff, findings, optional photos."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models.case import Case

PHOTO_SIGNATURES = {"jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def validate_photo(upload: File) -> None:
    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in PHOTO_SIGNATURES:
        raise ValidationError(_("照片只接受 JPG 或 PNG 文件。"), code="photo_type")
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("照片不能超过 5 MB。"), code="photo_size")
    handle = upload.file
    if handle is None:
        raise ValidationError(_("无法读取上传的文件。"), code="photo_unreadable")
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if not bytes(head).startswith(PHOTO_SIGNATURES[ext]):
        raise ValidationError(_("文件内容与扩展名不符。"), code="photo_content")


def photo_upload_to(instance: models.Model, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"investigations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class Investigation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="investigations")
    visited_on = models.DateField(_("入户日期"))
    investigators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("调查人员"))
    findings = models.TextField(_("调查情况"))
    adopted = models.JSONField(_("采纳的核对差异"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("入户调查")
        verbose_name_plural = _("入户调查")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.visited_on}"


class InvestigationPhoto(models.Model):
    investigation = models.ForeignKey(Investigation, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=photo_upload_to, validators=[validate_photo])
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("调查照片")
        verbose_name_plural = _("调查照片")

    def __str__(self) -> str:
        return f"{self.investigation_id} photo {self.pk}"
