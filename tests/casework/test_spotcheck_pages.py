"""Spot-check pages: list, create form (Chinese errors, 400), detail with the seed and sample, the item
page with result / response / close forms, the street's rectification list, the case-page panel, nav
entries, scoping (another county 404) and roles (street staff 403 on create), no inline scripts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.hooks import collect
from accounts.models import User
from casework.models.spotcheck import RectificationStatus, SpotCheck, SpotCheckItem
from tests.casework.test_spotcheck import MONTH_AGO, TODAY, caseload  # noqa: F401 (fixture)
from tests.support import STREET_A


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> block"
    assert not re.search(r"\son[a-z]+=\"", html), "on*= handler attribute"


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "street": STREET_A,
        "period_start": MONTH_AGO.isoformat(),
        "period_end": TODAY.isoformat(),
        "percentage": "10",
        "seed": "page-seed",
        "note": "季度抽查",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_supervisor_creates_records_and_closes_through_the_pages(
    caseload: dict[str, Any],  # noqa: F811
    supervisor_shushan: User,
    reviewer_a: User,
) -> None:
    sup = client_for(supervisor_shushan)
    page = sup.get(reverse("spotcheck-create"))
    assert page.status_code == 200
    assert "抽查比例" in page.content.decode()
    _no_inline_script(page.content.decode())

    bad = sup.post(reverse("spotcheck-create"), _form(percentage="0"))
    assert bad.status_code == 400
    assert "0.01" in bad.content.decode()  # Django's Chinese min-value message names the bound
    bad = sup.post(reverse("spotcheck-create"), _form(period_start=TODAY.isoformat(), period_end=MONTH_AGO.isoformat()))
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    assert SpotCheck.objects.count() == 0

    r = sup.post(reverse("spotcheck-create"), _form())
    check = SpotCheck.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("spotcheck-detail", args=[check.pk])
    assert check.population_size == 23 and check.sample_size == 3 and check.seed == "page-seed"

    detail = sup.get(reverse("spotcheck-detail", args=[check.pk])).content.decode()
    assert "page-seed" in detail and "23" in detail
    assert "结果一致" in detail  # redrawn from the stored population and seed
    printed = sup.get(reverse("spotcheck-print", args=[check.pk])).content.decode()
    assert "社会救助抽查记录表" in printed and "page-seed" in printed and "共 23 件" in printed
    _no_inline_script(printed)
    for case_id in check.sample_ids:
        assert str(case_id) in detail
    _no_inline_script(detail)
    listing = sup.get(reverse("spotcheck-list")).content.decode()
    assert f"#{check.pk}" in listing and "三里庵" in listing

    item = check.items.order_by("seq").first()
    assert item is not None
    url = reverse("spotcheck-item", args=[item.pk])
    assert sup.get(url).status_code == 200
    bad = sup.post(reverse("spotcheck-item-result", args=[item.pk]), {"result": "missing_documents", "note": ""})
    assert bad.status_code == 400 and "须写明问题" in bad.content.decode()
    r = sup.post(
        reverse("spotcheck-item-result", args=[item.pk]), {"result": "missing_documents", "note": "缺少入户调查记录"}
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.rectification_status == RectificationStatus.OPEN

    street = client_for(reviewer_a)
    rect = street.get(reverse("spotcheck-rectifications")).content.decode()
    assert item.case.receipt_no in rect and "缺少入户调查记录" in rect
    _no_inline_script(rect)
    case_page = street.get(reverse("case-detail", args=[item.case_id])).content.decode()
    assert "县级抽查" in case_page and reverse("spotcheck-item", args=[item.pk]) in case_page
    item_page = street.get(url).content.decode()
    assert "反馈整改情况" in item_page and "登记检查结果" not in item_page
    bad = street.post(reverse("spotcheck-item-respond", args=[item.pk]), {"response": "rectified", "note": "好"})
    assert bad.status_code == 400 and "至少4个字" in bad.content.decode()
    r = street.post(
        reverse("spotcheck-item-respond", args=[item.pk]), {"response": "rectified", "note": "已补齐入户调查记录"}
    )
    assert r.status_code == 302
    assert street.post(reverse("spotcheck-item-result", args=[item.pk]), {"result": "correct"}).status_code == 403

    bad = sup.post(reverse("spotcheck-item-close", args=[item.pk]), {"decision": "return", "note": ""})
    assert bad.status_code == 400 and "退回整改须写明理由" in bad.content.decode()
    r = sup.post(reverse("spotcheck-item-close", args=[item.pk]), {"decision": "close", "note": "整改到位"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.rectification_status == RectificationStatus.CLOSED


@pytest.mark.django_db
def test_scoping_roles_and_navigation(
    caseload: dict[str, Any],  # noqa: F811
    supervisor_shushan: User,
    supervisor_feixi: User,
    reviewer_a: User,
    clerk_a: User,
    clerk_b: User,
) -> None:
    sup = client_for(supervisor_shushan)
    sup.post(reverse("spotcheck-create"), _form())
    check = SpotCheck.objects.get()
    item = SpotCheckItem.objects.filter(spot_check=check).first()
    assert item is not None

    feixi = client_for(supervisor_feixi)
    assert feixi.get(reverse("spotcheck-detail", args=[check.pk])).status_code == 404
    assert feixi.get(reverse("spotcheck-item", args=[item.pk])).status_code == 404
    assert feixi.post(reverse("spotcheck-item-result", args=[item.pk]), {"result": "correct"}).status_code == 404
    assert f"#{check.pk}" not in feixi.get(reverse("spotcheck-list")).content.decode()
    form_page = feixi.post(reverse("spotcheck-create"), _form())
    assert form_page.status_code == 400  # 三里庵 is not a choice for 肥西
    assert SpotCheck.objects.count() == 1

    for user in (reviewer_a, clerk_a):
        c = client_for(user)
        assert c.get(reverse("spotcheck-create")).status_code == 403
        assert c.post(reverse("spotcheck-create"), _form()).status_code == 403
        assert c.get(reverse("spotcheck-detail", args=[check.pk])).status_code == 404
        assert c.get(reverse("spotcheck-list")).status_code == 302  # to the rectification list
    # Before a fault result, the street does not see the sampled case at all.
    assert client_for(reviewer_a).get(reverse("spotcheck-item", args=[item.pk])).status_code == 404
    sup.post(reverse("spotcheck-item-result", args=[item.pk]), {"result": "missing_documents", "note": "缺少授权书"})
    assert client_for(reviewer_a).get(reverse("spotcheck-item", args=[item.pk])).status_code == 200
    assert client_for(clerk_b).get(reverse("spotcheck-item", args=[item.pk])).status_code == 404

    assert {"label": "抽查", "url": reverse("spotcheck-list")} in collect("nav_items", supervisor_shushan)
    assert {"label": "抽查整改", "url": reverse("spotcheck-rectifications")} in collect("nav_items", reviewer_a)
    tiles = collect("home_tiles", reviewer_a)
    assert {"label": "抽查待整改 1 件", "url": reverse("spotcheck-rectifications")} in tiles
    assert not [t for t in collect("home_tiles", clerk_b) if "抽查" in t["label"]]
    sup_tiles = collect("home_tiles", supervisor_shushan)
    assert {"label": "抽查待整改 1 件", "url": reverse("spotcheck-rectifications")} in sup_tiles
    assert {
        "label": "整改反馈待审核 0 件",
        "url": reverse("spotcheck-rectifications") + "?status=responded",
    } in sup_tiles
    feixi_tiles = collect("home_tiles", supervisor_feixi)
    assert {"label": "抽查待整改 0 件", "url": reverse("spotcheck-rectifications")} in feixi_tiles
