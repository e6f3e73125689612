"""The six built-in task types."""

from marketplace.task_types.base import (
    KEY_SCHEMA,
    LABEL_SCHEMA,
    TEXT_MODE,
    TaskKind,
    register,
    text_property,
    unique_keys,
)

CHOICE = ["a", "b"]


def _obj(properties: dict, required: list[str]) -> dict:
    props = {k: v for k, v in properties.items() if v is not None}
    return {
        "type": "object",
        "properties": props,
        "required": [r for r in required if r in props],
        "additionalProperties": False,
    }


def _schema(title: str, body: dict) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}


@register
class Pairwise(TaskKind):
    key = "pairwise"
    label = "Pairwise preference"
    summary = "Compare response A and response B and say which is better."
    DEFAULT = {
        "allow_tie": True,
        "strength": True,
        "criteria": [],
        "rationale": "optional",
        "rationale_max_length": 2000,
    }

    def config_schema(self):
        return _obj(
            {
                "allow_tie": {"type": "boolean"},
                "strength": {"type": "boolean"},
                "criteria": {
                    "type": "array",
                    "maxItems": 10,
                    "items": _obj({"key": KEY_SCHEMA, "label": LABEL_SCHEMA}, ["key", "label"]),
                },
                "rationale": TEXT_MODE,
                "rationale_max_length": {"type": "integer", "minimum": 10, "maximum": 20000},
            },
            ["allow_tie", "strength", "criteria", "rationale", "rationale_max_length"],
        )

    def check_config(self, config):
        return unique_keys(config["criteria"], "criteria")

    def response_schema(self, config):
        choice = {"enum": [*CHOICE, "tie"] if config["allow_tie"] else CHOICE}
        props = {
            "choice": choice,
            "strength": {"type": "integer", "minimum": 1, "maximum": 3}
            if config["strength"]
            else None,
            "rationale": text_property(config["rationale"], config["rationale_max_length"], 1),
        }
        required = ["choice", "strength"]
        if config["criteria"]:
            keys = [c["key"] for c in config["criteria"]]
            props["criteria"] = _obj({k: choice for k in keys}, keys)
            required.append("criteria")
        if config["rationale"] == "required":
            required.append("rationale")
        return _schema("Pairwise preference", _obj(props, required))

    def example_response(self, config):
        response = {"choice": "a"}
        if config["strength"]:
            response["strength"] = 2
        if config["criteria"]:
            response["criteria"] = {c["key"]: "a" for c in config["criteria"]}
        if config["rationale"] != "none":
            response["rationale"] = "A answers the question; B misreads it."
        return response

    def describe(self, config):
        lines = ["Choose A or B" + (", or a tie" if config["allow_tie"] else "") + "."]
        if config["strength"]:
            lines.append("Say how strong the preference is (1 slight – 3 strong).")
        if config["criteria"]:
            lines.append(
                "Also choose per criterion: "
                + ", ".join(c["label"] for c in config["criteria"])
                + "."
            )
        if config["rationale"] != "none":
            lines.append(f"Rationale: {config['rationale']}.")
        return lines


@register
class Ranking(TaskKind):
    key = "ranking"
    label = "Ranking of k responses"
    summary = "Rank k responses from best (1) to worst (k)."
    DEFAULT = {"k": 4, "allow_ties": False, "rationale": "none", "rationale_max_length": 2000}

    def config_schema(self):
        return _obj(
            {
                "k": {"type": "integer", "minimum": 2, "maximum": 10},
                "allow_ties": {"type": "boolean"},
                "rationale": TEXT_MODE,
                "rationale_max_length": {"type": "integer", "minimum": 10, "maximum": 20000},
            },
            ["k", "allow_ties", "rationale", "rationale_max_length"],
        )

    def response_schema(self, config):
        k = config["k"]
        # ranks[i] is the rank of response i (1 = best). Without ties, k distinct values out of
        # 1..k: exactly a permutation.
        ranks = {
            "type": "array",
            "minItems": k,
            "maxItems": k,
            "items": {"type": "integer", "minimum": 1, "maximum": k},
            "uniqueItems": not config["allow_ties"],
        }
        props = {
            "ranks": ranks,
            "rationale": text_property(config["rationale"], config["rationale_max_length"], 1),
        }
        required = ["ranks"] + (["rationale"] if config["rationale"] == "required" else [])
        return _schema(f"Ranking of {k} responses", _obj(props, required))

    def check_response(self, config, response):
        if config["allow_ties"] and 1 not in response["ranks"]:
            return {"/ranks": ["At least one response must be ranked 1 (best)."]}
        return {}

    def example_response(self, config):
        response = {"ranks": list(range(1, config["k"] + 1))}
        if config["rationale"] != "none":
            response["rationale"] = "Ordered by factual accuracy."
        return response

    def describe(self, config):
        return [
            f"Rank {config['k']} responses from 1 (best) to {config['k']} (worst)"
            + ("; ties allowed." if config["allow_ties"] else "; no ties.")
        ]


