"""Qualification tests: authoring, and taking them under a server-enforced time limit."""

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import NotFound, ValidationFailed
from qualifications import grading
from qualifications.exceptions import AttemptClosed, AttemptExpired, AttemptNotAllowed
from qualifications.models import (
    Attempt,
    AttemptAnswer,
    Domain,
    Qualification,
    QualificationTest,
    Question,
)
from qualifications.services.common import check_expert, check_staff
from qualifications.services.grants import qualification_grant

# --- Authoring (staff; companies later, for their own projects) ----------------------------------

TEST_FIELDS = (
    "description",
    "grant_level",
    "grant_valid_days",
    "pass_mark_percent",
    "time_limit_minutes",
    "max_attempts",
    "retake_cooldown_hours",
    "is_published",
)


@transaction.atomic
def test_create(
    *, author: User, domain: Domain, title: str, request: HttpRequest | None = None, **fields
) -> QualificationTest:
    check_staff(author)
    unknown = set(fields) - set(TEST_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: ["Unknown field."] for name in unknown})
    test = QualificationTest(domain=domain, title=title.strip(), created_by=author, **fields)
    try:
        test.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.message_dict) from exc
    test.save()
    audit_record(
        actor=author,
        verb="qualification_test.created",
        target=test,
        details={"domain": domain.slug},
        request=request,
    )
    return test


@transaction.atomic
def question_create(
    *,
    author: User,
    test: QualificationTest,
    kind: str,
    prompt: str,
    gold,
    explanation: str,
    choices: list | None = None,
    response_a: str = "",
    response_b: str = "",
    points: int = 1,
    position: int | None = None,
) -> Question:
    check_staff(author)
    if position is None:
        position = test.questions.count()
    question = Question(
        test=test,
        kind=kind,
        prompt=prompt,
        gold=gold,
        explanation=explanation,
        choices=choices or [],
        response_a=response_a,
        response_b=response_b,
        points=points,
        position=position,
    )
    try:
        question.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(fields=exc.message_dict) from exc
    question.save()
    return question


# --- Taking a test -------------------------------------------------------------------------------


def _grade_locked(*, attempt: Attempt, now) -> Attempt:
    """Grade an in-progress attempt with the answers recorded before its deadline.

    Precondition: called inside a transaction holding a row lock on the attempt.
    """
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order)}
    answers = {a.question_id: a for a in attempt.answers.all()}
    earned = possible = 0
    for question_id in attempt.question_order:
        question = questions.get(question_id)
        if question is None:
            continue
        possible += question.points
        answer = answers.get(question_id)
        if answer is None:
            continue
        answer.is_correct = answer.answered_at < attempt.deadline and grading.is_correct(
            question, answer.answer
        )
        answer.points_awarded = question.points if answer.is_correct else 0
        earned += answer.points_awarded
        answer.save(update_fields=["is_correct", "points_awarded"])
    score = (Decimal(earned) * 100 / possible) if possible else Decimal(0)
    attempt.points_earned, attempt.points_possible = earned, possible
    attempt.score_percent = score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    attempt.passed = possible > 0 and score >= attempt.test.pass_mark_percent
    attempt.status = Attempt.Status.GRADED
    attempt.graded_at = now
    if attempt.submitted_at is None:
        attempt.submitted_at = min(now, attempt.deadline)
    attempt.finished_late = now >= attempt.deadline
    attempt.save()
    audit_record(
        actor=None,
        verb="qualification_test.graded",
        target=attempt,
        details={
            "expert": attempt.expert.email,
            "score": str(attempt.score_percent),
            "passed": attempt.passed,
        },
    )
    if attempt.passed:
        test = attempt.test
        qualification_grant(
            expert=attempt.expert,
            domain=test.domain,
            level=test.grant_level,
            source=Qualification.Source.TEST,
            attempt=attempt,
            expires_at=now + timedelta(days=test.grant_valid_days)
            if test.grant_valid_days
            else None,
            note=f"Passed “{test.title}” with {attempt.score_percent}%",
        )
    return attempt


def _lock(attempt_id: int) -> Attempt:
    return (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("test__domain", "expert")
        .get(pk=attempt_id)
    )


@transaction.atomic
def attempt_grade(*, attempt: Attempt) -> Attempt:
    """Grade now (idempotent: an already-graded attempt is returned unchanged)."""
    attempt = _lock(attempt.pk)
    if attempt.status == Attempt.Status.GRADED:
        return attempt
    return _grade_locked(attempt=attempt, now=timezone.now())


