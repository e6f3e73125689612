"""Each task type's generated JSON Schema accepts a valid response and rejects invalid ones
with field-level messages keyed by JSON pointer."""

import pytest

from core.exceptions import ValidationFailed
from marketplace.task_types import task_type


def errors_for(key: str, config: dict, response) -> dict:
    kind = task_type(key)
    config = kind.validate_config(config)
    return kind.response_errors(config, response)


# --- pairwise --------------------------------------------------------------------------------

PAIRWISE = {
    "allow_tie": False,
    "strength": True,
    "rationale": "required",
    "criteria": [{"key": "safety", "label": "Safety"}],
}


def test_pairwise_accepts_a_full_valid_response():
    response = {
        "choice": "b",
        "strength": 3,
        "criteria": {"safety": "b"},
        "rationale": "B cites the guideline.",
    }
    assert errors_for("pairwise", PAIRWISE, response) == {}


def test_pairwise_refuses_tie_when_ties_are_off_and_names_the_field():
    errors = errors_for(
        "pairwise",
        PAIRWISE,
        {"choice": "tie", "strength": 1, "criteria": {"safety": "a"}, "rationale": "x"},
    )
    assert errors["/choice"] == ['Must be one of "a", "b".']


def test_pairwise_strength_is_between_one_and_three():
    errors = errors_for(
        "pairwise",
        PAIRWISE,
        {"choice": "a", "strength": 4, "criteria": {"safety": "a"}, "rationale": "x"},
    )
    assert errors["/strength"] == ["Must be at most 3."]


def test_pairwise_reports_missing_criterion_and_rationale_at_their_own_paths():
    errors = errors_for("pairwise", PAIRWISE, {"choice": "a", "strength": 2, "criteria": {}})
    assert errors["/criteria/safety"] == ["This field is required."]
    assert errors["/rationale"] == ["This field is required."]


def test_pairwise_tie_allowed_when_configured_and_rationale_optional():
    config = {"allow_tie": True, "strength": False, "rationale": "optional"}
    assert errors_for("pairwise", config, {"choice": "tie"}) == {}
    errors = errors_for("pairwise", config, {"choice": "a", "strength": 2})
    assert errors["/strength"] == ["This field is not allowed here."]


# --- ranking ----------------------------------------------------------------------------------


def test_ranking_accepts_a_permutation():
    assert errors_for("ranking", {"k": 4}, {"ranks": [2, 1, 4, 3]}) == {}


def test_ranking_without_ties_refuses_repeated_ranks():
    errors = errors_for("ranking", {"k": 3}, {"ranks": [1, 1, 2]})
    assert errors["/ranks"] == ["Entries must not repeat."]


def test_ranking_refuses_wrong_length_and_out_of_range_rank():
    errors = errors_for("ranking", {"k": 3}, {"ranks": [1, 2]})
    assert errors["/ranks"] == ["Must have at least 3 entries."]
    errors = errors_for("ranking", {"k": 3}, {"ranks": [1, 2, 7]})
    assert errors["/ranks/2"] == ["Must be at most 3."]


def test_ranking_with_ties_accepts_ties_but_needs_a_first_place():
    config = {"k": 3, "allow_ties": True}
    assert errors_for("ranking", config, {"ranks": [1, 1, 3]}) == {}
    assert errors_for("ranking", config, {"ranks": [2, 2, 3]}) == {
        "/ranks": ["At least one response must be ranked 1 (best)."]
    }


# --- rubric -----------------------------------------------------------------------------------

RUBRIC = {
    "criteria": [
        {
            "key": "accuracy",
            "label": "Accuracy",
            "scale_min": 1,
            "scale_max": 5,
            "anchors": {"1": "Wrong", "5": "Right"},
        },
        {"key": "tone", "label": "Tone", "scale_min": 0, "scale_max": 2, "anchors": {}},
    ],
    "comments": "optional",
}


def test_rubric_accepts_scores_for_every_criterion_with_optional_comments():
    assert errors_for("rubric", RUBRIC, {"scores": {"accuracy": 4, "tone": 0}}) == {}
    assert (
        errors_for(
            "rubric", RUBRIC, {"scores": {"accuracy": 4, "tone": 0}, "comments": {"tone": "Curt."}}
        )
        == {}
    )


def test_rubric_reports_each_bad_score_at_its_criterion():
    errors = errors_for("rubric", RUBRIC, {"scores": {"accuracy": 6, "extra": 1}})
    assert errors["/scores/accuracy"] == ["Must be at most 5."]
    assert errors["/scores/tone"] == ["This field is required."]
    assert errors["/scores/extra"] == ["This field is not allowed here."]


def test_rubric_score_must_be_an_integer():
    errors = errors_for("rubric", RUBRIC, {"scores": {"accuracy": "five", "tone": 1}})
    assert errors["/scores/accuracy"] == ["Must be of type integer."]


def test_rubric_config_rejects_inverted_scale_and_anchor_off_scale():
    bad = {
        "criteria": [
            {"key": "a", "label": "A", "scale_min": 5, "scale_max": 1, "anchors": {"9": "x"}}
        ]
    }
    with pytest.raises(ValidationFailed) as exc:
        task_type("rubric").validate_config(bad)
    assert "task_config/criteria/0/scale_max" in exc.value.fields
    assert "task_config/criteria/0/anchors/9" in exc.value.fields