@register
class Rubric(TaskKind):
    key = "rubric"
    label = "Rubric scoring"
    summary = "Score a response on named criteria, each on its own scale."
    DEFAULT = {
        "criteria": [
            {
                "key": "accuracy",
                "label": "Accuracy",
                "scale_min": 1,
                "scale_max": 5,
                "anchors": {"1": "Wrong", "5": "Fully correct"},
            },
            {
                "key": "clarity",
                "label": "Clarity",
                "scale_min": 1,
                "scale_max": 5,
                "anchors": {"1": "Confusing", "5": "Crystal clear"},
            },
        ],
        "comments": "optional",
        "comment_max_length": 2000,
    }

    def config_schema(self):
        criterion = _obj(
            {
                "key": KEY_SCHEMA,
                "label": LABEL_SCHEMA,
                "description": {"type": "string", "maxLength": 1000},
                "scale_min": {"type": "integer", "minimum": 0, "maximum": 10},
                "scale_max": {"type": "integer", "minimum": 1, "maximum": 10},
                "anchors": {
                    "type": "object",
                    "propertyNames": {"pattern": "^[0-9]{1,2}$"},
                    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 200},
                },
            },
            ["key", "label", "scale_min", "scale_max", "anchors"],
        )
        return _obj(
            {
                "criteria": {"type": "array", "minItems": 1, "maxItems": 20, "items": criterion},
                "comments": TEXT_MODE,
                "comment_max_length": {"type": "integer", "minimum": 10, "maximum": 20000},
            },
            ["criteria", "comments", "comment_max_length"],
        )

    def check_config(self, config):
        errors = unique_keys(config["criteria"], "criteria")
        for i, c in enumerate(config["criteria"]):
            if c["scale_min"] >= c["scale_max"]:
                errors[f"/criteria/{i}/scale_max"] = ["Must be greater than scale_min."]
            for point in c["anchors"]:
                if not c["scale_min"] <= int(point) <= c["scale_max"]:
                    errors.setdefault(f"/criteria/{i}/anchors/{point}", []).append(
                        "Anchor outside the scale."
                    )
        return errors

    def response_schema(self, config):
        keys = [c["key"] for c in config["criteria"]]
        scores = _obj(
            {
                c["key"]: {"type": "integer", "minimum": c["scale_min"], "maximum": c["scale_max"]}
                for c in config["criteria"]
            },
            keys,
        )
        props = {"scores": scores}
        required = ["scores"]
        if config["comments"] != "none":
            text = text_property(config["comments"], config["comment_max_length"], 1)
            props["comments"] = _obj(
                {k: text for k in keys}, keys if config["comments"] == "required" else []
            )
            if config["comments"] == "required":
                required.append("comments")
        return _schema("Rubric scores", _obj(props, required))

    def example_response(self, config):
        response = {"scores": {c["key"]: c["scale_max"] for c in config["criteria"]}}
        if config["comments"] != "none":
            response["comments"] = {c["key"]: "Looks right." for c in config["criteria"]}
        return response

    def describe(self, config):
        return [
            f"{c['label']}: {c['scale_min']}–{c['scale_max']}"
            + (
                " ("
                + "; ".join(
                    f"{k} = {v}" for k, v in sorted(c["anchors"].items(), key=lambda kv: int(kv[0]))
                )
                + ")"
                if c["anchors"]
                else ""
            )
            for c in config["criteria"]
        ]


NONE_OF_THESE = "none_of_these"


@register
class Classification(TaskKind):
    key = "classification"
    label = "Classification"
    summary = "Choose the label (or labels) that apply."
    DEFAULT = {
        "labels": [{"key": "safe", "label": "Safe"}, {"key": "unsafe", "label": "Unsafe"}],
        "multi": False,
        "allow_none": False,
    }

    def config_schema(self):
        return _obj(
            {
                "labels": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 50,
                    "items": _obj({"key": KEY_SCHEMA, "label": LABEL_SCHEMA}, ["key", "label"]),
                },
                "multi": {"type": "boolean"},
                "allow_none": {"type": "boolean"},
            },
            ["labels", "multi", "allow_none"],
        )

    def check_config(self, config):
        errors = unique_keys(config["labels"], "labels")
        for i, label in enumerate(config["labels"]):
            if label["key"] == NONE_OF_THESE:
                errors[f"/labels/{i}/key"] = [f"{NONE_OF_THESE!r} is reserved."]
        return errors

    def response_schema(self, config):
        keys = [label["key"] for label in config["labels"]]
        if not config["multi"]:
            options = [*keys, NONE_OF_THESE] if config["allow_none"] else keys
            return _schema("Classification", _obj({"label": {"enum": options}}, ["label"]))
        labels = {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": keys},
        }
        if config["allow_none"]:
            labels = {
                "anyOf": [labels, {"const": [NONE_OF_THESE]}],
                "errorMessage": f"Choose one or more labels, or only {NONE_OF_THESE!r}.",
            }
        return _schema("Classification (multi-label)", _obj({"labels": labels}, ["labels"]))

    def example_response(self, config):
        first = config["labels"][0]["key"]
        return {"labels": [first]} if config["multi"] else {"label": first}

    def describe(self, config):
        kind = "one or more labels" if config["multi"] else "one label"
        extra = ", or “none of these”" if config["allow_none"] else ""
        return [f"Choose {kind}{extra}: " + ", ".join(x["label"] for x in config["labels"])]


