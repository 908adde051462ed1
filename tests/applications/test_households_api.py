from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import AuditLog, User
from applications.models import Household, Member
from tests.support import COMMUNITY_B, STREET_B, api_client, household_payload, make_resident_id

URL = "/api/v1/households/"


@pytest.mark.django_db
def test_create_household_through_api_masks_ids_in_output(clerk_a: User) -> None:
    response = api_client(clerk_a).post(URL, household_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    full_id = make_resident_id(seq=123)
    assert full_id not in response.content.decode()
    assert body["members"][0]["id_number"] == full_id[:6] + "********" + full_id[-4:]
    assert body["phone"] == "138****5678"
    assert body["bank_account"].endswith("8901") and "6228480012345678901" not in response.content.decode()
    assert body["members"][0]["sex"] == "M"
    assert body["members"][0]["birth_date"] == "1980-05-17"


@pytest.mark.django_db
def test_identifiers_are_encrypted_at_rest(household_a: Household) -> None:
    full_id = make_resident_id(seq=123)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, id_index, id_masked FROM applications_member")
        rows = cur.fetchall()
        cur.execute("SELECT phone, bank_account FROM applications_household")
        phone, account = cur.fetchone()
        # No column of any member row holds the plaintext ID.
        cur.execute("SELECT count(*) FROM applications_member m WHERE m::text LIKE %s", [f"%{full_id}%"])
        (plaintext_hits,) = cur.fetchone()
    assert plaintext_hits == 0
    assert all(r[0].startswith("g1:") and full_id not in r[0] for r in rows)
    assert "13812345678" not in phone and phone.startswith("g1:")
    assert "6228480012345678901" not in account
    # The ORM decrypts transparently.
    assert Member.objects.get(id_index=rows[0][1]).id_number in {
        full_id,
        make_resident_id(birth=__import__("datetime").date(1982, 3, 9), seq=246),
    }


@pytest.mark.django_db
def test_invalid_id_is_a_400_with_chinese_field_message(clerk_a: User) -> None:
    payload = household_payload()
    payload["members"][0]["id_number"] = "340104198005171230"  # wrong check digit
    response = api_client(clerk_a).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "校验位" in response.json()["members"]["0"]["id_number"][0]
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_same_id_cannot_be_active_member_of_two_households(clerk_a: User, household_a: Household) -> None:
    response = api_client(clerk_a).post(URL, household_payload(), format="json")
    assert response.status_code == 400
    assert "已是其他在册家庭的成员" in str(response.json())
    # Nothing half-written: still exactly one household and its two members.
    assert Household.objects.count() == 1
    assert Member.objects.count() == 2


@pytest.mark.django_db
def test_clerk_of_another_street_gets_404_and_list_excludes(clerk_b: User, household_a: Household) -> None:
    client = api_client(clerk_b)
    assert client.get(f"{URL}{household_a.pk}/").status_code == 404
    assert client.patch(f"{URL}{household_a.pk}/", {"address": "x"}, format="json").status_code == 404
    member = household_a.members.first()
    assert client.post(f"/api/v1/members/{member.pk}/reveal/", {"reason": "核对身份信息"}).status_code == 404
    listing = client.get(URL).json()
    assert listing["count"] == 0


@pytest.mark.django_db
def test_clerk_cannot_create_household_in_another_street(clerk_a: User) -> None:
    response = api_client(clerk_a).post(URL, household_payload(street=STREET_B, community=COMMUNITY_B), format="json")
    assert response.status_code == 400
    assert "管辖范围" in str(response.json()["street"])


@pytest.mark.django_db
def test_county_supervisor_sees_county_but_not_other_county(
    household_a: Household, supervisor_shushan: User, supervisor_feixi: User, city_admin: User
) -> None:
    assert api_client(supervisor_shushan).get(f"{URL}{household_a.pk}/").status_code == 200
    assert api_client(supervisor_feixi).get(f"{URL}{household_a.pk}/").status_code == 404
    assert api_client(city_admin).get(URL).json()["count"] == 1


@pytest.mark.django_db
def test_anonymous_is_refused(household_a: Household) -> None:
    assert api_client(None).get(URL).status_code in {401, 403}


@pytest.mark.django_db
def test_audit_rows_for_create_and_update(clerk_a: User) -> None:
    client = api_client(clerk_a)
    created = client.post(URL, household_payload(), format="json").json()
    row = AuditLog.objects.get(action="household.create")
    assert row.actor == clerk_a and row.object_id == str(created["id"])
    assert row.after["address"] == "长江西路100号3栋502室"
    assert make_resident_id(seq=123) not in str(row.after)  # audit holds masked IDs only
    response = client.patch(f"{URL}{created['id']}/", {"homes": 2, "reason": "入户核实有第二套住房"}, format="json")
    assert response.status_code == 200
    update = AuditLog.objects.get(action="household.update")
    assert update.before == {"homes": 1} and update.after == {"homes": 2}
    assert update.reason == "入户核实有第二套住房"


@pytest.mark.django_db
def test_audit_trigger_refuses_update_and_delete(household_a: Household) -> None:
    from django.db import DatabaseError, transaction

    row = AuditLog.objects.first()
    assert row is not None
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE accounts_auditlog SET reason = 'tampered' WHERE id = %s", [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM accounts_auditlog WHERE id = %s", [row.pk])
    row.refresh_from_db()
    assert row.reason == ""


@pytest.mark.django_db
def test_reveal_needs_permission_and_reason_and_is_audited(
    household_a: Household, clerk_a: User, approver_a: User
) -> None:
    member = household_a.members.get(relation="self")
    url = f"/api/v1/members/{member.pk}/reveal/"
    assert api_client(clerk_a).post(url, {"reason": "核对身份信息"}).status_code == 403
    assert api_client(approver_a).post(url, {"reason": ""}).status_code == 400
    response = api_client(approver_a).post(url, {"reason": "银行代发核对身份"})
    assert response.status_code == 200
    assert response.json()["id_number"] == make_resident_id(seq=123)
    audit = AuditLog.objects.get(action="member.reveal_id")
    assert audit.actor == approver_a and audit.reason == "银行代发核对身份"


@pytest.mark.django_db
def test_search_by_masked_and_full_id(clerk_a: User, household_a: Household) -> None:
    client = api_client(clerk_a)
    full = make_resident_id(seq=123)
    masked = full[:6] + "********" + full[-4:]
    assert [h["id"] for h in client.get(URL, {"q": masked}).json()["results"]] == [household_a.pk]
    assert [h["id"] for h in client.get(URL, {"q": full.lower()}).json()["results"]] == [household_a.pk]
    assert [h["id"] for h in client.get(URL, {"q": "张三"}).json()["results"]] == [household_a.pk]
    assert client.get(URL, {"q": "王五"}).json()["count"] == 0
