"""Demo data for qualifications: a vetted expert, an applicant awaiting review, two tests.

Idempotent: everything is looked up by natural keys before it is created.
"""

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import ExpertProfile, User
from qualifications.models import (
    Credential,
    Domain,
    ExpertDomain,
    ExpertLanguage,
    Qualification,
    QualificationTest,
    Question,
)
from qualifications.taxonomy import seed_domains


def simple_pdf(lines: list[str]) -> bytes:
    """A tiny, valid one-page PDF showing `lines` (Helvetica), with a correct xref table."""
    text = (
        "BT /F1 14 Tf 72 760 Td 18 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >>"
        b" >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode("latin-1")),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _profile(email: str, **fields) -> tuple[User, ExpertProfile]:
    user = User.objects.get(email=email)
    profile = ExpertProfile.objects.get(user=user)
    for name, value in fields.items():
        if not getattr(profile, name):
            setattr(profile, name, value)
    profile.save()
    return user, profile


def _credential(user: User, *, title: str, evidence_lines: list[str], **fields) -> Credential:
    credential = Credential.objects.filter(expert=user, title=title).first()
    if credential is None:
        credential = Credential(
            expert=user,
            title=title,
            evidence_name="evidence.pdf",
            evidence_content_type="application/pdf",
            **fields,
        )
        data = simple_pdf(evidence_lines)
        credential.evidence_size = len(data)
        credential.evidence.save("evidence", ContentFile(data), save=False)
        credential.save()
    return credential


def _test(domain: Domain, title: str, questions: list[dict], **fields) -> QualificationTest:
    test, created = QualificationTest.objects.get_or_create(
        title=title, defaults={"domain": domain, "is_published": True, **fields}
    )
    if created:
        for position, q in enumerate(questions):
            Question.objects.create(test=test, position=position, **q)
    return test


def seed() -> list[tuple[str, str, str]]:
    # The data migration seeds the taxonomy; a flushed database (tests) may have lost it.
    seed_domains(Domain)
    d = {
        slug: Domain.objects.get(slug=slug)
        for slug in ("medicine", "cardiology", "law", "contract-law", "python", "chemistry")
    }
    staff = User.objects.filter(email="staff@plumbline.example").first()

    # Dr Ada: vetted cardiologist with a verified licence and qualifications.
    ada, ada_profile = _profile(
        "dr.ada@experts.example",
        bio="Consultant cardiologist with twelve years of NHS practice; I review clinical "
        "answers for accuracy and safety.",
        timezone="Europe/London",
        weekly_availability_hours=10,
    )
    ExpertDomain.objects.get_or_create(
        profile=ada_profile, domain=d["cardiology"], defaults={"years_experience": 12}
    )
    ExpertLanguage.objects.get_or_create(
        profile=ada_profile, language="en", defaults={"proficiency": "native"}
    )
    licence = _credential(
        ada,
        title="Full registration with licence to practise",
        kind=Credential.Kind.LICENCE,
        issuer="General Medical Council",
        identifier="GMC 7123456",
        domain=d["cardiology"],
        issued_on=date(2013, 8, 1),
        expires_on=timezone.localdate() + timedelta(days=700),
        evidence_lines=["General Medical Council", "Dr Ada Byron", "GMC 7123456 - Demo"],
    )
    if licence.status == Credential.Status.PENDING:
        licence.status = Credential.Status.VERIFIED
        licence.reviewed_by = staff
        licence.reviewed_at = timezone.now()
        licence.save()
    Qualification.objects.get_or_create(
        expert=ada,
        domain=d["cardiology"],
        source=Qualification.Source.CREDENTIAL,
        credential=licence,
        defaults={"level": 3, "granted_by": staff, "note": "GMC licence verified (demo)"},
    )

    # Lena and Pat: some qualifications granted by staff.
    for email, slug, level, lang in (
        ("lena.law@experts.example", "contract-law", 2, "en"),
        ("pat.python@experts.example", "python", 2, "de"),
    ):
        user, profile = _profile(email)
        ExpertDomain.objects.get_or_create(
            profile=profile, domain=d[slug], defaults={"years_experience": 8}
        )
        ExpertLanguage.objects.get_or_create(
            profile=profile, language=lang, defaults={"proficiency": "native"}
        )
        Qualification.objects.get_or_create(
            expert=user,
            domain=d[slug],
            source=Qualification.Source.STAFF,
            defaults={"level": level, "granted_by": staff, "note": "Demo grant"},
        )

    # Nia: an applicant awaiting review, with a pending credential and a PDF as evidence.
    nia, nia_profile = _profile("nia.newcomer@experts.example", timezone="Africa/Nairobi")
    ExpertDomain.objects.get_or_create(
        profile=nia_profile, domain=d["chemistry"], defaults={"years_experience": 3}
    )
    _credential(
        nia,
        title="MSc Analytical Chemistry",
        kind=Credential.Kind.DEGREE,
        issuer="University of Nairobi",
        identifier="UON/MSC/2021/0420",
        domain=d["chemistry"],
        issued_on=date(2021, 12, 10),
        evidence_lines=[
            "University of Nairobi",
            "Master of Science, Analytical Chemistry",
            "Nia Newcomer - Demo document",
        ],
    )

    _test(
        d["cardiology"],
        "Cardiology fundamentals",
        [
            {
                "kind": "single",
                "prompt": "Which drug is a cardioselective beta blocker?",
                "choices": [
                    {"key": "a", "text": "Propranolol"},
                    {"key": "b", "text": "Bisoprolol"},
                    {"key": "c", "text": "Amlodipine"},
                ],
                "gold": "b",
                "explanation": "Bisoprolol is beta-1 selective; propranolol is not.",
            },
            {
                "kind": "numeric",
                "prompt": "Upper limit of a normal resting heart rate (bpm)?",
                "gold": {"value": 100, "tolerance": 0},
                "explanation": "Above 100 bpm is tachycardia.",
            },
            {
                "kind": "pairwise",
                "prompt": "A patient asks whether to stop their statin. Which reply is better?",
                "response_a": "Stop it if you get muscle aches.",
                "response_b": "Do not stop on your own; talk to your doctor about muscle aches.",
                "gold": "b",
                "explanation": "Safe advice defers the decision to the prescriber.",
            },
        ],
        grant_level=2,
        pass_mark_percent=66,
        time_limit_minutes=15,
        created_by=staff,
    )
    _test(
        d["python"],
        "Python for reviewers",
        [
            {
                "kind": "multiple",
                "prompt": "Which of these are immutable?",
                "choices": [
                    {"key": "a", "text": "tuple"},
                    {"key": "b", "text": "list"},
                    {"key": "c", "text": "frozenset"},
                ],
                "gold": ["a", "c"],
                "explanation": "Lists are mutable; tuples and frozensets are not.",
            },
            {
                "kind": "short_text",
                "prompt": "Which keyword defines a generator function's output?",
                "gold": ["yield"],
                "explanation": "A function containing `yield` is a generator.",
            },
        ],
        grant_level=1,
        pass_mark_percent=50,
        time_limit_minutes=10,
        created_by=staff,
    )
    return []
