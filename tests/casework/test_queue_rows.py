"""The work queue's rows, printed by Jinja2 (templates/jinja2/casework/queue_rows.html, included by the
queue page templates/jinja2/casework/queue.html)."""

from __future__ import annotations

import dataclasses

import pytest
from django.template import engines
from django.utils import translation
from jinja2 import UndefinedError

from casework.views.rows import QueueRow

ROW = QueueRow(
    case_id=7,
    url="/cases/7/",
    receipt_no="340104001-2026-000007",
    applicant_name='<script>alert("x")</script>张三',
    applicant_id_masked="340104********1234",
    type_labels=["最低生活保障", "特困人员供养"],
    status_label="已受理(待核对)",
    status_class="info",
    accepted_on="2026-11-02",
    next_label="启动核对",
    next_date="11-05",
    provisional=True,
    overdue=["核对"],
    fast_track=True,
    emergency_title="巢湖洪涝 & 内涝",
)


def render_queue_rows(rows: list[QueueRow]) -> str:
    """The rows' table alone, as the queue page includes it (with its ``rows``)."""
    return str(engines["jinja2"].get_template("casework/queue_rows.html").render({"rows": rows}))


def test_every_value_is_escaped_and_every_part_of_the_row_printed() -> None:
    with translation.override("zh-hans"):
        html = render_queue_rows([ROW])
    # escaped as Django escapes (&quot;, not markupsafe's &#34;)
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;张三" in html
    assert '<tr class="overdue">' in html and '<a href="/cases/7/">340104001-2026-000007</a>' in html
    assert '<span class="badge">最低生活保障</span> <span class="badge">特困人员供养</span>' in html
    assert '<span class="badge info">已受理(待核对)</span>' in html and "<td>2026-11-02</td>" in html
    assert '启动核对 11-05 <span class="badge" title="节假日安排未公布，按周一至周五推算">暂定</span>' in html
    assert '<span class="badge bad">核对</span> <span class="badge fast">急难快速通道</span>' in html
    assert '<span class="badge warn">巢湖洪涝 &amp; 内涝</span>' in html


def test_a_row_without_deadline_or_flags_and_an_empty_page() -> None:
    quiet = dataclasses.replace(ROW, next_label="", provisional=False, overdue=[], fast_track=False, emergency_title="")
    html = render_queue_rows([quiet])
    assert "<tr>" in html and "<td>—</td>" in html and "badge bad" not in html and "badge fast" not in html
    with translation.override("zh-hans"):
        assert "没有需要处理的案件" in render_queue_rows([])


def test_labels_follow_the_active_language() -> None:
    with translation.override("en"):
        english = render_queue_rows([])
        assert translation.gettext("受理编号") in english and "受理编号" not in english
        assert translation.gettext("没有需要处理的案件") in english


def test_an_undefined_name_is_an_error_not_an_empty_cell() -> None:
    with pytest.raises(UndefinedError):
        engines["jinja2"].from_string("{{ row.no_such_column }}").render({"row": ROW})
