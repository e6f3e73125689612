"""The seeded domain taxonomy. Idempotent by slug; staff edit it afterwards in the admin."""

TAXONOMY = [
    (
        "medicine",
        "Medicine",
        [
            ("cardiology", "Cardiology"),
            ("oncology", "Oncology"),
            ("radiology", "Radiology"),
            ("general-practice", "General practice"),
        ],
    ),
    (
        "law",
        "Law",
        [
            ("contract-law", "Contract law"),
            ("criminal-law", "Criminal law"),
            ("intellectual-property", "Intellectual property"),
        ],
    ),
    (
        "software-engineering",
        "Software engineering",
        [
            ("python", "Python"),
            ("javascript", "JavaScript"),
            ("security-engineering", "Security engineering"),
        ],
    ),
    ("mathematics", "Mathematics", []),
    ("finance", "Finance", []),
    ("chemistry", "Chemistry", []),
    ("biology", "Biology", []),
    ("physics", "Physics", []),
    (
        "translation",
        "Translation",
        [
            ("translation-en-de", "English → German"),
            ("translation-en-fr", "English → French"),
            ("translation-en-es", "English → Spanish"),
            ("translation-en-zh", "English → Chinese"),
        ],
    ),
    ("ai-safety", "AI safety and red-teaming", []),
]


def seed_domains(Domain) -> None:
    """Create the taxonomy's domains that are missing. Takes the model class so the data
    migration can pass its historical model."""
    for slug, name, children in TAXONOMY:
        parent, _ = Domain.objects.get_or_create(slug=slug, defaults={"name": name})
        for child_slug, child_name in children:
            Domain.objects.get_or_create(
                slug=child_slug, defaults={"name": child_name, "parent": parent}
            )
