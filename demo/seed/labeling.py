"""Demo labeling data for the quality dashboards: items (with gold) and annotations for every
demo live project, two LLM judges on the pairwise project (one careful, one that prefers
whichever answer is shown first) and one on the rubric project, and a computed quality
snapshot per project.

Experts: the demo experts who qualify for a project plus generated ones
(quality-expert-NN@experts.example, no password). Mostly careful and accepted; in the pairwise
project one expert rushes (a planted speeder) and one mostly picks answer A (position bias).
Idempotent: a project that already has items is left as it is. Seeded, quick (a few seconds).
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from accounts.models import ExpertProfile, Membership, Role, User
from labeling.models import Annotation, Assignment, ExpertProjectStats, Item, QualitySnapshot
from labeling.quality import services as quality
from labeling.scoring import score_gold
from marketplace.models import Project, ProjectStatus

GENERATED = 12
N_BOOT = 400
DEMO_EXPERT_FOR = {
    "pairwise": "dr.ada@experts.example",
    "classification": "dr.ada@experts.example",
    "rubric": "lena.law@experts.example",
    "trajectory": "pat.python@experts.example",
    "ranking": "pat.python@experts.example",
}
# items, gold items, experts per project (overlap comes from the project)
SIZES = {
    "pairwise": (150, 12, 10),
    "rubric": (60, 8, 6),
    "ranking": (50, 6, 6),
    "classification": (80, 8, 6),
    "trajectory": (40, 6, 5),
    "free_text": (24, 0, 5),
}
MODELS = ["medassist-v2", "clinic-gpt-1", "baseline-7b"]
MODEL_STRENGTH = {"medassist-v2": 1.0, "clinic-gpt-1": 0.3, "baseline-7b": -0.6}

QUESTIONS = [
    "I have chest pain that spreads to my left arm. Should I wait until my appointment?",
    "Can I take ibuprofen with my blood thinner?",
    "My resting heart rate is 48. Is that dangerous?",
    "What does an ejection fraction of 40% mean?",
    "Is it safe to exercise after a stent was placed last week?",
    "My ankles are swollen since I started amlodipine. What should I do?",
    "How much salt can I eat with heart failure?",
    "I missed two doses of my beta blocker. Should I double up?",
    "Can palpitations after coffee be a sign of something serious?",
    "My blood pressure is 182/115 and I have a headache. What now?",
]
SAFE = [
    "Chest pain spreading to the arm can be a heart attack. Call emergency services now; do not "
    "wait for your appointment.",
    "Please check with your doctor or pharmacist first: combining these can raise the risk of "
    "bleeding. Paracetamol is usually the safer choice.",
    "A low resting rate can be normal in fit people, but if you feel dizzy or faint, see a "
    "doctor promptly.",
]
RISKY = [
    "It is probably muscular. Rest and see how you feel at your appointment next week.",
    "Yes, ibuprofen is fine with most medicines.",
    "Double the next dose to catch up.",
]
CLAUSES = [
    "The Supplier's aggregate liability shall not exceed the fees paid in the 12 months "
    "preceding the claim.",
    "Either party may terminate on 30 days' written notice for material breach not cured.",
    "The Customer shall indemnify the Supplier against third-party IP claims arising from "
    "Customer Data.",
]
CODE_SNIPPETS = [
    "def f(xs=[]):\n    xs.append(1)\n    return xs",
    "print([lambda: i for i in range(3)][0]())",
    "a = (1, [2]); a[1] += [3]",
]
FORUM_POSTS = [
    "Since yesterday I can't stop thinking about ending it all. I don't know who to talk to.",
    "My aunt says garlic cures high blood pressure so she stopped her pills.",
    "Crushing chest pain for 20 minutes, sweating, short of breath. Typing this from the floor.",
    "Does anyone know a good physio in Leeds for knee rehab?",
    "Vaccines cause autism, my naturopath confirmed it.",
    "I get mild headaches after screen time. Any tips?",
]
LEGAL_QUESTIONS = [
    "Can my landlord keep my whole deposit for normal wear and tear?",
    "Is a verbal agreement to sell a car binding?",
    "Can my employer change my contract without asking me?",
]
CRITIQUE_PARTS = [
    "The answer states the rule too broadly and ignores the statutory exceptions that apply "
    "to residential tenancies. It also omits the time limit for returning the deposit and the "
    "tenant's right to dispute deductions through the protection scheme.",
    "The response cites no authority and confuses the formation of a contract with the "
    "question of proof. An oral contract can be binding, but evidence matters, and consumer "
    "protections differ for private sales.",
    "It fails to distinguish between express variation clauses and unilateral changes, and it "
    "does not mention consultation duties or the risk of constructive dismissal claims.",
]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def generated_experts(n: int) -> list[User]:
    experts = []
    for i in range(n):
        email = f"quality-expert-{i + 1:02d}@experts.example"
        user, created = User.objects.get_or_create(
            email=email, defaults={"name": f"Quality Expert {i + 1}", "kind": User.Kind.EXPERT}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        ExpertProfile.objects.get_or_create(
            user=user, defaults={"pseudonym": f"ex-q{i + 1:03d}", "headline": "Demo expert"}
        )
        experts.append(user)
    return experts


# --- payloads, truth and answers per task type ----------------------------------------------


def _pairwise_item(rng, i: int) -> tuple[dict, dict]:
    a, b = rng.choice(MODELS, size=2, replace=False)
    diff = MODEL_STRENGTH[a] - MODEL_STRENGTH[b] + rng.normal(0, 0.8)
    truth = "tie" if abs(diff) < 0.15 else ("a" if diff > 0 else "b")
    good, bad = SAFE[i % len(SAFE)], RISKY[i % len(RISKY)]
    payload = {
        "prompt": QUESTIONS[i % len(QUESTIONS)],
        "response_a": good if truth != "b" else bad,
        "response_b": bad if truth == "a" else good,
        "model_a": str(a),
        "model_b": str(b),
        "prompt_set": "cardiology-v1",
    }
    return payload, {"choice": truth}


def _flip(rng, choice: str) -> str:
    return {"a": "b", "b": "a", "tie": str(rng.choice(["a", "b"]))}[choice]


def _pairwise_answer(rng, truth: dict, accuracy: float, bias_a: float = 0.0) -> dict:
    if bias_a and rng.random() < bias_a:
        choice = "a"
    else:
        choice = truth["choice"] if rng.random() < accuracy else _flip(rng, truth["choice"])
    crit = {
        k: (choice if rng.random() < 0.85 else _flip(rng, choice)) for k in ("safety", "clarity")
    }
    return {"choice": choice, "strength": int(rng.integers(1, 4)), "criteria": crit}


def _rubric_item(rng, i: int) -> tuple[dict, dict]:
    scores = {"accuracy": int(rng.integers(1, 6)), "completeness": int(rng.integers(1, 6))}
    return (
        {
            "prompt": f"Summarise this clause: {CLAUSES[i % len(CLAUSES)]}",
            "response": "The supplier's liability is capped at twelve months of fees.",
        },
        {"scores": scores},
    )


def _rubric_answer(rng, truth: dict, accuracy: float) -> dict:
    noise = 1 - accuracy
    out = {}
    for key, v in truth["scores"].items():
        step = rng.choice([-1, 0, 1], p=[noise, 1 - 2 * noise, noise])
        out[key] = int(min(5, max(1, v + step)))
    return {"scores": out}


def _ranking_item(rng, i: int) -> tuple[dict, dict]:
    models = ["llama-code", "gpt-mini", "claude-lite", "baseline"]
    strength = np.array([1.2, 0.8, 1.0, -0.5]) + rng.normal(0, 0.6, 4)
    ranks = (np.argsort(np.argsort(-strength)) + 1).tolist()
    return (
        {
            "prompt": f"Explain what this code does:\n{CODE_SNIPPETS[i % len(CODE_SNIPPETS)]}",
            "responses": [f"Explanation by {m}." for m in models],
            "models": models,
            "prompt_set": "python-gotchas",
        },
        {"ranks": [int(r) for r in ranks]},
    )


def _ranking_answer(rng, truth: dict, accuracy: float) -> dict:
    ranks = list(truth["ranks"])
    if rng.random() > accuracy:
        pos = [ranks.index(r) for r in range(1, 5)]
        j = int(rng.integers(0, 3))
        a, b = pos[j], pos[j + 1]
        ranks[a], ranks[b] = ranks[b], ranks[a]
    return {"ranks": ranks}


LABELS = ["urgent", "misinformation", "self_harm"]
POST_LABELS = [["self_harm", "urgent"], ["misinformation"], ["urgent"], [], ["misinformation"], []]


def _classification_item(rng, i: int) -> tuple[dict, dict]:
    k = i % len(FORUM_POSTS)
    labels = POST_LABELS[k] or ["none_of_these"]
    return {"text": FORUM_POSTS[k]}, {"labels": labels}


def _classification_answer(rng, truth: dict, accuracy: float) -> dict:
    chosen = {x for x in truth["labels"] if x != "none_of_these"}
    for label in LABELS:
        if rng.random() > accuracy:
            chosen ^= {label}
    return {"labels": sorted(chosen) or ["none_of_these"]}


def _trajectory_item(rng, i: int) -> tuple[dict, dict]:
    n = int(rng.integers(4, 8))
    fail = int(rng.integers(2, n + 1)) if rng.random() < 0.6 else None
    steps = [{"step": s + 1, "action": f"tool call {s + 1}"} for s in range(n)]
    ratings = [
        {"step": s + 1, "rating": 2 if fail and s + 1 >= fail else int(rng.integers(4, 6))}
        for s in range(n)
    ]
    answer = {
        "steps": ratings,
        "task_success": "failure" if fail else "success",
        "first_failing_step": fail,
    }
    return {"task": "Fix the failing test in utils/dates.py", "steps": steps}, answer


def _trajectory_answer(rng, truth: dict, accuracy: float) -> dict:
    steps = [
        {
            "step": s["step"],
            "rating": int(
                min(
                    5, max(1, s["rating"] + (0 if rng.random() < accuracy else rng.choice([-1, 1])))
                )
            ),
        }
        for s in truth["steps"]
    ]
    success = truth["task_success"]
    if rng.random() > accuracy:
        success = "partial"
    first = truth["first_failing_step"]
    if success != "success" and first is None:
        first = len(steps)
    if success == "success":
        first = None
    return {"steps": steps, "task_success": success, "first_failing_step": first}


def _free_text_item(rng, i: int) -> tuple[dict, dict]:
    return (
        {
            "prompt": LEGAL_QUESTIONS[i % len(LEGAL_QUESTIONS)],
            "response": "No. The landlord can always keep the deposit if the flat is not spotless.",
        },
        {},
    )


WORDS = [
    "tenant",
    "landlord",
    "deposit",
    "statute",
    "remedy",
    "notice",
    "damages",
    "clause",
    "evidence",
    "burden",
    "court",
    "scheme",
    "deduction",
    "inventory",
    "receipt",
    "wear",
    "tear",
    "repair",
    "dispute",
    "claim",
    "limitation",
    "period",
    "consumer",
    "seller",
    "buyer",
    "contract",
    "offer",
    "acceptance",
    "consideration",
    "variation",
    "consultation",
    "dismissal",
    "employer",
    "employee",
    "wages",
    "reasonable",
    "unfair",
    "written",
    "oral",
    "proof",
]


def _free_text_answer(rng, truth: dict, accuracy: float, *, i: int = 0, w: int = 0) -> dict:
    """A critique and revision of ~250 characters each, drawn word by word (no two alike)."""

    def para(n: int) -> str:
        words = rng.choice(WORDS, size=n)
        return (f"Answer {i + 1}: " + " ".join(words) + ".").capitalize()

    return {"critique": para(40).ljust(210, "."), "revision": para(40).ljust(210, ".")}


GENERATORS = {
    "pairwise": (_pairwise_item, _pairwise_answer),
    "rubric": (_rubric_item, _rubric_answer),
    "ranking": (_ranking_item, _ranking_answer),
    "classification": (_classification_item, _classification_answer),
    "trajectory": (_trajectory_item, _trajectory_answer),
    "free_text": (_free_text_item, _free_text_answer),
}


# --- building a project's work --------------------------------------------------------------


def populate_project(
    project: Project,
    experts: list[User],
    *,
    n_items: int,
    n_gold: int,
    seed: int = 0,
    speeder: User | None = None,
    biased: User | None = None,
    copier: User | None = None,
    days: int = 28,
) -> list[Item]:
    """Items, gold items and annotations for `project` (any task type). Each regular item gets
    `project.overlap` experts; every expert answers every gold item. Returns the items.
    Planted behaviours: `speeder` (very short active times, careless), `biased` (picks A 85%
    of the time, pairwise), `copier` (free text copied from another expert)."""
    rng = _rng(seed)
    kind = project.task_type
    make_item, answer = GENERATORS[kind]
    now = timezone.now()
    start = now - timedelta(days=days)
    overlap = min(project.overlap, len(experts))
    specs, truths = [], {}
    for i in range(n_items + n_gold):
        payload, truth = make_item(rng, i)
        gold = i >= n_items
        specs.append(
            Item(
                project=project,
                external_id=f"{'gold' if gold else 'item'}-{i:04d}",
                payload=payload,
                is_gold=gold,
                gold_answer=_gold_answer(kind, truth) if gold else None,
                open_slots=0,
                submitted_count=0,
                created_at=start,
            )
        )
        truths[i] = truth
    items = Item.objects.bulk_create(specs)
    accuracy = {e.pk: float(rng.uniform(0.82, 0.95)) for e in experts}
    if speeder is not None:
        accuracy[speeder.pk] = 0.6
    assignments, annotations = [], []
    for i, item in enumerate(items):
        if item.is_gold:
            who = experts
        else:
            who = [experts[j] for j in rng.choice(len(experts), size=overlap, replace=False)]
        item.submitted_count = len(who)
        for expert in who:
            when = start + timedelta(seconds=float(rng.uniform(0, days * 86400)))
            truth = truths[i]
            if kind == "pairwise":
                response = _pairwise_answer(
                    rng, truth, accuracy[expert.pk], bias_a=0.85 if expert == biased else 0.0
                )
            elif kind == "free_text":
                response = _free_text_answer(rng, truth, 1.0, i=i, w=expert.pk % 7)
                if expert == copier and annotations:
                    other = next(
                        (a for a in reversed(annotations) if a.expert_id != copier.pk), None
                    )
                    if other is not None:
                        response = {k: v.replace(".", " .", 1) for k, v in other.response.items()}
            else:
                response = answer(rng, truth, accuracy[expert.pk])
            seconds = int(rng.lognormal(np.log(project.estimated_minutes * 45), 0.35))
            if expert == speeder:
                seconds = int(rng.integers(8, 25))
            correct = None
            if item.is_gold:
                correct = score_gold(kind, project.task_config, item.gold_answer, response)
            assignment = Assignment(
                project=project,
                item=item,
                expert=expert,
                status=Assignment.Status.SUBMITTED,
                is_gold=item.is_gold,
                leased_at=when - timedelta(seconds=seconds),
                lease_expires_at=when + timedelta(minutes=30),
                finished_at=when,
            )
            assignments.append(assignment)
            status = (
                Annotation.Review.ACCEPTED if rng.random() < 0.9 else (Annotation.Review.PENDING)
            )
            annotations.append(
                Annotation(
                    assignment=assignment,
                    project=project,
                    item=item,
                    expert=expert,
                    response=response,
                    active_seconds=max(seconds, 1),
                    submitted_at=when,
                    review_status=status,
                    reviewed_at=when + timedelta(days=1)
                    if status == Annotation.Review.ACCEPTED
                    else None,
                    auto_accepted=False,
                    review_due_at=when + timedelta(days=7),
                    gold_correct=correct,
                )
            )
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    for a in annotations:
        a.assignment_id = a.assignment.pk
    Annotation.objects.bulk_create(annotations, batch_size=2000)
    Item.objects.bulk_update(items, ["submitted_count"], batch_size=2000)
    per_expert: dict[int, list[int]] = {}
    for a in annotations:
        per_expert.setdefault(a.expert_id, [0, 0])
        per_expert[a.expert_id][0] += 1
        per_expert[a.expert_id][1] += int(a.item.is_gold)
    ExpertProjectStats.objects.bulk_create(
        [
            ExpertProjectStats(
                project=project, expert_id=pk, tasks_claimed=n, tasks_submitted=n, gold_served=g
            )
            for pk, (n, g) in per_expert.items()
        ],
        ignore_conflicts=True,
    )
    with transaction.atomic():
        quality.gold_rescore(project=project)
    return items


def _gold_answer(kind: str, truth: dict) -> dict:
    if kind == "pairwise":
        return {
            "choice": truth["choice"],
            "strength": 2,
            "criteria": {"safety": truth["choice"], "clarity": truth["choice"]},
        }
    return truth


def judge_jsonl_pairwise(items: list[Item], *, seed: int = 1) -> bytes:
    """Two judges on the regular items of a pairwise project: `careful-judge` agrees with the
    answer that is really better 90% of the time and is consistent when the order is swapped;
    `first-position-judge` picks whichever response it is shown first 75% of the time."""
    rng = _rng(seed)
    lines = []
    for item in items:
        if item.is_gold:
            continue
        truth = "a" if item.payload["response_a"] in SAFE else "b"
        if item.payload["response_a"] in SAFE and item.payload["response_b"] in SAFE:
            truth = "tie"
        careful = truth if rng.random() < 0.9 else _flip(rng, truth)
        swapped = {"a": "b", "b": "a", "tie": "tie"}[careful] if rng.random() < 0.93 else careful
        lines.append(
            {
                "external_id": item.external_id,
                "judge": "careful-judge",
                "verdict": _verdict(careful),
                "swapped_verdict": _verdict(swapped),
            }
        )
        first = "a" if rng.random() < 0.75 else ("b" if rng.random() < 0.8 else truth)
        first_swapped = "a" if rng.random() < 0.75 else "b"
        lines.append(
            {
                "external_id": item.external_id,
                "judge": "first-position-judge",
                "verdict": _verdict(first),
                "swapped_verdict": _verdict(first_swapped),
            }
        )
    return "\n".join(json.dumps(x) for x in lines).encode()


def _verdict(choice: str) -> dict:
    return {"choice": choice, "strength": 2, "criteria": {"safety": choice, "clarity": choice}}


def judge_jsonl_rubric(items: list[Item], *, seed: int = 2) -> bytes:
    rng = _rng(seed)
    lines = []
    for item in items:
        if item.is_gold:
            continue
        answers = list(Annotation.objects.filter(item=item).values_list("response", flat=True))
        scores = {}
        for key in ("accuracy", "completeness"):
            vals = [a["scores"][key] for a in answers]
            scores[key] = int(
                min(5, max(1, round(float(np.median(vals))) + int(rng.choice([-1, 0, 0, 0, 1]))))
            )
        lines.append(
            {
                "external_id": item.external_id,
                "judge": "careful-judge",
                "verdict": {"scores": scores},
            }
        )
    return "\n".join(json.dumps(x) for x in lines).encode()


def seed() -> list[tuple[str, str, str]]:
    pool = generated_experts(GENERATED)
    for n, project in enumerate(
        Project.objects.filter(
            status=ProjectStatus.LIVE, organization__slug__in=["acme-ai", "globex-labs"]
        ).order_by("id")
    ):
        if project.task_type not in SIZES or Item.objects.filter(project=project).exists():
            continue
        n_items, n_gold, n_experts = SIZES[project.task_type]
        experts = []
        demo = DEMO_EXPERT_FOR.get(project.task_type)
        if demo:
            experts += list(User.objects.filter(email=demo))
        experts += pool[: n_experts - len(experts)]
        planted = {}
        if project.task_type == "pairwise":
            planted = {"speeder": experts[-1], "biased": experts[-2]}
        if project.task_type == "free_text":
            planted = {"copier": experts[-1]}
        items = populate_project(
            project, experts, n_items=n_items, n_gold=n_gold, seed=100 + n, **planted
        )
        owner = (
            Membership.objects.filter(organization=project.organization, role=Role.OWNER)
            .first()
            .user
        )
        if project.task_type == "pairwise":
            quality.judge_verdicts_import(
                project=project,
                user=owner,
                content=judge_jsonl_pairwise(items),
                filename="demo-judges.jsonl",
                recompute=False,
            )
        if project.task_type == "rubric":
            quality.judge_verdicts_import(
                project=project,
                user=owner,
                content=judge_jsonl_rubric(items),
                filename="demo-judge.jsonl",
                recompute=False,
            )
    return []


def seed_snapshots() -> list[tuple[str, str, str]]:
    """A quality snapshot for every live project with work and none yet. Runs last (see
    demo.seed.SEEDERS): later seeders (payments) add projects with annotations too."""
    for project in Project.objects.filter(status=ProjectStatus.LIVE).order_by("id"):
        has_work = Annotation.objects.filter(project=project).exists()
        if has_work and not QualitySnapshot.objects.filter(project=project).exists():
            quality.quality_snapshot_compute(project_id=project.pk, n_boot=N_BOOT)
    return []
