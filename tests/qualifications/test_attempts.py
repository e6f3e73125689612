"""Taking qualification tests: order, time limit, attempts, grading, grants, gold secrecy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qualifications import services
from qualifications.models import Attempt, AttemptAnswer, Qualification
from qualifications.tasks import attempts_grade_overdue
from tests.conftest import api_as
from tests.qualifications.conftest import CORRECT, WRONG
from tests.qualifications.factories import QualificationTestFactory, QuestionFactory

pytestmark = pytest.mark.django_db

SECRETS = ["GOLD-EXPL", "sinoatrial", "never stop abruptly", '"gold"', "gold_answer", "explanation"]


def start(client, test):
    response = client.post(f"/api/v1/qualification-tests/{test.pk}/attempts/")
    assert response.status_code == 201, response.content
    return response.json()


def answer_all(client, attempt, answers):
    for q in attempt["questions"]:
        value, why = answers[q["kind"]]
        response = client.post(
            f"/api/v1/attempts/{attempt['id']}/answers/",
            {"question": q["id"], "answer": value, "rationale": why},
            format="json",
        )
        assert response.status_code == 200, response.content


def test_passed_test_grants_the_qualification(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    answer_all(client, attempt, CORRECT)
    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "graded" and body["passed"] is True
    assert body["score_percent"] == "100.00"
    grant = Qualification.objects.get(expert=expert)
    assert grant.domain == cardio_test.domain and grant.level == cardio_test.grant_level
    assert grant.source == Qualification.Source.TEST and grant.attempt_id == attempt["id"]
    assert grant.expires_at > timezone.now() + timedelta(days=364)
    mine = client.get("/api/v1/qualifications/").json()
    assert [q["domain"]["path"] for q in mine] == ["Medicine › Cardiology"]


def test_failed_test_does_not_grant(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    answer_all(client, attempt, WRONG)
    body = client.post(f"/api/v1/attempts/{attempt['id']}/submit/").json()
    assert body["passed"] is False and body["score_percent"] == "0.00"
    assert not Qualification.objects.filter(expert=expert).exists()


def test_results_show_explanations_after_grading(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    answer_all(client, attempt, WRONG)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    body = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert body["questions"] == []
    explanations = {r["explanation"] for r in body["results"]}
    assert "GOLD-EXPL-pairwise: never stop abruptly" in explanations
    assert any("sinoatrial node" in r["gold_answer"] for r in body["results"])
    page = _page(expert, attempt["id"])
    assert "GOLD-EXPL-single" in page and "Bisoprolol" in page


def _page(user, attempt_id):
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.get(reverse("qualifications:attempt", args=[attempt_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_expert_cannot_see_gold_answer_before_grading(expert, cardio_test, client):
    """Every taker-facing response during an attempt, raw bytes: no gold, no explanation."""
    api = api_as(expert)
    raw = []
    listing = api.get("/api/v1/qualification-tests/")
    raw.append(listing.content)
    started = api.post(f"/api/v1/qualification-tests/{cardio_test.pk}/attempts/")
    raw.append(started.content)
    attempt = started.json()
    raw.append(api.get(f"/api/v1/attempts/{attempt['id']}/").content)
    for q in attempt["questions"]:
        value, why = WRONG[q["kind"]]
        raw.append(
            api.post(
                f"/api/v1/attempts/{attempt['id']}/answers/",
                {"question": q["id"], "answer": value, "rationale": why},
                format="json",
            ).content
        )
    raw.append(api.get(f"/api/v1/attempts/{attempt['id']}/").content)
    raw.append(api.get("/api/v1/qualifications/").content)
    client.force_login(expert)
    for name, args in (("tests", []), ("attempt", [attempt["id"]]), ("my_qualifications", [])):
        response = client.get(reverse(f"qualifications:{name}", args=args))
        assert response.status_code == 200
        raw.append(response.content)
    # A form post that saves answers and re-renders the page.
    response = client.post(
        reverse("qualifications:attempt", args=[attempt["id"]]), {"action": "save"}, follow=True
    )
    raw.append(response.content)

    for body in raw:
        text = body.decode()
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked before grading"
    assert Attempt.objects.get(pk=attempt["id"]).status == "in_progress"


def test_questions_come_in_a_random_order_per_attempt(expert, cardiology):
    test = QualificationTestFactory(domain=cardiology, max_attempts=50, retake_cooldown_hours=0)
    QuestionFactory.create_batch(8, test=test)
    orders = set()
    for _ in range(6):
        attempt = services.attempt_start(expert=expert, test=test)
        orders.add(tuple(attempt.question_order))
        services.attempt_submit(attempt=attempt, expert=expert)
    assert len(orders) > 1
    assert all(sorted(o) == sorted(test.questions.values_list("pk", flat=True)) for o in orders)


def _run_out_of_time(attempt_id):
    """Move the attempt into the past: answers so far were given in time, the deadline is gone."""
    now = timezone.now()
    AttemptAnswer.objects.filter(attempt_id=attempt_id).update(
        answered_at=now - timedelta(minutes=30)
    )
    Attempt.objects.filter(pk=attempt_id).update(
        started_at=now - timedelta(hours=1), deadline=now - timedelta(seconds=1)
    )


def test_late_answer_is_refused_and_attempt_graded_with_earlier_answers(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    first, second = attempt["questions"][0], attempt["questions"][1]
    value, why = CORRECT[first["kind"]]
    client.post(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"question": first["id"], "answer": value, "rationale": why},
        format="json",
    )
    _run_out_of_time(attempt["id"])
    value, why = CORRECT[second["kind"]]
    late = client.post(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"question": second["id"], "answer": value, "rationale": why},
        format="json",
    )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "attempt_expired"
    graded = Attempt.objects.get(pk=attempt["id"])
    assert graded.status == "graded" and graded.finished_late
    assert graded.answers.count() == 1 and graded.points_earned == 1
    assert not graded.passed
    again = client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "attempt_expired"


def test_late_submit_is_refused(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    answer_all(client, attempt, CORRECT)
    _run_out_of_time(attempt["id"])
    response = client.post(f"/api/v1/attempts/{attempt['id']}/submit/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "attempt_expired"
    # Answers given in time still count: all were in time, so it passes.
    assert Attempt.objects.get(pk=attempt["id"]).passed is True


def test_overdue_attempts_are_graded_by_the_beat_task(expert, cardio_test):
    attempt = services.attempt_start(expert=expert, test=cardio_test)
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=1),
        deadline=timezone.now() - timedelta(minutes=1),
    )
    assert attempts_grade_overdue.apply().get() == 1
    assert Attempt.objects.get(pk=attempt.pk).status == "graded"
    assert attempts_grade_overdue.apply().get() == 0


def test_only_one_attempt_open_at_a_time(expert, cardio_test, cardiology):
    other_test = QualificationTestFactory(domain=cardiology)
    QuestionFactory(test=other_test)
    client = api_as(expert)
    start(client, cardio_test)
    for test in (cardio_test, other_test):
        response = client.post(f"/api/v1/qualification-tests/{test.pk}/attempts/")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "attempt_already_open"


def test_retake_cooldown_and_maximum_attempts(expert, cardio_test):
    cardio_test.max_attempts = 2
    cardio_test.retake_cooldown_hours = 24
    cardio_test.save()
    client = api_as(expert)
    first = start(client, cardio_test)
    client.post(f"/api/v1/attempts/{first['id']}/submit/")
    response = client.post(f"/api/v1/qualification-tests/{cardio_test.pk}/attempts/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "retake_cooldown"
    Attempt.objects.filter(pk=first["id"]).update(graded_at=timezone.now() - timedelta(hours=25))
    second = start(client, cardio_test)
    client.post(f"/api/v1/attempts/{second['id']}/submit/")
    Attempt.objects.filter(pk=second["id"]).update(graded_at=timezone.now() - timedelta(hours=25))
    response = client.post(f"/api/v1/qualification-tests/{cardio_test.pk}/attempts/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_attempts_left"


def test_other_expert_gets_404_for_an_attempt(expert, other_expert, cardio_test, client):
    attempt = services.attempt_start(expert=expert, test=cardio_test)
    other = api_as(other_expert)
    question = attempt.question_order[0]
    assert other.get(f"/api/v1/attempts/{attempt.pk}/").status_code == 404
    assert (
        other.post(
            f"/api/v1/attempts/{attempt.pk}/answers/",
            {"question": question, "answer": "b"},
            format="json",
        ).status_code
        == 404
    )
    assert other.post(f"/api/v1/attempts/{attempt.pk}/submit/").status_code == 404
    client.force_login(other_expert)
    assert client.get(reverse("qualifications:attempt", args=[attempt.pk])).status_code == 404


def test_unpublished_test_cannot_be_started(expert, cardio_test):
    cardio_test.is_published = False
    cardio_test.save()
    assert (
        api_as(expert).post(f"/api/v1/qualification-tests/{cardio_test.pk}/attempts/").status_code
        == 404
    )


def test_pairwise_answer_needs_a_rationale(expert, cardio_test):
    client = api_as(expert)
    attempt = start(client, cardio_test)
    pairwise = next(q for q in attempt["questions"] if q["kind"] == "pairwise")
    response = client.post(
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"question": pairwise["id"], "answer": "b"},
        format="json",
    )
    assert response.status_code == 400
    assert "rationale" in response.json()["error"]["fields"]


def test_numeric_tolerance_and_short_text_normalisation(expert, cardio_test):
    from qualifications import grading
    from qualifications.models import Question

    numeric = cardio_test.questions.get(kind=Question.Kind.NUMERIC)
    assert grading.is_correct(numeric, "105") and grading.is_correct(numeric, "95")
    assert not grading.is_correct(numeric, "105.01")
    short = cardio_test.questions.get(kind=Question.Kind.SHORT_TEXT)
    assert grading.is_correct(short, "sa NODE") and not grading.is_correct(short, "AV node")


def test_expert_takes_a_test_to_a_pass_through_the_pages(expert, cardio_test, client):
    client.force_login(expert)
    response = client.post(reverse("qualifications:test_start", args=[cardio_test.pk]))
    attempt = Attempt.objects.get(expert=expert)
    assert response.url == reverse("qualifications:attempt", args=[attempt.pk])
    page = client.get(response.url).content.decode()
    assert "Time left" in page
    data = {"action": "submit"}
    for q in cardio_test.questions.all():
        value, why = CORRECT[q.kind]
        data[f"q{q.pk}"] = value
        if why:
            data[f"q{q.pk}_why"] = why
    response = client.post(reverse("qualifications:attempt", args=[attempt.pk]), data, follow=True)
    assert "Passed." in response.content.decode()
    assert Qualification.objects.filter(expert=expert, source="test").exists()


def test_staff_author_a_test_through_the_api(staff_with_mfa, cardiology, expert):
    staff = api_as(staff_with_mfa)
    response = staff.post(
        "/api/v1/staff/qualification-tests/",
        {
            "domain_id": cardiology.pk,
            "title": "ECG reading",
            "pass_mark_percent": 50,
            "is_published": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    test_id = response.json()["id"]
    bad = staff.post(
        f"/api/v1/staff/qualification-tests/{test_id}/questions/",
        {
            "kind": "single",
            "prompt": "?",
            "choices": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}],
            "gold": "z",
            "explanation": "x",
        },
        format="json",
    )
    assert bad.status_code == 400 and "gold" in bad.json()["error"]["fields"]
    ok = staff.post(
        f"/api/v1/staff/qualification-tests/{test_id}/questions/",
        {
            "kind": "numeric",
            "prompt": "QRS width upper limit (ms)?",
            "gold": {"value": 120, "tolerance": 10},
            "explanation": "Broad above 120 ms",
        },
        format="json",
    )
    assert ok.status_code == 201
    assert (
        api_as(expert).post("/api/v1/staff/qualification-tests/", {}, format="json").status_code
        == 403
    )
