from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import ExpertProfile, User
from qualifications import grading
from qualifications.models import (
    Attempt,
    Credential,
    ExpertDomain,
    Qualification,
    QualificationTest,
    Question,
)

# --- Profile -------------------------------------------------------------------------------------


def profile_for_expert(*, expert: User) -> ExpertProfile:
    """The requester's own profile with domains and languages; 404 for non-experts."""
    profile = (
        ExpertProfile.objects.filter(user=expert)
        .prefetch_related(
            Prefetch("domains", queryset=ExpertDomain.objects.select_related("domain__parent")),
            "languages",
        )
        .first()
    )
    if profile is None:
        raise Http404
    return profile


@dataclass(frozen=True)
class Completeness:
    percent: int
    done: tuple[str, ...]
    missing: tuple[str, ...]


def profile_completeness(profile: ExpertProfile) -> Completeness:
    """How complete the profile is. Uses prefetched domains/languages when present."""
    checks = [
        ("headline", bool(profile.headline.strip())),
        ("bio", len(profile.bio.strip()) >= 40),
        ("country", bool(profile.country)),
        ("timezone", bool(profile.timezone)),
        ("weekly availability", profile.weekly_availability_hours is not None),
        ("at least one domain", bool(list(profile.domains.all()))),
        ("at least one language", bool(list(profile.languages.all()))),
    ]
    done = tuple(name for name, ok in checks if ok)
    missing = tuple(name for name, ok in checks if not ok)
    return Completeness(percent=round(100 * len(done) / len(checks)), done=done, missing=missing)


# --- Credentials ---------------------------------------------------------------------------------


def credentials_for_expert(*, expert: User) -> QuerySet[Credential]:
    return Credential.objects.filter(expert=expert).select_related("domain")


def credential_for_evidence(*, user: User, credential_id: int) -> Credential:
    """The credential whose evidence `user` may see: their own, or any for staff. Everyone
    else (other experts, company members, auditors) gets 404, not 403."""
    qs = Credential.objects.exclude(evidence="")
    if not user.is_staff:
        qs = qs.filter(expert=user)
    credential = qs.filter(pk=credential_id).first()
    if credential is None:
        raise Http404
    return credential


def credential_review_queue(*, status: str = Credential.Status.PENDING) -> QuerySet[Credential]:
    """Oldest first: the credential waiting longest is reviewed first."""
    return (
        Credential.objects.filter(status=status)
        .select_related("expert__expert_profile", "domain__parent")
        .order_by("submitted_at", "id")
    )


# --- Tests and attempts --------------------------------------------------------------------------


@dataclass
class TestSummary:
    test: QualificationTest
    question_count: int
    attempts_used: int
    open_attempt: Attempt | None
    last_attempt: Attempt | None
    available_at: datetime | None  # when a new attempt can start (None: now, or never)
    can_start: bool
    reason: str


def tests_for_expert(*, expert: User) -> list[TestSummary]:
    """Published tests with the expert's standing on each. Three queries."""
    now = timezone.now()
    tests = list(
        QualificationTest.objects.filter(is_published=True, organization__isnull=True)
        .select_related("domain__parent")
        .annotate(question_count=Count("questions"))
        .order_by("domain__name", "title")
    )
    attempts: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(expert=expert).order_by("-started_at"):
        attempts.setdefault(attempt.test_id, []).append(attempt)
    any_open = any(
        a.status == Attempt.Status.IN_PROGRESS and not a.is_overdue(now)
        for rows in attempts.values()
        for a in rows
    )
    summaries = []
    for test in tests:
        mine = attempts.get(test.pk, [])
        open_attempt = next(
            (a for a in mine if a.status == Attempt.Status.IN_PROGRESS and not a.is_overdue(now)),
            None,
        )
        last = mine[0] if mine else None
        available_at, reason = None, ""
        if len(mine) >= test.max_attempts:
            reason = "No attempts left."
        elif last and last.graded_at:
            cooldown_end = last.graded_at + timedelta(hours=test.retake_cooldown_hours)
            if now < cooldown_end:
                available_at, reason = cooldown_end, "Retake cooldown."
        if not reason and any_open and open_attempt is None:
            reason = "Finish your open attempt first."
        if not test.question_count:
            reason = "No questions yet."
        summaries.append(
            TestSummary(
                test=test,
                question_count=test.question_count,
                attempts_used=len(mine),
                open_attempt=open_attempt,
                last_attempt=last,
                available_at=available_at,
                can_start=not reason and open_attempt is None,
                reason=reason,
            )
        )
    return summaries


def attempt_for_expert(*, expert: User, attempt_id: int) -> Attempt:
    """Only the taker sees an attempt; anyone else gets 404."""
    attempt = (
        Attempt.objects.filter(expert=expert, pk=attempt_id)
        .select_related("test__domain", "expert")
        .first()
    )
    if attempt is None:
        raise Http404
    return attempt


@dataclass
class TakerQuestion:
    """What a taker may see of a question. Deliberately has no gold or explanation."""

    id: int
    number: int
    kind: str
    prompt: str
    choices: list[dict]
    response_a: str
    response_b: str
    points: int
    answer: object
    rationale: str


def attempt_questions(*, attempt: Attempt) -> list[TakerQuestion]:
    """Questions in this attempt's order, with the taker's current answers. Two queries."""
    questions = Question.objects.filter(pk__in=attempt.question_order).only(
        "id", "kind", "prompt", "choices", "response_a", "response_b", "points"
    )
    by_id = {q.pk: q for q in questions}
    answers = {a.question_id: a for a in attempt.answers.all()}
    result = []
    for number, question_id in enumerate(attempt.question_order, start=1):
        q = by_id.get(question_id)
        if q is None:
            continue
        a = answers.get(question_id)
        result.append(
            TakerQuestion(
                id=q.pk,
                number=number,
                kind=q.kind,
                prompt=q.prompt,
                choices=[{"key": str(c["key"]), "text": str(c.get("text", ""))} for c in q.choices],
                response_a=q.response_a,
                response_b=q.response_b,
                points=q.points,
                answer=a.answer if a else None,
                rationale=a.rationale if a else "",
            )
        )
    return result


@dataclass
class ResultRow:
    number: int
    kind: str
    prompt: str
    your_answer: object
    correct: bool
    points_awarded: int
    points: int
    gold_answer: str
    explanation: str


def attempt_results(*, attempt: Attempt) -> list[ResultRow]:
    """Per-question feedback with gold answers and explanations: only for a graded attempt."""
    if attempt.status != Attempt.Status.GRADED:
        return []
    by_id = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order)}
    answers = {a.question_id: a for a in attempt.answers.all()}
    rows = []
    for number, question_id in enumerate(attempt.question_order, start=1):
        q = by_id.get(question_id)
        if q is None:
            continue
        a = answers.get(question_id)
        rows.append(
            ResultRow(
                number=number,
                kind=q.kind,
                prompt=q.prompt,
                your_answer=a.answer if a else None,
                correct=bool(a and a.is_correct),
                points_awarded=a.points_awarded if a else 0,
                points=q.points,
                gold_answer=grading.describe_gold(q),
                explanation=q.explanation,
            )
        )
    return rows


# --- Qualifications ------------------------------------------------------------------------------


def qualifications_for_expert(*, expert: User) -> QuerySet[Qualification]:
    """All of the expert's grants, newest first, including revoked and expired (history)."""
    return Qualification.objects.filter(expert=expert).select_related(
        "domain__parent", "credential", "attempt__test"
    )


def qualifications_for_staff() -> QuerySet[Qualification]:
    return Qualification.objects.select_related("expert", "domain__parent", "credential")
