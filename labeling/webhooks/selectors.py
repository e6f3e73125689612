"""Reads for the webhook pages and API, scoped to the requester's organizations."""

from django.db.models import QuerySet

from accounts.models import Organization, Role, User
from accounts.services import check_org_role
from core.exceptions import NotFound
from labeling.models import WebhookDelivery, WebhookEndpoint


def _org_ids(user: User) -> QuerySet | None:
    """None for staff (every organization)."""
    if user.is_staff:
        return None
    return Organization.objects.filter(memberships__user=user).values("pk")


def endpoints_for_organization(*, user: User, organization: Organization):
    check_org_role(user=user, organization=organization, minimum=Role.MANAGER)
    return WebhookEndpoint.objects.filter(organization=organization).order_by("-created_at", "-id")


def endpoint_get_for_member(*, user: User, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of one of the user's organizations (manager or owner); 404 for outsiders."""
    qs = WebhookEndpoint.objects.select_related("organization")
    org_ids = _org_ids(user)
    if org_ids is not None:
        qs = qs.filter(organization__in=org_ids)
    endpoint = qs.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    check_org_role(user=user, organization=endpoint.organization, minimum=Role.MANAGER)
    return endpoint


def deliveries_for_endpoint(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-id")
    )


def delivery_get_for_member(*, user: User, delivery_id: int) -> WebhookDelivery:
    qs = WebhookDelivery.objects.select_related("endpoint__organization", "event")
    org_ids = _org_ids(user)
    if org_ids is not None:
        qs = qs.filter(endpoint__organization__in=org_ids)
    delivery = qs.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    check_org_role(user=user, organization=delivery.endpoint.organization, minimum=Role.MANAGER)
    return delivery
