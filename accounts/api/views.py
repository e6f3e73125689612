"""Thin API views: validate input, call a service or selector, serialize output."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import ApiToken, AuditEvent, Invitation, Membership, Organization, Role
from accounts.selectors import user_primary_role


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        name = serializers.CharField()
        role = serializers.CharField()
        organizations = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer, summary="Who am I")
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "role": user_primary_role(user),
            "organizations": [
                {"id": m.organization_id, "name": m.organization.name, "role": m.role}
                for m in selectors.memberships_for_user(user)
            ],
        }
        return Response(self.OutputSerializer(data).data)


# --- API tokens ----------------------------------------------------------------------------------


class TokenOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]


class ApiTokenListCreateApi(ListAPIView):
    serializer_class = TokenOutputSerializer
    filterset_fields = {"revoked_at": ["isnull"]}

    class TokenCreateInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        expires_in_days = serializers.IntegerField(min_value=1, max_value=365, required=False)

    class TokenCreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

        class Meta(TokenOutputSerializer.Meta):
            fields = [*TokenOutputSerializer.Meta.fields, "token"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return selectors.api_tokens_for_user(self.request.user)

    @extend_schema(
        request=TokenCreateInputSerializer,
        responses={201: TokenCreatedSerializer},
        summary="Create an API token",
    )
    def post(self, request):
        data = self.TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = services.api_token_create(
            user=request.user, request=request, **data.validated_data
        )
        token.token = raw
        return Response(self.TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Revoke an API token")
    def delete(self, request, token_id: int):
        token = get_object_or_404(selectors.api_tokens_for_user(request.user), pk=token_id)
        services.api_token_revoke(token=token, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Organizations -------------------------------------------------------------------------------


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at"]


def _org_for(request, org_id: int) -> Organization:
    # 404 for organizations the caller does not belong to: existence is not disclosed.
    qs = (
        Organization.objects.all()
        if request.user.is_staff
        else selectors.organizations_for_user(request.user)
    )
    return get_object_or_404(qs, pk=org_id)


class OrganizationListApi(ListAPIView):
    serializer_class = OrganizationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return selectors.organizations_for_user(self.request.user).order_by("name")


class OrganizationDetailApi(APIView):
    class OrganizationRenameInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)

    @extend_schema(responses=OrganizationSerializer)
    def get(self, request, org_id: int):
        return Response(OrganizationSerializer(_org_for(request, org_id)).data)

    @extend_schema(
        request=OrganizationRenameInputSerializer,
        responses=OrganizationSerializer,
        summary="Rename",
    )
    def patch(self, request, org_id: int):
        org = _org_for(request, org_id)
        data = self.OrganizationRenameInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_rename(
            organization=org, actor=request.user, request=request, **data.validated_data
        )
        return Response(OrganizationSerializer(org).data)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "created_at"]


class MemberListApi(ListAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return selectors.organization_members(_org_for(self.request, self.kwargs["org_id"]))


class MemberDetailApi(APIView):
    class MemberRoleInputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)

    def _membership(self, request, org_id, membership_id) -> Membership:
        org = _org_for(request, org_id)
        return get_object_or_404(
            org.memberships.select_related("user", "organization"), pk=membership_id
        )

    @extend_schema(
        request=MemberRoleInputSerializer,
        responses=MemberSerializer,
        summary="Change a member's role",
    )
    def patch(self, request, org_id: int, membership_id: int):
        membership = self._membership(request, org_id, membership_id)
        data = self.MemberRoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            membership=membership,
            actor=request.user,
            role=data.validated_data["role"],
            request=request,
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(request=None, responses={204: None}, summary="Remove a member")
    def delete(self, request, org_id: int, membership_id: int):
        membership = self._membership(request, org_id, membership_id)
        services.membership_remove(membership=membership, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "created_at", "expires_at"]


class InvitationListCreateApi(ListAPIView):
    serializer_class = InvitationSerializer

    class InvitationInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=Role.choices)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        org = _org_for(self.request, self.kwargs["org_id"])
        services.check_org_role(user=self.request.user, organization=org, minimum=Role.MANAGER)
        return org.invitations.all()

    @extend_schema(
        request=InvitationInputSerializer,
        responses={201: InvitationSerializer},
        summary="Invite a member",
    )
    def post(self, request, org_id: int):
        org = _org_for(request, org_id)
        data = self.InvitationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            organization=org, invited_by=request.user, request=request, **data.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationAcceptApi(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "InvitationAccepted",
            {"organization": serializers.IntegerField(), "role": serializers.CharField()},
        ),
        summary="Accept an invitation",
    )
    def post(self, request, token: str):
        membership = services.invitation_accept(token=token, user=request.user, request=request)
        return Response({"organization": membership.organization_id, "role": membership.role})


# --- Audit log (staff and auditors) --------------------------------------------------------------


class IsStaffOrAuditor(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_auditor))


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_email",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
            "details",
            "ip_address",
        ]


class AuditEventListApi(ListAPIView):
    serializer_class = AuditEventSerializer
    permission_classes = [IsStaffOrAuditor]
    filterset_fields = {
        "verb": ["exact", "startswith"],
        "actor_email": ["exact"],
        "target_type": ["exact"],
        "target_id": ["exact"],
        "created_at": ["gte", "lt"],
    }
    queryset = AuditEvent.objects.all()
