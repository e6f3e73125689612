from django import forms

from accounts.services import user_signup_complete


class SignupChoiceForm(forms.Form):
    """Extra fields on allauth's sign-up form: who is signing up."""

    ACCOUNT_TYPES = [
        ("expert", "I want to work as an expert"),
        ("company", "I am hiring for my company"),
    ]
    name = forms.CharField(max_length=150, required=False, label="Your name")
    account_type = forms.ChoiceField(
        choices=ACCOUNT_TYPES, widget=forms.RadioSelect, initial="expert"
    )
    organization_name = forms.CharField(
        max_length=200, required=False, label="Company name", help_text="Only when you are hiring."
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("account_type") == "company"
            and not (data.get("organization_name") or "").strip()
        ):
            self.add_error("organization_name", "Give your company's name.")
        return data

    def signup(self, request, user) -> None:
        # allauth calls this hook after saving the user; the use case lives in the service.
        user_signup_complete(
            user=user,
            account_type=self.cleaned_data["account_type"],
            organization_name=self.cleaned_data.get("organization_name", ""),
            name=self.cleaned_data.get("name", ""),
            request=request,
        )


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[], initial="viewer")

    def __init__(self, *args, **kwargs):
        from accounts.models import Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    expires_in_days = forms.IntegerField(min_value=1, max_value=365, required=False)
