"""How a response to a gold item is scored, per task type.

Exact for classification and pairwise choice; a tolerance per criterion for rubric scores; a
Kendall tau threshold for rankings; per-step tolerance (plus matching overall success) for agent
trajectories. Free text is not auto-scored (None).
"""

from scipy.stats import kendalltau

RUBRIC_TOLERANCE = 1
RANKING_MIN_TAU = 0.6
TRAJECTORY_STEP_TOLERANCE = 1


def score_gold(task_type: str, config: dict, gold: dict, response: dict) -> bool | None:
    scorer = SCORERS.get(task_type)
    return None if scorer is None else scorer(config or {}, gold, response)


def _pairwise(config, gold, response) -> bool:
    return response.get("choice") == gold.get("choice")


def _classification(config, gold, response) -> bool:
    def labels(value):
        value = value.get("labels", value.get("label"))
        return set(value) if isinstance(value, list) else {value}

    return labels(response) == labels(gold)


def _rubric(config, gold, response) -> bool:
    tolerance = config.get("gold_tolerance", RUBRIC_TOLERANCE)
    gold_scores = gold.get("scores", {})
    got = response.get("scores", {})
    return all(
        _score_value(got.get(key)) is not None
        and abs(_score_value(got.get(key)) - _score_value(value)) <= tolerance
        for key, value in gold_scores.items()
    )


def _score_value(value):
    if isinstance(value, dict):
        value = value.get("score")
    return value if isinstance(value, int | float) else None


def _ranking(config, gold, response) -> bool:
    expected, got = gold.get("ranks") or [], response.get("ranks") or []
    if len(expected) != len(got) or len(expected) < 2:
        return expected == got
    tau = kendalltau(expected, got).statistic
    return bool(tau >= config.get("gold_min_tau", RANKING_MIN_TAU))


def _trajectory(config, gold, response) -> bool:
    tolerance = config.get("gold_tolerance", TRAJECTORY_STEP_TOLERANCE)
    if response.get("task_success") != gold.get("task_success"):
        return False
    if response.get("first_failing_step") != gold.get("first_failing_step"):
        return False
    expected = [s.get("rating") for s in gold.get("steps") or []]
    got = [s.get("rating") for s in response.get("steps") or []]
    if len(expected) != len(got):
        return False
    return all(
        isinstance(a, int) and isinstance(b, int) and abs(a - b) <= tolerance
        for a, b in zip(expected, got, strict=True)
    )


SCORERS = {
    "pairwise": _pairwise,
    "classification": _classification,
    "rubric": _rubric,
    "ranking": _ranking,
    "trajectory": _trajectory,
}