@register
class FreeText(TaskKind):
    key = "free_text"
    label = "Demonstration / critique and revision"
    summary = "Write an ideal response, or critique a response and revise it."
    DEFAULT = {"mode": "demonstration", "min_length": 50, "max_length": 5000}

    def config_schema(self):
        return _obj(
            {
                "mode": {"enum": ["demonstration", "critique_revision"]},
                "min_length": {"type": "integer", "minimum": 0, "maximum": 20000},
                "max_length": {"type": "integer", "minimum": 1, "maximum": 50000},
            },
            ["mode", "min_length", "max_length"],
        )

    def check_config(self, config):
        if config["min_length"] > config["max_length"]:
            return {"/max_length": ["Must be at least min_length."]}
        return {}

    def response_schema(self, config):
        text = {
            "type": "string",
            "minLength": config["min_length"],
            "maxLength": config["max_length"],
        }
        if config["mode"] == "demonstration":
            return _schema("Demonstration", _obj({"text": text}, ["text"]))
        return _schema(
            "Critique and revision",
            _obj({"critique": text, "revision": text}, ["critique", "revision"]),
        )

    def example_response(self, config):
        body = ("A careful, complete answer. " * 200)[: max(config["min_length"], 30)].strip()
        body = body.ljust(config["min_length"], ".")[: config["max_length"]]
        if config["mode"] == "demonstration":
            return {"text": body}
        return {"critique": body, "revision": body}

    def describe(self, config):
        what = (
            "Write the ideal response"
            if config["mode"] == "demonstration"
            else ("Critique the response, then write a revised version")
        )
        return [f"{what} ({config['min_length']}–{config['max_length']} characters)."]


@register
class Trajectory(TaskKind):
    key = "trajectory"
    label = "Agent-trajectory evaluation"
    summary = "Rate each step of an agent's run, judge overall success, find the first failure."
    DEFAULT = {"max_steps": 50, "scale_min": 1, "scale_max": 5, "step_comments": "optional"}

    def config_schema(self):
        return _obj(
            {
                "max_steps": {"type": "integer", "minimum": 1, "maximum": 500},
                "scale_min": {"type": "integer", "minimum": 0, "maximum": 10},
                "scale_max": {"type": "integer", "minimum": 1, "maximum": 10},
                "step_comments": TEXT_MODE,
            },
            ["max_steps", "scale_min", "scale_max", "step_comments"],
        )

    def check_config(self, config):
        if config["scale_min"] >= config["scale_max"]:
            return {"/scale_max": ["Must be greater than scale_min."]}
        return {}

    def response_schema(self, config):
        step = _obj(
            {
                "step": {"type": "integer", "minimum": 1, "maximum": config["max_steps"]},
                "rating": {
                    "type": "integer",
                    "minimum": config["scale_min"],
                    "maximum": config["scale_max"],
                },
                "comment": text_property(config["step_comments"], 2000, 1),
            },
            ["step", "rating"] + (["comment"] if config["step_comments"] == "required" else []),
        )
        body = _obj(
            {
                "steps": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": config["max_steps"],
                    "items": step,
                },
                "task_success": {"enum": ["success", "partial", "failure"]},
                "first_failing_step": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": config["max_steps"],
                },
            },
            ["steps", "task_success", "first_failing_step"],
        )
        # A run that did not fully succeed must name the step where it first went wrong.
        body["if"] = {
            "properties": {"task_success": {"enum": ["partial", "failure"]}},
            "required": ["task_success"],
        }
        body["then"] = {"properties": {"first_failing_step": {"type": "integer"}}}
        return _schema("Agent-trajectory evaluation", body)

    def check_response(self, config, response):
        errors: dict[str, list[str]] = {}
        numbers = [s["step"] for s in response["steps"]]
        if numbers != list(range(1, len(numbers) + 1)):
            errors["/steps"] = ["Rate every step once, in order, starting at 1."]
        first = response["first_failing_step"]
        if first is not None and first > len(numbers):
            errors["/first_failing_step"] = [f"There are only {len(numbers)} steps."]
        if response["task_success"] == "success" and first is not None:
            errors["/first_failing_step"] = ["A successful run has no failing step; use null."]
        return errors

    def example_response(self, config):
        return {
            "steps": [
                {"step": 1, "rating": config["scale_max"]},
                {"step": 2, "rating": config["scale_min"]},
            ],
            "task_success": "failure",
            "first_failing_step": 2,
        }

    def describe(self, config):
        return [
            f"Rate each step {config['scale_min']}–{config['scale_max']}.",
            "Judge overall success (success, partial, failure) and name the first failing step.",
        ]
