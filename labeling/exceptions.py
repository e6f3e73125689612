from core.exceptions import InvalidState, NotPermitted


class NoTaskAvailable(InvalidState):
    status_code = 404
    code = "no_task_available"
    default_message = "There is no task for you in this project right now."


class LeaseExpired(InvalidState):
    code = "lease_expired"
    default_message = "This task's lease has expired; claim a new task."


class ExpertSuspended(NotPermitted):
    code = "expert_suspended"
    default_message = "You are suspended from this project."


class TaskLimitReached(InvalidState):
    code = "task_limit_reached"
    default_message = "You have reached this project's maximum number of tasks per expert."


class AlreadyReviewed(InvalidState):
    code = "already_reviewed"
    default_message = "This annotation has already been reviewed."