def attempts_grade_overdue() -> int:
    """Grade every in-progress attempt past its deadline (beat task). Safe to run twice."""
    ids = list(
        Attempt.objects.filter(
            status=Attempt.Status.IN_PROGRESS, deadline__lte=timezone.now()
        ).values_list("pk", flat=True)
    )
    for attempt_id in ids:
        attempt_grade(attempt=Attempt(pk=attempt_id))
    return len(ids)


def check_can_start(*, expert: User, test: QualificationTest, now) -> None:
    if not test.is_published:
        raise NotFound()
    if not test.questions.exists():
        raise AttemptNotAllowed("This test has no questions yet.")
    previous = list(Attempt.objects.filter(expert=expert, test=test).order_by("-started_at"))
    if len(previous) >= test.max_attempts:
        raise AttemptNotAllowed(
            f"You have used all {test.max_attempts} attempts at this test.", code="no_attempts_left"
        )
    if previous and previous[0].graded_at:
        available = previous[0].graded_at + timedelta(hours=test.retake_cooldown_hours)
        if now < available:
            raise AttemptNotAllowed(
                f"You can retake this test after {available:%Y-%m-%d %H:%M} UTC.",
                code="retake_cooldown",
                fields={"available_at": [available.isoformat()]},
            )


def attempt_start(
    *, expert: User, test: QualificationTest, request: HttpRequest | None = None
) -> Attempt:
    """Start an attempt: questions in a random order for this attempt, deadline fixed now.

    An attempt of the expert's that is past its deadline is graded first; one that is still
    running blocks the start (one attempt open at a time).
    """
    check_expert(expert)
    open_attempt = Attempt.objects.filter(expert=expert, status=Attempt.Status.IN_PROGRESS).first()
    if open_attempt is not None and open_attempt.is_overdue():
        attempt_grade(attempt=open_attempt)
    return _attempt_create(expert=expert, test=test, request=request)


@transaction.atomic
def _attempt_create(*, expert: User, test: QualificationTest, request=None) -> Attempt:
    # Serialize starts per expert so the attempt limit cannot be raced.
    User.objects.select_for_update().filter(pk=expert.pk).first()
    now = timezone.now()
    if Attempt.objects.filter(expert=expert, status=Attempt.Status.IN_PROGRESS).exists():
        raise AttemptNotAllowed(
            "Finish your open attempt before starting another.", code="attempt_already_open"
        )
    check_can_start(expert=expert, test=test, now=now)
    order = list(test.questions.values_list("pk", flat=True))
    random.SystemRandom().shuffle(order)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                test=test,
                expert=expert,
                question_order=order,
                started_at=now,
                deadline=now + timedelta(minutes=test.time_limit_minutes),
            )
    except IntegrityError as exc:
        raise AttemptNotAllowed(code="attempt_already_open") from exc
    audit_record(
        actor=expert,
        verb="qualification_test.started",
        target=attempt,
        details={"test": test.pk},
        request=request,
    )
    return attempt


def _check_open(attempt: Attempt, now) -> bool:
    """True if the attempt is open and within its deadline; False if it has just run out."""
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise AttemptExpired() if attempt.is_overdue(now) else AttemptClosed()
    return not attempt.is_overdue(now)


def attempt_answer(
    *, attempt: Attempt, expert: User, question_id: int, answer, rationale: str = ""
) -> AttemptAnswer:
    """Record (or change) the answer to one question. After the deadline the answer is refused
    (AttemptExpired) and the attempt is graded with the answers given in time."""
    if attempt.expert_id != expert.pk:
        raise NotFound()
    with transaction.atomic():
        locked = _lock(attempt.pk)
        now = timezone.now()
        if _check_open(locked, now):
            if question_id not in locked.question_order:
                raise ValidationFailed(fields={"question": ["Not a question of this attempt."]})
            question = Question.objects.get(pk=question_id)
            value = grading.clean_answer(question, answer, rationale)
            row, _ = AttemptAnswer.objects.update_or_create(
                attempt=locked,
                question=question,
                defaults={
                    "answer": value,
                    "rationale": (rationale or "").strip(),
                    "answered_at": now,
                },
            )
            return row
    attempt_grade(attempt=attempt)
    raise AttemptExpired()


def attempt_submit(*, attempt: Attempt, expert: User) -> Attempt:
    """Finish and grade. After the deadline the submission is refused (AttemptExpired), but the
    attempt is graded with what was answered in time."""
    if attempt.expert_id != expert.pk:
        raise NotFound()
    with transaction.atomic():
        locked = _lock(attempt.pk)
        now = timezone.now()
        if _check_open(locked, now):
            locked.submitted_at = now
            return _grade_locked(attempt=locked, now=now)
    attempt_grade(attempt=attempt)
    raise AttemptExpired()
