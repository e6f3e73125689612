"""Factories for the qualifications app."""

from datetime import timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qualifications.models import (
    Credential,
    Domain,
    Qualification,
    QualificationTest,
    Question,
)
from tests.factories import ExpertFactory

# Minimal but real file signatures (filetype sniffs the first bytes).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00>\x00" + b"\x00" * 200


def pdf_upload(name: str = "licence.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    name = factory.Sequence(lambda n: f"Domain {n}")
    slug = factory.Sequence(lambda n: f"domain-{n}")


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    expert = factory.SubFactory(ExpertFactory)
    kind = Credential.Kind.LICENCE
    title = "Medical licence"
    issuer = "General Medical Council"
    identifier = factory.Sequence(lambda n: f"GMC-{n:06d}")
    evidence = factory.django.FileField(filename="x.pdf", data=PDF_BYTES)
    evidence_name = "licence.pdf"
    evidence_content_type = "application/pdf"
    evidence_size = len(PDF_BYTES)


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    expert = factory.SubFactory(ExpertFactory)
    domain = factory.SubFactory(DomainFactory)
    level = 2
    source = Qualification.Source.STAFF


class QualificationTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationTest

    domain = factory.SubFactory(DomainFactory)
    title = factory.Sequence(lambda n: f"Test {n}")
    grant_level = 2
    pass_mark_percent = 60
    time_limit_minutes = 20
    max_attempts = 2
    retake_cooldown_hours = 24
    grant_valid_days = 365
    is_published = True


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    test = factory.SubFactory(QualificationTestFactory)
    kind = Question.Kind.SINGLE
    prompt = factory.Sequence(lambda n: f"Question prompt {n}?")
    choices = factory.LazyFunction(
        lambda: [{"key": "a", "text": "Option alpha"}, {"key": "b", "text": "Option beta"}]
    )
    gold = "b"
    explanation = factory.Sequence(lambda n: f"EXPLANATION-SECRET-{n}")
    position = factory.Sequence(lambda n: n)


def in_days(days: int):
    return timezone.now() + timedelta(days=days)
