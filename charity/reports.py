"""Fund statement (收支报表) and grants by street and need type, for pages and .xlsx exports.

Both are computed from the ledger lines, never from the cached balances, so they agree with the books
by construction: closing = opening + in − out, where "in" and "out" are the fund's cash debits and
credits booked in the period, grouped by entry type (a reversal is its own row, 冲销更正).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, F, IntegerField, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from accounts.crypto import mask_id
from charity.models import ZERO, AccountKind, EntryKind, Fund, HandOff, JournalLine, NeedType, purpose_label

MONEY_FORMAT = "#,##0.00"
# A resident ID that might have slipped into free text (a memo, a note) is masked in every export.
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_ids_in_text(text: str) -> str:
    return ID_PATTERN.sub(lambda m: mask_id(m.group(0)), text or "")


@dataclass
class StatementRow:
    kind: str
    label: str
    inflow: Decimal = ZERO
    outflow: Decimal = ZERO


@dataclass
class StatementLine:
    booked_on: dt.date
    number: str
    entry_id: int
    kind_label: str
    memo: str
    inflow: Decimal
    outflow: Decimal
    balance: Decimal


@dataclass
class Statement:
    fund: Fund
    start: dt.date
    end: dt.date
    opening: Decimal
    inflow: Decimal
    outflow: Decimal
    closing: Decimal
    rows: list[StatementRow]
    lines: list[StatementLine]
    closing_by_purpose: list[tuple[str, Decimal]]


def fund_statement(fund: Fund, start: dt.date, end: dt.date) -> Statement:
    cash = JournalLine.objects.filter(account__fund=fund, account__kind=AccountKind.CASH)
    opening = _net(cash.filter(entry__booked_on__lt=start))
    period = (
        cash.filter(entry__booked_on__gte=start, entry__booked_on__lte=end)
        .values("entry_id", "entry__booked_on", "entry__kind", "entry__memo")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("entry__booked_on", "entry_id")
    )
    rows = {kind: StatementRow(kind=kind, label=str(label)) for kind, label in EntryKind.choices}
    lines: list[StatementLine] = []
    balance = opening
    for item in period:
        row = rows[item["entry__kind"]]
        row.inflow += item["debit"]
        row.outflow += item["credit"]
        balance += item["debit"] - item["credit"]
        lines.append(
            StatementLine(
                booked_on=item["entry__booked_on"],
                number=f"记-{item['entry_id']:06d}",
                entry_id=item["entry_id"],
                kind_label=row.label,
                memo=item["entry__memo"],
                inflow=item["debit"],
                outflow=item["credit"],
                balance=balance,
            )
        )
    inflow = sum((r.inflow for r in rows.values()), ZERO)
    outflow = sum((r.outflow for r in rows.values()), ZERO)
    by_purpose = (
        cash.filter(entry__booked_on__lte=end)
        .values("account__purpose")
        .annotate(net=Sum(F("debit") - F("credit")))
        .order_by("account__purpose")
    )
    return Statement(
        fund=fund,
        start=start,
        end=end,
        opening=opening,
        inflow=inflow,
        outflow=outflow,
        closing=opening + inflow - outflow,
        rows=[r for r in rows.values() if r.inflow or r.outflow],
        lines=lines,
        closing_by_purpose=[(purpose_label(p["account__purpose"]), p["net"]) for p in by_purpose if p["net"]],
    )


def _net(lines: QuerySet[JournalLine]) -> Decimal:
    sums = lines.aggregate(debit=Sum("debit", default=ZERO), credit=Sum("credit", default=ZERO))
    return sums["debit"] - sums["credit"]


@dataclass
class GrantCell:
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class GrantsReport:
    start: dt.date
    end: dt.date
    needs: list[tuple[str, str]]
    streets: list[tuple[str, str]]
    cells: dict[tuple[str, str], GrantCell]
    street_totals: dict[str, GrantCell]
    need_totals: dict[str, GrantCell]
    total: GrantCell = field(default_factory=GrantCell)

    def cell(self, street: str, need: str) -> GrantCell:
        return self.cells.get((street, need), GrantCell())

    def totals_row(self) -> list[GrantCell]:
        return [self.need_totals[need] for need, _label in self.needs]

    def table(self) -> list[tuple[str, str, list[GrantCell], GrantCell]]:
        """(street code, street name, one cell per need column, street total) for templates and xlsx."""
        return [
            (code, name, [self.cell(code, need) for need, _label in self.needs], self.street_totals[code])
            for code, name in self.streets
        ]


def grants_by_street_and_need(handoffs: QuerySet[HandOff], start: dt.date, end: dt.date) -> GrantsReport:
    """Grants paid in the period (net of reversals booked in the period) for the given hand-offs."""
    rows = (
        JournalLine.objects.filter(
            account__kind=AccountKind.GRANTS,
            entry__handoff__in=handoffs.values("pk"),
            entry__booked_on__gte=start,
            entry__booked_on__lte=end,
        )
        .values("entry__handoff__street_id", "entry__handoff__street__name", "account__purpose")
        .annotate(
            amount=Sum(F("debit") - F("credit")),
            count=Sum(Case(When(debit__gt=0, then=Value(1)), default=Value(-1), output_field=IntegerField())),
        )
        .order_by("entry__handoff__street_id", "account__purpose")
    )
    cells: dict[tuple[str, str], GrantCell] = {}
    street_names: dict[str, str] = {}
    street_totals: dict[str, GrantCell] = defaultdict(GrantCell)
    need_totals: dict[str, GrantCell] = defaultdict(GrantCell)
    total = GrantCell()
    for r in rows:
        if not r["count"] and not r["amount"]:
            continue  # paid and reversed within the period
        street, need = r["entry__handoff__street_id"], r["account__purpose"]
        street_names[street] = r["entry__handoff__street__name"]
        cells[(street, need)] = GrantCell(r["count"], r["amount"])
        for bucket in (street_totals[street], need_totals[need], total):
            bucket.count += r["count"]
            bucket.amount += r["amount"]
    needs = [(value, str(label)) for value, label in NeedType.choices if value in need_totals]
    return GrantsReport(
        start=start,
        end=end,
        needs=needs,
        streets=sorted(street_names.items()),
        cells=cells,
        street_totals=dict(street_totals),
        need_totals=dict(need_totals),
        total=total,
    )


# --- .xlsx exports ------------------------------------------------------------------------------


def _title(ws: Worksheet, title: str, subtitle: str) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([subtitle])
    ws.append([])


def _money_cells(ws: Worksheet, row: int, columns: list[int]) -> None:
    for col in columns:
        ws.cell(row=row, column=col).number_format = MONEY_FORMAT


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def statement_xlsx(statement: Statement) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("收支报表")
    fund = statement.fund
    _title(
        ws,
        _("%(f)s 收支报表") % {"f": fund.name},
        _("托管组织：%(h)s　期间：%(s)s 至 %(e)s　单位：元")
        % {"h": fund.holder, "s": statement.start.isoformat(), "e": statement.end.isoformat()},
    )
    for label, value in (
        (_("期初余额"), statement.opening),
        (_("本期收入"), statement.inflow),
        (_("本期支出"), statement.outflow),
        (_("期末余额"), statement.closing),
    ):
        ws.append([label, value])
        _money_cells(ws, ws.max_row, [2])
    ws.append([])
    ws.append([_("按业务类别"), _("收入"), _("支出")])
    for row in statement.rows:
        ws.append([row.label, row.inflow, row.outflow])
        _money_cells(ws, ws.max_row, [2, 3])
    ws.append([])
    ws.append([_("期末余额构成"), _("金额")])
    for label, value in statement.closing_by_purpose:
        ws.append([label, value])
        _money_cells(ws, ws.max_row, [2])
    ws.append([])
    ws.append([_("记账日期"), _("凭证号"), _("类别"), _("摘要"), _("收入"), _("支出"), _("余额")])
    header = ws.max_row
    for cell in ws[header]:
        cell.font = Font(bold=True)
    for line in statement.lines:
        ws.append(
            [
                line.booked_on,
                line.number,
                line.kind_label,
                mask_ids_in_text(line.memo),
                line.inflow or None,
                line.outflow or None,
                line.balance,
            ]
        )
        _money_cells(ws, ws.max_row, [5, 6, 7])
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFG", (14, 12, 12, 48, 14, 14, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws["D1"].alignment = Alignment(wrap_text=False)
    return _save(wb)


def grants_xlsx(report: GrantsReport, scope_name: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("慈善资助统计")
    _title(
        ws,
        _("%(s)s 慈善救助资助统计(按街道、需求类别)") % {"s": scope_name},
        _("期间：%(s)s 至 %(e)s　单位：笔 / 元(已扣除冲销)")
        % {"s": report.start.isoformat(), "e": report.end.isoformat()},
    )
    head = [_("街道(乡镇)")]
    for _need, label in report.needs:
        head += [f"{label}{_('笔数')}", f"{label}{_('金额')}"]
    head += [_("合计笔数"), _("合计金额")]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    money_cols = [3 + 2 * i for i in range(len(report.needs) + 1)]
    for _code, name, cells, total in report.table():
        values: list[object] = [name]
        for cell in cells:
            values += [cell.count, cell.amount]
        values += [total.count, total.amount]
        ws.append(values)
        _money_cells(ws, ws.max_row, money_cols)
    totals: list[object] = [_("合计")]
    for need, _label in report.needs:
        totals += [report.need_totals[need].count, report.need_totals[need].amount]
    totals += [report.total.count, report.total.amount]
    ws.append(totals)
    _money_cells(ws, ws.max_row, money_cols)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 18
    return _save(wb)
