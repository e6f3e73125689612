from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.models import User


def expert_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.kind != User.Kind.EXPERT or not hasattr(request.user, "expert_profile"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def staff_required(*, allow_auditor: bool = False):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_staff or (allow_auditor and user.is_auditor)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def add_domain_errors(form, exc) -> None:
    """Show a DomainError on a form: per field where the field exists, else as a form error."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        if name in form.fields:
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(name, str(error))
            placed = True
    if not placed or exc.message not in ("Some fields are invalid.",):
        form.add_error(None, exc.message)
