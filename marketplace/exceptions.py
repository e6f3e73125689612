"""Domain errors of the marketplace (core's exception handler maps them to 4xx)."""

from core.exceptions import InvalidState, NotPermitted, ValidationFailed


class BelowPayFloor(ValidationFailed):
    code = "below_pay_floor"
    default_message = "The pay is below the fair-pay floor."


class IllegalTransition(InvalidState):
    code = "illegal_transition"
    default_message = "This project cannot move to that status."


class ProjectNotEditable(InvalidState):
    code = "project_not_editable"
    default_message = "This project can no longer be edited."


class ProjectNotLive(InvalidState):
    code = "project_not_live"
    default_message = "This project is not live."


class NotEligible(NotPermitted):
    code = "not_eligible"
    default_message = "You do not meet this project's requirements."


class ExpertsOnly(NotPermitted):
    code = "experts_only"
    default_message = "Only experts can do this."


class StaffOnly(NotPermitted):
    code = "staff_only"
    default_message = "Only Plumbline staff can do this."