# --- classification ---------------------------------------------------------------------------

LABELS = [{"key": "spam", "label": "Spam"}, {"key": "ham", "label": "Not spam"}]


def test_single_label_classification():
    config = {"labels": LABELS, "allow_none": True}
    assert errors_for("classification", config, {"label": "spam"}) == {}
    assert errors_for("classification", config, {"label": "none_of_these"}) == {}
    errors = errors_for("classification", config, {"label": "eggs"})
    assert errors["/label"] == ['Must be one of "spam", "ham", "none_of_these".']


def test_multi_label_classification_with_none_of_these_alone():
    config = {"labels": LABELS, "multi": True, "allow_none": True}
    assert errors_for("classification", config, {"labels": ["spam", "ham"]}) == {}
    assert errors_for("classification", config, {"labels": ["none_of_these"]}) == {}
    errors = errors_for("classification", config, {"labels": ["spam", "none_of_these"]})
    assert errors["/labels"] == ["Choose one or more labels, or only 'none_of_these'."]


def test_multi_label_without_none_needs_at_least_one_label():
    config = {"labels": LABELS, "multi": True}
    errors = errors_for("classification", config, {"labels": []})
    assert errors["/labels"] == ["Must have at least 1 entry."]


def test_classification_config_rejects_duplicate_keys():
    with pytest.raises(ValidationFailed) as exc:
        task_type("classification").validate_config({"labels": LABELS + [LABELS[0]]})
    assert exc.value.fields == {"task_config/labels/2/key": ["Duplicate key 'spam'."]}


# --- free text --------------------------------------------------------------------------------


def test_demonstration_length_limits():
    config = {"mode": "demonstration", "min_length": 10, "max_length": 20}
    assert errors_for("free_text", config, {"text": "exactly ten"}) == {}
    assert errors_for("free_text", config, {"text": "short"}) == {
        "/text": ["Must be at least 10 characters long."]
    }
    assert errors_for("free_text", config, {"text": "x" * 21}) == {
        "/text": ["Must be at most 20 characters long."]
    }


def test_critique_and_revision_needs_both_parts():
    config = {"mode": "critique_revision", "min_length": 1, "max_length": 100}
    assert errors_for("free_text", config, {"critique": "Wrong unit.", "revision": "5 mg"}) == {}
    assert errors_for("free_text", config, {"critique": "Wrong unit."}) == {
        "/revision": ["This field is required."]
    }


def test_free_text_config_min_above_max_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        task_type("free_text").validate_config({"min_length": 50, "max_length": 10})
    assert exc.value.fields == {"task_config/max_length": ["Must be at least min_length."]}


# --- agent trajectory -------------------------------------------------------------------------

TRAJ = {"max_steps": 5, "scale_min": 1, "scale_max": 3, "step_comments": "optional"}


def test_trajectory_accepts_rated_steps_and_first_failure():
    response = {
        "steps": [{"step": 1, "rating": 3}, {"step": 2, "rating": 1, "comment": "bad"}],
        "task_success": "failure",
        "first_failing_step": 2,
    }
    assert errors_for("trajectory", TRAJ, response) == {}
    ok = {
        "steps": [{"step": 1, "rating": 3}],
        "task_success": "success",
        "first_failing_step": None,
    }
    assert errors_for("trajectory", TRAJ, ok) == {}


def test_trajectory_failure_must_name_the_first_failing_step():
    response = {
        "steps": [{"step": 1, "rating": 1}],
        "task_success": "failure",
        "first_failing_step": None,
    }
    errors = errors_for("trajectory", TRAJ, response)
    assert errors["/first_failing_step"] == ["Must be of type integer."]


def test_trajectory_reports_bad_step_rating_at_its_index():
    response = {
        "steps": [{"step": 1, "rating": 3}, {"step": 2, "rating": 9}],
        "task_success": "partial",
        "first_failing_step": 2,
    }
    errors = errors_for("trajectory", TRAJ, response)
    assert errors == {"/steps/1/rating": ["Must be at most 3."]}


def test_trajectory_first_failing_step_must_exist():
    response = {
        "steps": [{"step": 1, "rating": 3}],
        "task_success": "failure",
        "first_failing_step": 4,
    }
    errors = errors_for("trajectory", TRAJ, response)
    assert errors == {"/first_failing_step": ["There are only 1 steps."]}


def test_trajectory_missing_fields_are_reported_each():
    errors = errors_for("trajectory", TRAJ, {"steps": []})
    assert errors["/steps"] == ["Must have at least 1 entry."]
    assert errors["/task_success"] == ["This field is required."]
    assert errors["/first_failing_step"] == ["This field is required."]


@pytest.mark.parametrize(
    "key", ["pairwise", "ranking", "rubric", "classification", "free_text", "trajectory"]
)
def test_every_task_type_example_response_matches_its_own_default_schema(key):
    kind = task_type(key)
    config = kind.default_config()
    assert kind.response_errors(config, kind.example_response(config)) == {}
    assert kind.response_errors(config, "not an object") == {"/": ["Must be of type object."]}
