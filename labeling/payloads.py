"""The minimal item payload each task type needs, checked row by row on import.

Hand-written checks rather than JSON Schema: they run once per imported row and must keep up
with an import of a million items. Extra keys are allowed (kept and shown to experts as-is);
only the keys below are required. See docs/labeling-data.md.

| task type      | required keys                                                             |
| -------------- | ------------------------------------------------------------------------- |
| pairwise       | prompt, response_a (string), response_b (string)                          |
| ranking        | prompt, responses (list of strings; as many as the project's k)           |
| rubric         | prompt, response (string)                                                 |
| classification | text (string)                                                             |
| free_text      | prompt; and response (string) when the mode is critique_revision          |
| trajectory     | task (string), steps (non-empty list of objects, at most max_steps)       |

A prompt is either a non-empty string or a non-empty list of messages
{"role": "system"|"user"|"assistant", "content": string}.
"""

from __future__ import annotations

from collections.abc import Callable

ROLES = frozenset({"system", "user", "assistant"})

Errors = dict[str, list[str]]


def _add(errors: Errors, pointer: str, message: str) -> None:
    errors.setdefault(pointer, []).append(message)


def _need_string(payload: dict, key: str, errors: Errors) -> None:
    if key not in payload:
        _add(errors, f"/payload/{key}", "Required.")
    elif not isinstance(payload[key], str):
        _add(errors, f"/payload/{key}", "Must be a string.")
    elif not payload[key].strip():
        _add(errors, f"/payload/{key}", "Must not be empty.")


def _need_prompt(payload: dict, errors: Errors, key: str = "prompt") -> None:
    if key not in payload:
        _add(errors, f"/payload/{key}", "Required.")
        return
    prompt = payload[key]
    if isinstance(prompt, str):
        if not prompt.strip():
            _add(errors, f"/payload/{key}", "Must not be empty.")
        return
    if not isinstance(prompt, list) or not prompt:
        _add(errors, f"/payload/{key}", "Must be a string or a non-empty list of messages.")
        return
    for i, message in enumerate(prompt):
        if (
            not isinstance(message, dict)
            or message.get("role") not in ROLES
            or not isinstance(message.get("content"), str)
        ):
            _add(
                errors,
                f"/payload/{key}/{i}",
                'Each message must be {"role": "system"|"user"|"assistant", "content": string}.',
            )
            return


def _pairwise(payload: dict, config: dict, errors: Errors) -> None:
    _need_prompt(payload, errors)
    _need_string(payload, "response_a", errors)
    _need_string(payload, "response_b", errors)


def _ranking(payload: dict, config: dict, errors: Errors) -> None:
    _need_prompt(payload, errors)
    responses = payload.get("responses")
    if "responses" not in payload:
        _add(errors, "/payload/responses", "Required.")
    elif not isinstance(responses, list) or not all(isinstance(r, str) for r in responses):
        _add(errors, "/payload/responses", "Must be a list of strings.")
    else:
        k = config.get("k")
        if k and len(responses) != k:
            _add(errors, "/payload/responses", f"Must have exactly {k} responses.")
        elif len(responses) < 2:
            _add(errors, "/payload/responses", "Must have at least 2 responses.")


def _rubric(payload: dict, config: dict, errors: Errors) -> None:
    _need_prompt(payload, errors)
    _need_string(payload, "response", errors)


def _classification(payload: dict, config: dict, errors: Errors) -> None:
    _need_string(payload, "text", errors)


def _free_text(payload: dict, config: dict, errors: Errors) -> None:
    _need_prompt(payload, errors)
    if config.get("mode") == "critique_revision":
        _need_string(payload, "response", errors)


def _trajectory(payload: dict, config: dict, errors: Errors) -> None:
    _need_string(payload, "task", errors)
    steps = payload.get("steps")
    if "steps" not in payload:
        _add(errors, "/payload/steps", "Required.")
    elif not isinstance(steps, list) or not steps:
        _add(errors, "/payload/steps", "Must be a non-empty list.")
    elif not all(isinstance(s, dict) for s in steps):
        _add(errors, "/payload/steps", "Each step must be an object.")
    else:
        max_steps = config.get("max_steps")
        if max_steps and len(steps) > max_steps:
            _add(errors, "/payload/steps", f"At most {max_steps} steps.")


CHECKS: dict[str, Callable[[dict, dict, Errors], None]] = {
    "pairwise": _pairwise,
    "ranking": _ranking,
    "rubric": _rubric,
    "classification": _classification,
    "free_text": _free_text,
    "trajectory": _trajectory,
}

#: The payload keys each task type requires (for docs, forms and CSV column hints).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "pairwise": ("prompt", "response_a", "response_b"),
    "ranking": ("prompt", "responses"),
    "rubric": ("prompt", "response"),
    "classification": ("text",),
    "free_text": ("prompt",),
    "trajectory": ("task", "steps"),
}


def payload_errors(task_type: str, config: dict, payload) -> Errors:
    """{JSON pointer: [messages]} for a payload that lacks what the task type needs; {} if fine."""
    if not isinstance(payload, dict):
        return {"/payload": ["Must be an object."]}
    errors: Errors = {}
    check = CHECKS.get(task_type)
    if check is not None:
        check(payload, config or {}, errors)
    return errors
