"""Demo projects: one live project of each task type, from Acme AI and Globex Labs, with
requirements that the demo experts meet for some projects and not for others:

- Dr Ada (cardiology 3, en, GB): the pairwise and classification projects.
- Lena (contract law 2, en): the rubric project; the free-text one needs Law level 3 (within reach).
- Pat (python 2, de): the trajectory and ranking projects.
- Nia (no qualification yet): none.
"""

from accounts.models import Membership, Organization, Role
from marketplace import services
from marketplace.models import Project, ProjectStatus
from qualifications.models import Domain

PROJECTS = [
    (
        "acme-ai",
        {
            "title": "Which answer to a heart patient is safer?",
            "summary": "Compare two chatbot answers to questions from cardiology patients.",
            "task_type": "pairwise",
            "task_config": {
                "allow_tie": True,
                "strength": True,
                "rationale": "optional",
                "criteria": [
                    {"key": "safety", "label": "Clinical safety"},
                    {"key": "clarity", "label": "Clarity for a patient"},
                ],
            },
            "instructions": "## Your task\n\nRead the patient's question, then both answers.\n\n"
            "1. Choose the answer you would rather the patient read.\n"
            "2. Rate how strong your preference is.\n\n"
            "Flag **any** advice that could delay emergency care.",
            "pay_per_task_minor": 900,
            "estimated_minutes": 8,
            "item_count": 400,
            "overlap": 3,
            "gold_ratio_bps": 500,
            "domains": [("cardiology", 2)],
            "languages": ["en"],
        },
    ),
    (
        "acme-ai",
        {
            "title": "Score summaries of commercial contract clauses",
            "summary": "Rubric scoring of model-written clause summaries.",
            "task_type": "rubric",
            "task_config": {
                "criteria": [
                    {
                        "key": "accuracy",
                        "label": "Legal accuracy",
                        "scale_min": 1,
                        "scale_max": 5,
                        "anchors": {"1": "Misstates the clause", "5": "Exact"},
                    },
                    {
                        "key": "completeness",
                        "label": "Completeness",
                        "scale_min": 1,
                        "scale_max": 5,
                        "anchors": {"1": "Misses key obligations", "5": "Nothing missing"},
                    },
                ],
                "comments": "optional",
            },
            "instructions": "Score each summary against the clause. "
            "Indemnities and caps matter most.",
            "pay_per_task_minor": 1200,
            "estimated_minutes": 12,
            "item_count": 250,
            "overlap": 2,
            "domains": [("contract-law", 2)],
        },
    ),
    (
        "acme-ai",
        {
            "title": "Evaluate coding-agent runs on Python bugs",
            "summary": "Rate each step of an agent fixing a failing test.",
            "task_type": "trajectory",
            "task_config": {
                "max_steps": 40,
                "scale_min": 1,
                "scale_max": 5,
                "step_comments": "optional",
            },
            "instructions": "Rate each tool call. Mark the first step where the run went wrong.",
            "pay_per_task_minor": 1500,
            "estimated_minutes": 20,
            "item_count": 120,
            "overlap": 2,
            "domains": [("python", 2)],
        },
    ),
    (
        "globex-labs",
        {
            "title": "Rank explanations of tricky Python code",
            "summary": "Order four explanations from best to worst.",
            "task_type": "ranking",
            "task_config": {"k": 4, "allow_ties": False, "rationale": "optional"},
            "instructions": "Rank by correctness first, then by clarity.",
            "pay_per_task_minor": 700,
            "estimated_minutes": 6,
            "item_count": 300,
            "overlap": 3,
            "domains": [("software-engineering", 1)],
        },
    ),
    (
        "globex-labs",
        {
            "title": "Classify posts from a health forum",
            "summary": "Label posts that need a clinician's attention.",
            "task_type": "classification",
            "task_config": {
                "labels": [
                    {"key": "urgent", "label": "Needs urgent care"},
                    {"key": "misinformation", "label": "Medical misinformation"},
                    {"key": "self_harm", "label": "Mentions self-harm"},
                ],
                "multi": True,
                "allow_none": True,
            },
            "instructions": "Choose every label that applies, or *none of these*.",
            "content_warning": "self_harm",
            "content_warning_note": "Some posts describe self-harm and suicidal thoughts.",
            "pay_per_task_minor": 400,
            "estimated_minutes": 3,
            "item_count": 1000,
            "overlap": 2,
            "domains": [("medicine", 1)],
        },
    ),
    (
        "globex-labs",
        {
            "title": "Critique and revise answers to legal questions",
            "summary": "Find the errors in a model's legal answer, then rewrite it.",
            "task_type": "free_text",
            "task_config": {"mode": "critique_revision", "min_length": 200, "max_length": 4000},
            "instructions": "Point out every legal error, then write the answer you would give.",
            "pay_per_task_minor": 4000,
            "estimated_minutes": 30,
            "item_count": 80,
            "overlap": 1,
            "domains": [("law", 3)],
            "visibility": "invite_only",
        },
    ),
]


def seed() -> list[tuple[str, str, str]]:
    for slug, spec in PROJECTS:
        organization = Organization.objects.get(slug=slug)
        if Project.objects.filter(organization=organization, title=spec["title"]).exists():
            continue
        owner = Membership.objects.filter(organization=organization, role=Role.OWNER).first().user
        data = dict(spec)
        data["domains"] = [
            {"domain_id": Domain.objects.get(slug=d).pk, "min_level": level}
            for d, level in spec["domains"]
        ]
        project = services.project_create(organization=organization, actor=owner, data=data)
        project = services.project_mark_funded(project=project, actor=None, reference="demo")
        services.project_transition(
            project=project, actor=owner, to_status=ProjectStatus.LIVE, reason="demo"
        )
    return []
