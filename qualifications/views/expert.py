from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from qualifications import selectors, services
from qualifications.evidence import evidence_response
from qualifications.exceptions import AttemptExpired
from qualifications.forms import (
    CredentialForm,
    DomainFormSet,
    LanguageFormSet,
    ProfileAvailabilityForm,
    ProfileBasicsForm,
)
from qualifications.models import Domain, QualificationTest, Question
from qualifications.views.common import add_domain_errors, expert_required

WIZARD_STEPS = [
    ("basics", "Basics"),
    ("domains", "Domains"),
    ("languages", "Languages"),
    ("availability", "Availability"),
]


@expert_required
def profile(request):
    return redirect("qualifications:profile_step", step="basics")


def _step_forms(step, profile, data=None):
    if step == "basics":
        initial = {"headline": profile.headline, "bio": profile.bio, "country": profile.country}
        return ProfileBasicsForm(data, initial=initial)
    if step == "availability":
        initial = {
            "timezone": profile.timezone,
            "weekly_availability_hours": profile.weekly_availability_hours,
        }
        return ProfileAvailabilityForm(data, initial=initial)
    if step == "domains":
        initial = [
            {"domain": d.domain_id, "years_experience": d.years_experience}
            for d in profile.domains.all()
        ]
        return DomainFormSet(data, initial=initial, prefix="domains")
    initial = [
        {"language": lang.language, "proficiency": lang.proficiency}
        for lang in profile.languages.all()
    ]
    return LanguageFormSet(data, initial=initial, prefix="languages")


def _save_step(step, form, user, request):
    if step in ("basics", "availability"):
        services.profile_edit(expert=user, fields=form.cleaned_data, request=request)
    elif step == "domains":
        rows = [
            (f.cleaned_data["domain"], f.cleaned_data.get("years_experience") or 0)
            for f in form
            if f.cleaned_data.get("domain")
        ]
        services.profile_edit(expert=user, fields={}, domains=rows, request=request)
    else:
        rows = [
            (f.cleaned_data["language"], f.cleaned_data.get("proficiency") or "")
            for f in form
            if f.cleaned_data.get("language")
        ]
        services.profile_edit(expert=user, fields={}, languages=rows, request=request)


@expert_required
@require_http_methods(["GET", "POST"])
def profile_step(request, step: str):
    steps = [s for s, _ in WIZARD_STEPS]
    if step not in steps:
        raise Http404
    profile = selectors.profile_for_expert(expert=request.user)
    form = _step_forms(step, profile, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _save_step(step, form, request.user, request)
        except DomainError as exc:
            if hasattr(form, "add_error"):
                add_domain_errors(form, exc)
            else:
                messages.error(request, f"{exc.message} {_flatten(exc.fields)}")
        else:
            index = steps.index(step)
            messages.success(request, "Saved.")
            if index + 1 < len(steps):
                return redirect("qualifications:profile_step", step=steps[index + 1])
            return redirect("qualifications:profile_step", step=step)
    profile = selectors.profile_for_expert(expert=request.user)
    return render(
        request,
        "qualifications/profile_wizard.html",
        {
            "steps": WIZARD_STEPS,
            "step": step,
            "form": form,
            "is_formset": step in ("domains", "languages"),
            "profile": profile,
            "completeness": selectors.profile_completeness(profile),
        },
    )


def _flatten(fields: dict) -> str:
    return " ".join(str(e) for errors in fields.values() for e in errors)


@expert_required
@require_http_methods(["GET", "POST"])
def credentials(request):
    form = CredentialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        domain_id = data.pop("domain", None)
        try:
            services.credential_submit(
                expert=request.user,
                domain=Domain.objects.filter(pk=domain_id).first() if domain_id else None,
                request=request,
                **data,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Credential submitted; staff will review it.")
            return redirect("qualifications:credentials")
    return render(
        request,
        "qualifications/credentials.html",
        {"form": form, "credentials": selectors.credentials_for_expert(expert=request.user)},
    )


@require_http_methods(["GET"])
def credential_evidence(request, credential_id: int):
    """Owner and staff only; anyone else (other experts, companies, anonymous) gets 404."""
    if not request.user.is_authenticated:
        raise Http404
    credential = selectors.credential_for_evidence(user=request.user, credential_id=credential_id)
    return evidence_response(credential)


@expert_required
def tests(request):
    return render(
        request,
        "qualifications/tests.html",
        {"summaries": selectors.tests_for_expert(expert=request.user)},
    )


@expert_required
@require_POST
def test_start(request, test_id: int):
    test = get_object_or_404(
        QualificationTest.objects.filter(is_published=True, organization__isnull=True), pk=test_id
    )
    try:
        attempt = services.attempt_start(expert=request.user, test=test, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("qualifications:tests")
    return redirect("qualifications:attempt", attempt_id=attempt.pk)


def _posted_answer(request, question):
    key = f"q{question.id}"
    if question.kind == Question.Kind.MULTIPLE:
        values = request.POST.getlist(key)
        return values or None
    value = request.POST.get(key, "").strip()
    return value or None


@expert_required
@require_http_methods(["GET", "POST"])
def attempt(request, attempt_id: int):
    attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
    if request.method == "POST" and not attempt.is_graded:
        errors = {}
        try:
            for question in selectors.attempt_questions(attempt=attempt):
                value = _posted_answer(request, question)
                if value is None:
                    continue
                try:
                    services.attempt_answer(
                        attempt=attempt,
                        expert=request.user,
                        question_id=question.id,
                        answer=value,
                        rationale=request.POST.get(f"q{question.id}_why", ""),
                    )
                except AttemptExpired:
                    raise
                except DomainError as exc:
                    errors[question.number] = _flatten(exc.fields) or exc.message
            if errors:
                for number, error in errors.items():
                    messages.error(request, f"Question {number}: {error}")
            elif request.POST.get("action") == "submit":
                services.attempt_submit(attempt=attempt, expert=request.user)
                return redirect("qualifications:attempt", attempt_id=attempt.pk)
            else:
                messages.success(request, "Answers saved.")
        except AttemptExpired as exc:
            messages.error(request, exc.message)
        return redirect("qualifications:attempt", attempt_id=attempt.pk)
    if not attempt.is_graded and attempt.is_overdue():
        attempt = services.attempt_grade(attempt=attempt)
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
    if attempt.is_graded:
        return render(
            request,
            "qualifications/attempt_results.html",
            {"attempt": attempt, "results": selectors.attempt_results(attempt=attempt)},
        )
    return render(
        request,
        "qualifications/attempt_take.html",
        {
            "attempt": attempt,
            "questions": selectors.attempt_questions(attempt=attempt),
            "submit_url": reverse("qualifications:attempt", args=[attempt.pk]),
        },
    )


@expert_required
def my_qualifications(request):
    rows = list(selectors.qualifications_for_expert(expert=request.user))
    tree = selectors.domain_tree()
    for row in rows:
        row.domain_path = tree.path(row.domain_id)
    return render(request, "qualifications/my_qualifications.html", {"qualifications": rows})
