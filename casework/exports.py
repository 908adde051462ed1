"""Exports of the payment roll: Excel (.xlsx, openpyxl) and CSV (UTF-8 with BOM for Excel).

Only what the roll lines hold is exported, and they hold masked identifiers only (account: last 4
digits; resident ID: first 6 and last 4) — the export cannot leak a full number (DOMAIN §9).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from casework.models.payments import PaymentRoll, RollLine
from casework.services.payments import roll_totals


def _header() -> list[str]:
    return [
        _("序号"),
        _("社区(村)"),
        _("领款人"),
        _("证件号(脱敏)"),
        _("保障类别"),
        _("类别"),
        _("金额(元)"),
        _("开户银行"),
        _("银行账号(脱敏)"),
    ]


def _rows(roll: PaymentRoll) -> list[list[object]]:
    lines = RollLine.objects.filter(roll=roll).order_by("community_name", "household_id", "kind", "id")
    return [
        [
            n,
            line.community_name,
            line.payee_name,
            line.id_masked,
            line.get_tier_display(),
            line.get_kind_display(),
            line.amount,
            line.bank_name,
            line.account_masked,
        ]
        for n, line in enumerate(lines, start=1)
    ]


def _title(roll: PaymentRoll) -> str:
    status = _("已锁定") if roll.is_locked else _("草稿，未锁定")
    return _("%(street)s %(month)s 社会救助金发放名册(%(status)s)") % {
        "street": roll.street.name,
        "month": f"{roll.month:%Y年%m月}",
        "status": status,
    }


def roll_filename(roll: PaymentRoll, ext: str) -> str:
    return f"payment-roll-{roll.street_id}-{roll.month:%Y-%m}.{ext}"


def roll_xlsx(roll: PaymentRoll) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{roll.month:%Y-%m}"
    ws.append([_title(roll)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    header = _header()
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in _rows(roll):
        ws.append(row)
        ws.cell(row=ws.max_row, column=7).number_format = "#,##0.00"
    ws.append([])
    ws.append([_("分类合计")])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    totals = roll_totals(roll)
    for t in totals["by_tier"]:
        ws.append(
            ["", t["tier_label"], t["kind_label"], _("%(n)d 笔") % {"n": t["count"]}, "", "", Decimal(t["total"])]
        )
        ws.cell(row=ws.max_row, column=7).number_format = "#,##0.00"
    ws.append(["", _("合计"), "", _("%(n)d 笔") % {"n": totals["count"]}, "", "", Decimal(totals["total"])])
    ws.cell(row=ws.max_row, column=7).number_format = "#,##0.00"
    ws.cell(row=ws.max_row, column=2).font = Font(bold=True)
    widths = [6, 18, 10, 22, 16, 16, 12, 14, 24]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=4, min_col=7, max_col=7):
        for cell in row:
            cell.alignment = Alignment(horizontal="right")
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roll_csv(roll: PaymentRoll) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(out)
    writer.writerow([_title(roll)])
    writer.writerow(_header())
    for row in _rows(roll):
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
    totals = roll_totals(roll)
    for t in totals["by_tier"]:
        writer.writerow(["", t["tier_label"], t["kind_label"], t["count"], "", "", t["total"], "", ""])
    writer.writerow(["", _("合计"), "", totals["count"], "", "", totals["total"], "", ""])
    return out.getvalue()
