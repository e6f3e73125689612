import json

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer

from qualifications.selectors import domain_tree


def named(component_name: str):
    """Give a nested InputSerializer/OutputSerializer a unique OpenAPI component name."""
    return extend_schema_serializer(component_name=component_name)


class IsStaff(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsStaffOrAuditorReadOnly(BasePermission):
    """Staff do everything; auditors (group "auditor") may only read."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_staff:
            return True
        return request.method in ("GET", "HEAD", "OPTIONS") and user.is_auditor


class PassthroughRenderer(BaseRenderer):
    """Lets file responses be negotiated for any Accept header (errors still render as JSON)."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode() if data is not None else b""


class DomainRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    path = serializers.SerializerMethodField()

    def get_path(self, domain) -> str:
        tree = self.context.get("domain_tree")
        if tree is None:
            tree = self.context["domain_tree"] = domain_tree()
        return tree.path(domain.pk)
