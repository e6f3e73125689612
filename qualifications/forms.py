"""Forms for the server-rendered pages. They validate shapes; services enforce the rules."""

import zoneinfo

from django import forms

from qualifications.models import Credential, ExpertLanguage
from qualifications.selectors import domain_choices

TIMEZONE_CHOICES = [("", "—")] + [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class ProfileBasicsForm(forms.Form):
    headline = forms.CharField(
        max_length=200,
        required=False,
        help_text="One line, e.g. “Cardiologist, 12 years of practice”.",
    )
    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
        help_text="At least 40 characters for a complete profile.",
    )
    country = forms.CharField(
        max_length=2, required=False, help_text="Two-letter ISO code, e.g. GB, US, KE."
    )


class ProfileAvailabilityForm(forms.Form):
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, required=False)
    weekly_availability_hours = forms.IntegerField(
        min_value=0, max_value=80, required=False, label="Hours available per week"
    )


class DomainRowForm(forms.Form):
    domain = forms.TypedChoiceField(coerce=int, choices=(), required=False)
    years_experience = forms.IntegerField(
        min_value=0, max_value=70, required=False, label="Years of experience"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "—"), *domain_choices()]


class LanguageRowForm(forms.Form):
    language = forms.CharField(
        max_length=2, required=False, label="Language (ISO 639-1)", help_text="e.g. en, de, fr"
    )
    proficiency = forms.ChoiceField(
        choices=[("", "—"), *ExpertLanguage.Proficiency.choices], required=False
    )


DomainFormSet = forms.formset_factory(DomainRowForm, extra=3, max_num=20)
LanguageFormSet = forms.formset_factory(LanguageRowForm, extra=3, max_num=20)


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(choices=Credential.Kind.choices)
    title = forms.CharField(max_length=200)
    issuer = forms.CharField(max_length=200)
    identifier = forms.CharField(
        max_length=100, required=False, label="Identifier (licence or bar number)"
    )
    issued_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    domain = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, choices=())
    evidence = forms.FileField(
        help_text="PDF, PNG or JPEG. The file's content is checked, not its name.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "—"), *domain_choices()]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verify"), ("reject", "Reject")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required to reject; the expert receives it by email.",
    )
    grant_domain = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, choices=(), label="Grant a qualification in"
    )
    grant_level = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), (1, "Level 1"), (2, "Level 2"), (3, "Level 3")],
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant_domain"].choices = [("", "— no grant —"), *domain_choices()]


class GrantForm(forms.Form):
    expert_email = forms.EmailField(label="Expert's email")
    domain = forms.TypedChoiceField(coerce=int, choices=())
    level = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2"), (3, "3")])
    expires_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(max_length=500, help_text="Why this grant is made (audited).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = domain_choices()


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
