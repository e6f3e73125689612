import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEvent
from accounts.services import audit_record

pytestmark = pytest.mark.django_db


def test_database_refuses_to_update_or_delete_audit_rows(expert):
    assert connection.vendor == "postgresql"
    event = audit_record(actor=expert, verb="user.signed_in", target=expert)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="nothing.happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_auditevent")

    event.refresh_from_db()
    assert event.verb == "user.signed_in"


def test_audit_admin_is_read_only(client, staff_with_mfa, expert):
    event = audit_record(actor=expert, verb="user.signed_in", target=expert)
    client.force_login(staff_with_mfa)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert client.get(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403


def test_only_staff_and_auditors_read_the_audit_log(expert, staff_with_mfa):
    from django.contrib.auth.models import Group

    from tests.conftest import api_as
    from tests.factories import UserFactory

    audit_record(actor=expert, verb="user.signed_in", target=expert)
    assert api_as(expert).get("/api/v1/audit-events/").status_code == 403
    auditor = UserFactory(email="audrey@plumbline.example")
    auditor.groups.add(Group.objects.get(name="auditor"))
    assert api_as(auditor).get("/api/v1/audit-events/?verb=user.signed_in").json()["count"] == 1
