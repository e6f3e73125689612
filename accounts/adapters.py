from allauth.account.adapter import DefaultAccountAdapter

from accounts.selectors import user_home_url
from accounts.services import audit_record


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        super().login(request, user)
        audit_record(actor=user, verb="user.signed_in", target=user, request=request)

    def logout(self, request):
        user = request.user if request.user.is_authenticated else None
        if user is not None:
            audit_record(actor=user, verb="user.signed_out", target=user, request=request)
        super().logout(request)

    def get_login_redirect_url(self, request):
        # Someone who opened an invitation link before signing up/in goes back to it.
        token = request.session.pop("pending_invitation", None)
        if token:
            from django.urls import reverse

            return reverse("invitation_accept", args=[token])
        return user_home_url(request.user)
