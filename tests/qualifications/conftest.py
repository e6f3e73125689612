import pytest

from qualifications.models import Domain, Question
from tests.qualifications.factories import QualificationTestFactory, QuestionFactory


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture(autouse=True)
def _taxonomy(db):
    """The data migration seeds the taxonomy; a transactional (live_server) test that ran
    earlier may have flushed it, so seed again when it is missing."""
    if not Domain.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("qualifications.migrations.0002_seed_domains").seed(apps, None)


@pytest.fixture
def medicine(db):
    return Domain.objects.get(slug="medicine")


@pytest.fixture
def cardiology(db):
    return Domain.objects.get(slug="cardiology")


@pytest.fixture
def contract_law(db):
    return Domain.objects.get(slug="contract-law")


@pytest.fixture
def cardio_test(cardiology):
    """A published test with one question of each kind; golds and explanations are marked."""
    test = QualificationTestFactory(
        domain=cardiology, title="Cardiology basics", pass_mark_percent=60
    )
    QuestionFactory(
        test=test,
        kind=Question.Kind.SINGLE,
        prompt="Which is a beta blocker?",
        choices=[{"key": "a", "text": "Amlodipine"}, {"key": "b", "text": "Bisoprolol"}],
        gold="b",
        explanation="GOLD-EXPL-single: bisoprolol is cardioselective",
    )
    QuestionFactory(
        test=test,
        kind=Question.Kind.MULTIPLE,
        prompt="Which are ACE inhibitors?",
        choices=[
            {"key": "a", "text": "Ramipril"},
            {"key": "b", "text": "Losartan"},
            {"key": "c", "text": "Lisinopril"},
        ],
        gold=["a", "c"],
        explanation="GOLD-EXPL-multiple: the -prils",
    )
    QuestionFactory(
        test=test,
        kind=Question.Kind.NUMERIC,
        prompt="Normal resting heart rate max?",
        choices=[],
        gold={"value": 100, "tolerance": 5},
        explanation="GOLD-EXPL-numeric: tachycardia above 100",
    )
    QuestionFactory(
        test=test,
        kind=Question.Kind.SHORT_TEXT,
        prompt="Name the heart's pacemaker",
        choices=[],
        gold=["sinoatrial node", "SA node"],
        explanation="GOLD-EXPL-short: the SA node",
    )
    QuestionFactory(
        test=test,
        kind=Question.Kind.PAIRWISE,
        prompt="Which answer is safer?",
        choices=[],
        response_a="Stop all medication now.",
        response_b="Talk to your doctor before stopping.",
        gold="b",
        explanation="GOLD-EXPL-pairwise: never stop abruptly",
    )
    return test


CORRECT = {
    "single": ("b", ""),
    "multiple": (["c", "a"], ""),
    "numeric": ("97", ""),
    "short_text": ("  SA  Node ", ""),
    "pairwise": ("b", "Abruptly stopping can be dangerous."),
}
WRONG = {
    "single": ("a", ""),
    "multiple": (["b"], ""),
    "numeric": ("140", ""),
    "short_text": ("left ventricle", ""),
    "pairwise": ("a", "It is shorter and simpler."),
}
