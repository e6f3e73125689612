"""Schemathesis against the project's own OpenAPI schema, as every role.

For each role, every operation in the schema gets a few generated requests (valid bodies and
parameters, real object ids in the path so requests reach the serializers rather than a 404),
sent in-process to the WSGI application. Every response must: not be a 5xx, have a status code
the schema documents, and have a body that matches the schema. Generation is derandomized, so a
run is repeatable; the example count is small so the whole file stays around two minutes.

The requests run inside the test's transaction (pytest-django `db`): the WSGI handler normally
closes the connection at the start and end of each request, which would break that transaction,
so the test disconnects those two signal receivers, as Django's own test client does.
"""

from __future__ import annotations

import json
import os
import random

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import AUDITOR_GROUP, Role
from accounts.services import api_token_create
from config.wsgi import application
from labeling import services as labeling
from payments.testing.localstripe_server import LocalStripe
from tests.factories import (
    CompanyUserFactory,
    ExpertFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffFactory,
)
from tests.labeling.factories import add_items, live_project

# Examples per operation and role; FUZZ_EXAMPLES=50 for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ROLES = ["anonymous", "expert", "owner", "reviewer", "viewer", "staff", "auditor"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema():
    # The same document /api/schema/ serves, made plain JSON (no lazy strings, no enums).
    raw = SchemaGenerator().get_schema(request=None, public=True)
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))


@pytest.fixture(scope="module")
def localstripe():
    # Funding and payout onboarding call Stripe: a real local Stripe, not a mock. localstripe
    # makes object ids with the global `random`, which Hypothesis reseeds for every example, so
    # the same ids came back and localstripe answered 409 Conflict: give it its own generator.
    from localstripe import resources as ls_resources

    ls_resources.random = random.SystemRandom()
    server = LocalStripe(host="127.0.0.1", port=0).start()
    yield server
    server.stop()
    ls_resources.random = random


@pytest.fixture
def in_process_wsgi():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _world() -> dict:
    """One company with a live project (regular and gold items), its members, an expert with a
    submitted-and-rejected annotation under appeal and a live lease, staff and an auditor."""
    org = OrganizationFactory()
    users = {
        role: MembershipFactory(organization=org, role=role, user=CompanyUserFactory()).user
        for role in (Role.OWNER, Role.REVIEWER, Role.VIEWER)
    }
    expert = ExpertFactory()
    staff = StaffFactory()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())
    auditor = StaffFactory(is_staff=False)
    auditor.groups.add(Group.objects.get_or_create(name=AUDITOR_GROUP)[0])

    project = live_project(org, actor=users[Role.OWNER], overlap=1)
    items = add_items(project, 4, gold=1)
    lease = labeling.task_claim(project=project, expert=expert)
    annotation = labeling.annotation_submit(
        assignment_id=lease.pk,
        expert=expert,
        response={"choice": "a", "strength": 2},
        active_seconds=30,
    )
    labeling.annotation_reject(annotation_id=annotation.pk, actor=users[Role.REVIEWER], reason="x")
    appeal = labeling.appeal_open(expert=expert, note="I followed §2.", annotation_id=annotation.pk)
    live_lease = labeling.task_claim(project=project, expert=expert)
    return {
        "users": {
            "expert": expert,
            "owner": users[Role.OWNER],
            "reviewer": users[Role.REVIEWER],
            "viewer": users[Role.VIEWER],
            "staff": staff,
            "auditor": auditor,
        },
        "path": {
            "project_id": project.pk,
            "org_id": org.pk,
            "annotation_id": annotation.pk,
            "appeal_id": appeal.pk,
            "task_id": live_lease.pk,
            "item_id": items[-1].pk,
            "membership_id": org.memberships.get(user=users[Role.VIEWER]).pk,
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema_for_every_role(role, in_process_wsgi, localstripe, settings):
    settings.STRIPE_API_BASE = localstripe.url
    world = _world()
    headers = {}
    if role != "anonymous":
        user = world["users"][role]
        _, raw = api_token_create(user=user, name="fuzz")
        headers["Authorization"] = f"Bearer {raw}"
        # A spare token to revoke, so DELETE /tokens/{id}/ never revokes the one in use.
        world["path"]["token_id"] = api_token_create(user=user, name="spare")[0].pk

    failures: list[str] = []
    for result in _schema().get_all_operations():
        operation = result.ok()
        known = {
            p.name: world["path"][p.name]
            for p in operation.path_parameters
            if p.name in world["path"]
        }

        @given(case=operation.as_strategy(path_parameters=known))
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(app=in_process_wsgi, headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, f"{len(failures)} operations failed as {role}:\n" + "\n".join(failures)
