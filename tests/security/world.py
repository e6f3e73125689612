"""One small "world" for the security tests: two companies, two experts, staff and an auditor,
and at least one row of every kind a URL can point at.

`build_world()` returns a `World`. Its objects belong to Acme AI (company A) and to the expert
Alice, except where noted; Globex Labs (company B) and the expert Bob are the "other" side, so
calling an endpoint on the world's objects as `owner2` or `expert2` is the "someone else's object"
case, and as `owner`/`expert` the "own object" case.

Roles (`World.users`): anon (None), expert, expert2, owner, manager, reviewer, viewer (Acme),
owner2 (Globex), staff (with TOTP, so the MFA middleware lets them in), auditor (auditor group).

Secret strings, for leak checks by grepping response bodies:
- `GOLD_SENTINEL` prefixes every gold answer (its rationale), in both Acme projects;
- `DRAFT_SENTINEL` is in the title of Acme's draft project (no expert, no Globex member may see it);
- `ALICE_SENTINEL` is in Alice's private text (credential identifier, annotation rationale, appeal
  note): Bob and Globex must never see it.

Alice also has an accepted regular task and an accepted gold task in `project`, both earned (so
her pay stub there exists; Bob has none), and Bob has an annotation awaiting review. A small live
project with a content warning (`objects["warned_project"]`) takes the job actions (opt-in,
applying), which need a warning and no earlier application to do anything.

The world is built with the services where that is cheap (claims, submits, review, appeals,
suspension, tests, invitations) and with plain rows where a service would need Stripe or a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AUDITOR_GROUP, Invitation, Membership, Role, User
from labeling import services as labeling_services
from labeling.exceptions import ExpertSuspended, NoTaskAvailable
from labeling.models import (
    Annotation,
    Appeal,
    Assignment,
    ExpertProjectStats,
    ExportJob,
    ImportJob,
    Item,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from labeling.quality.models import QualityFlag
from marketplace.models import (
    DomainPayFloor,
    Project,
    ProjectApplication,
    ProjectInvitation,
    ProjectStatus,
)
from payments import services as payment_services
from payments.models import Payout
from qualifications.models import Domain, Qualification
from qualifications.services import tests as test_services
from tests.factories import (
    CompanyUserFactory,
    ExpertFactory,
    MembershipFactory,
    OrganizationFactory,
    StaffFactory,
)
from tests.marketplace.factories import make_project
from tests.payments.money import fund_escrow
from tests.qualifications.factories import CredentialFactory

GOLD_SENTINEL = "GOLDSENTINEL"
DRAFT_SENTINEL = "DRAFTSENTINEL-acme-unreleased"
ALICE_SENTINEL = "ALICESENTINEL"
ROLES = (
    "anon",
    "expert",
    "expert2",
    "owner",
    "manager",
    "reviewer",
    "viewer",
    "owner2",
    "staff",
    "auditor",
)
# The expert's answers: "a" like the gold answers, so the main project never suspends anyone.
GOOD = {"choice": "a", "strength": 2, "rationale": "Looks right."}
BAD = {"choice": "b", "strength": 1, "rationale": "Looks wrong."}


def gold_answer(tag: str) -> dict:
    return {"choice": "a", "strength": 3, "rationale": f"{GOLD_SENTINEL}-{tag}"}


@dataclass
class World:
    users: dict[str, User | None]
    acme: object
    globex: object
    project: Project  # Acme, live, regular and gold items, worked on by Alice and Bob
    suspended_project: Project  # Acme, live, Alice suspended after missing gold items
    draft: Project  # Acme, draft, secret title
    globex_project: Project  # Globex, draft
    task: Assignment  # Alice's live lease in `project`
    annotation: Annotation  # Alice's rejected annotation in `project` (appealed)
    appeal: Appeal  # Alice's open appeal against that rejection
    suspension_appeal: Appeal
    gold_items: list[Item]
    missed_gold: list[Item]  # gold items of `suspended_project` Alice answered wrongly
    objects: dict[str, object] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return self.users[role]


def _member(org, role: str, email: str) -> User:
    user = CompanyUserFactory(email=email)
    MembershipFactory(organization=org, role=role, user=user)
    return user


def _items(project: Project, *, regular: int, gold: int, tag: str) -> list[Item]:
    payload = {"prompt": "Which answer is safer?", "response_a": "A.", "response_b": "B."}
    rows = [
        Item(
            project=project,
            external_id=f"{tag}-r{i}",
            payload=dict(payload, prompt=f"Case {tag}-{i}: which is safer?"),
            open_slots=project.overlap,
        )
        for i in range(regular)
    ] + [
        Item(
            project=project,
            external_id=f"{tag}-c{i}",
            payload=dict(payload, prompt=f"Case {tag}-x{i}: which is safer?"),
            is_gold=True,
            gold_answer=gold_answer(f"{tag}-{i}"),
            open_slots=0,
        )
        for i in range(gold)
    ]
    return Item.objects.bulk_create(rows)


def _claim(project: Project, expert: User) -> Assignment:
    """A lease, gold or not as the random draw says. When the draw asks for a regular item and
    the expert has done them all, the claim finds none: draw again."""
    for _ in range(100):
        try:
            return labeling_services.task_claim(project=project, expert=expert)
        except NoTaskAvailable:
            continue
    raise NoTaskAvailable()


def _work(project: Project, expert: User, n: int, response=GOOD) -> list[Annotation]:
    """Claim and submit n tasks as `expert` (gold or not, as the service serves them)."""
    done = []
    while len(done) < n:
        lease = _claim(project, expert)
        done.append(
            labeling_services.annotation_submit(
                assignment_id=lease.pk, expert=expert, response=response, active_seconds=40
            )
        )
    return done


def _suspend(project: Project, expert: User) -> list[Item]:
    """Answer the first gold item right and every later one wrong until suspended; returns the
    gold items answered wrongly (what the suspension notice may show)."""
    right_once = False
    for _ in range(200):
        try:
            lease = labeling_services.task_claim(project=project, expert=expert)
        except ExpertSuspended:
            break
        except NoTaskAvailable:  # the draw asked for a regular item and there are none left
            continue
        response = GOOD if (lease.is_gold and not right_once) or not lease.is_gold else BAD
        right_once = right_once or lease.is_gold
        labeling_services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=response, active_seconds=40
        )
    stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    assert stats.is_suspended, "the world's expert was never suspended"
    missed = Item.objects.filter(
        annotations__expert=expert, annotations__gold_correct=False, project=project
    )
    return list(missed)


def build_world() -> World:
    now = timezone.now()
    acme = OrganizationFactory(name="Acme AI", slug="acme-ai")
    globex = OrganizationFactory(name="Globex Labs", slug="globex-labs")
    staff = StaffFactory(email="sam.staff@plumbline.example")
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(staff, generate_totp_secret())
    auditor = CompanyUserFactory(email="ada.auditor@plumbline.example")
    auditor.groups.add(Group.objects.get_or_create(name=AUDITOR_GROUP)[0])
    users: dict[str, User | None] = {
        "anon": None,
        "expert": ExpertFactory(email="alice.expert@example.com"),
        "expert2": ExpertFactory(email="bob.expert@example.com"),
        "owner": _member(acme, Role.OWNER, "olivia.owner@acme.example"),
        "manager": _member(acme, Role.MANAGER, "max.manager@acme.example"),
        "reviewer": _member(acme, Role.REVIEWER, "rita.reviewer@acme.example"),
        "viewer": _member(acme, Role.VIEWER, "victor.viewer@acme.example"),
        "owner2": _member(globex, Role.OWNER, "gina.owner@globex.example"),
        "staff": staff,
        "auditor": auditor,
    }
    alice, bob, owner = users["expert"], users["expert2"], users["owner"]

    config = {"rationale": "optional"}
    project = make_project(
        acme,
        status=ProjectStatus.LIVE,
        actor=owner,
        overlap=2,
        gold_ratio_bps=3000,
        task_config=config,
    )
    suspended_project = make_project(
        acme,
        status=ProjectStatus.LIVE,
        actor=owner,
        overlap=1,
        gold_ratio_bps=5000,
        task_config=config,
        title="Second cardiology batch",
    )
    draft = make_project(acme, actor=owner, title=f"{DRAFT_SENTINEL} project")
    # No items: only for the job actions (content opt-in, applying), which it makes decisive.
    warned_project = make_project(
        acme,
        status=ProjectStatus.LIVE,
        actor=owner,
        title="Injury photo triage",
        content_warning="violence",
        content_warning_note="Photos of injuries.",
        visibility="invite_only",
    )
    globex_project = make_project(globex, title="Globex draft")
    # Enough regular items that a fresh expert (the gold walk) still finds some after Alice and
    # Bob, however the random gold draws fell.
    items = _items(project, regular=24, gold=6, tag="main")
    gold_items = [i for i in items if i.is_gold]
    _items(suspended_project, regular=20, gold=20, tag="susp")

    # Alice and Bob work on the main project; one of Alice's is rejected and appealed.
    bob_done = _work(project, bob, 3)
    alice_done = _work(project, alice, 3, response=dict(GOOD, rationale=f"{ALICE_SENTINEL} work"))
    # Two regular (one to reject, one to accept) and a gold one (accepted: paid like any task).
    while sum(not a.assignment.is_gold for a in alice_done) < 2 or all(
        not a.assignment.is_gold for a in alice_done
    ):
        alice_done += _work(project, alice, 1, response=dict(GOOD, rationale=ALICE_SENTINEL))
    annotation, accepted = [a for a in alice_done if not a.assignment.is_gold][:2]
    accepted_gold = next(a for a in alice_done if a.assignment.is_gold)
    labeling_services.annotation_reject(
        annotation_id=annotation.pk,
        actor=users["reviewer"],
        reason="Ignored the safety section",
        reference_kind="instruction",
        reference_text="§2 Safety",
    )
    appeal = labeling_services.appeal_open(
        expert=alice, annotation_id=annotation.pk, note=f"{ALICE_SENTINEL} I followed §2."
    )
    task = _claim(project, alice)
    _claim(project, bob)

    missed = _suspend(suspended_project, alice)
    suspension_appeal = labeling_services.appeal_open(
        expert=alice, project_id=suspended_project.pk, note="Please look again."
    )

    # Qualifications: a domain, Alice's credential, a test with a question and her attempt.
    domain = Domain.objects.order_by("id").first()
    credential = CredentialFactory(expert=alice, identifier=f"{ALICE_SENTINEL}-GMC-1")
    qualification = Qualification.objects.create(
        expert=alice, domain=domain, level=2, source=Qualification.Source.STAFF, note="world"
    )
    qtest = test_services.test_create(
        author=staff,
        domain=domain,
        title="Cardiology basics",
        grant_level=2,
        pass_mark_percent=60,
        time_limit_minutes=20,
        max_attempts=3,
        retake_cooldown_hours=0,
        grant_valid_days=365,
        is_published=True,
    )
    test_services.question_create(
        author=staff,
        test=qtest,
        kind="single",
        prompt="Which is a beta blocker?",
        gold="b",
        explanation="Metoprolol is.",
        choices=[{"key": "a", "text": "Amlodipine"}, {"key": "b", "text": "Metoprolol"}],
    )
    attempt = test_services.attempt_start(expert=alice, test=qtest)

    # Marketplace: a project invitation to Alice, an application of hers, a domain pay floor.
    project_invitation = ProjectInvitation.objects.create(
        project=project, expert=alice, invited_by=owner
    )
    application = ProjectApplication.objects.create(project=project, expert=alice, note="Hi")
    floor = DomainPayFloor.objects.create(domain=domain, min_hourly_rate_minor=2000, set_by=staff)

    # Accounts: a pending organization invitation, Alice's API token, a membership to edit.
    org_invitation = Invitation.objects.create(
        organization=acme,
        email="new.member@acme.example",
        role=Role.VIEWER,
        invited_by=owner,
        expires_at=now + timedelta(days=7),
    )
    token, _raw = account_services.api_token_create(user=alice, name="script")
    membership = Membership.objects.get(organization=acme, user=users["viewer"])

    # Labeling jobs, webhooks, a quality flag.
    import_job = ImportJob.objects.create(
        project=project,
        uploaded_by=owner,
        file_name="items.jsonl",
        file_path="x",
        file_format="jsonl",
    )
    export_job = ExportJob.objects.create(
        project=project, requested_by=owner, export_format="annotations.jsonl"
    )
    endpoint = WebhookEndpoint.objects.create(
        organization=acme,
        url="https://hooks.acme.example/plumbline",
        events=["annotation.accepted"],
        created_by=owner,
    )
    event = WebhookEvent.objects.create(organization=acme, type="annotation.accepted", payload={})
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, status="failed")
    flag = QualityFlag.objects.create(
        project=project, expert=alice, kind=QualityFlag.Kind.SPEEDER, message="Fast."
    )

    # Payments: escrow funding, Alice's accepted work earned (her pay stub for `project`; Bob
    # has none there) and a payout of hers (her payout account is made on demand).
    funding = fund_escrow(project, 500_000, tag="world")
    for done in (accepted, accepted_gold):
        labeling_services.annotation_accept(annotation_id=done.pk, actor=users["reviewer"])
    assert payment_services.earnings_post(annotation_ids=[accepted.pk, accepted_gold.pk]) == 2
    payout = Payout.objects.create(expert=alice, amount=2500, currency="USD", batch="world")

    return World(
        users=users,
        acme=acme,
        globex=globex,
        project=project,
        suspended_project=suspended_project,
        draft=draft,
        globex_project=globex_project,
        task=task,
        annotation=annotation,
        appeal=appeal,
        suspension_appeal=suspension_appeal,
        gold_items=gold_items,
        missed_gold=missed,
        objects={
            "domain": domain,
            "credential": credential,
            "qualification": qualification,
            "test": qtest,
            "attempt": attempt,
            "project_invitation": project_invitation,
            "application": application,
            "floor": floor,
            "org_invitation": org_invitation,
            "token": token,
            "membership": membership,
            "import_job": import_job,
            "export_job": export_job,
            "endpoint": endpoint,
            "delivery": delivery,
            "flag": flag,
            "funding": funding,
            "payout": payout,
            "pending_annotation": bob_done[0],  # awaits review
            "warned_project": warned_project,
        },
    )


# URL kwarg name -> how to fill it from the world. A route may override a kwarg (below) when the
# same name means a different row (job_id of an import vs an export).
def url_kwargs(world: World, route_name: str, names: list[str]) -> dict:
    o = world.objects
    values = {
        "org_id": world.acme.pk,
        "membership_id": o["membership"].pk,
        "token_id": o["token"].pk,
        "token": o["org_invitation"].token,
        "credential_id": o["credential"].pk,
        "test_id": o["test"].pk,
        "attempt_id": o["attempt"].pk,
        "qualification_id": o["qualification"].pk,
        "project_id": world.project.pk,
        "invitation_id": o["project_invitation"].pk,
        "application_id": o["application"].pk,
        "domain_id": o["domain"].pk,
        "task_id": world.task.pk,
        "annotation_id": world.annotation.pk,
        "job_id": o["export_job"].pk,
        "export_format": "annotations.jsonl",
        "appeal_id": world.appeal.pk,
        "endpoint_id": o["endpoint"].pk,
        "delivery_id": o["delivery"].pk,
        "item_id": world.gold_items[0].pk,
        "flag_id": o["flag"].pk,
        "funding_id": o["funding"].pk,
        "payout_id": o["payout"].pk,
        "step": "basics",
    }
    overrides = {
        "api-project-import": {"job_id": o["import_job"].pk},
        "company_import_job_row": {"job_id": o["import_job"].pk},
        "api-my-suspension": {"project_id": world.suspended_project.pk},
        "wizard_step": {"token": o.get("wizard_token", "no-such-wizard")},
        "my_suspension": {"project_id": world.suspended_project.pk},
        # Alice has applied to `project` already and it has no content warning.
        "job_opt_in": {"project_id": o["warned_project"].pk},
        "job_apply": {"project_id": o["warned_project"].pk},
        "api-job-opt-in": {"project_id": o["warned_project"].pk},
        "api-job-apply": {"project_id": o["warned_project"].pk},
        # Alice's annotation is reviewed already; review the one awaiting review.
        "review_accept": {"annotation_id": o["pending_annotation"].pk},
        "review_reject": {"annotation_id": o["pending_annotation"].pk},
        "api-review-accept": {"annotation_id": o["pending_annotation"].pk},
        "api-review-reject": {"annotation_id": o["pending_annotation"].pk},
    }
    values.update(overrides.get(route_name, {}))
    missing = [n for n in names if n not in values]
    assert not missing, f"{route_name}: no world object for URL kwargs {missing}; add one"
    return {n: values[n] for n in names}
