"""Organization webhook endpoints API: register, edit, rotate the secret, deactivate, read the
delivery log, replay a delivery. Managers and owners only; 404 for other organizations.
The signing secret appears only in the responses of create and rotate."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from core.exceptions import NotFound
from labeling.models import WebhookDelivery, WebhookEndpoint
from labeling.webhooks import selectors, services
from labeling.webhooks.events import EVENT_CHOICES, EVENT_TYPES

TAG = ["Webhooks (company)"]


def _organization(org_id: int) -> Organization:
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        raise NotFound()
    return organization


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.IntegerField(source="organization_id")
    url = serializers.URLField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="Shown once: store it to verify signatures")


class WebhookEndpointListCreateApi(ListAPIView):
    serializer_class = WebhookEndpointSerializer

    class WebhookEndpointCreateInputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=500)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1
        )
        description = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_for_organization(
            user=self.request.user, organization=_organization(self.kwargs["org_id"])
        )

    @extend_schema(tags=TAG, summary="Webhook endpoints of an organization")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        summary="Register an endpoint (the response carries the signing secret, once)",
        request=WebhookEndpointCreateInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
    )
    def post(self, request, org_id: int):
        data = self.WebhookEndpointCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            organization=_organization(org_id),
            actor=request.user,
            request=request,
            **data.validated_data,
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetailApi(APIView):
    class WebhookEndpointUpdateInputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=500, required=False)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, required=False
        )
        description = serializers.CharField(required=False, allow_blank=True, max_length=200)
        is_active = serializers.BooleanField(required=False)

    @extend_schema(tags=TAG, summary="A webhook endpoint", responses=WebhookEndpointSerializer)
    def get(self, request, endpoint_id: int):
        endpoint = selectors.endpoint_get_for_member(user=request.user, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAG,
        summary="Edit an endpoint (URL, events, description, active)",
        request=WebhookEndpointUpdateInputSerializer,
        responses=WebhookEndpointSerializer,
    )
    def patch(self, request, endpoint_id: int):
        data = self.WebhookEndpointUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint_id=endpoint_id, actor=request.user, request=request, **data.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookEndpointRotateSecretApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Rotate the signing secret (the new one is in the response, once)",
        request=None,
        responses=WebhookEndpointWithSecretSerializer,
    )
    def post(self, request, endpoint_id: int):
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint_id=endpoint_id, actor=request.user, request=request
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


class WebhookEndpointDeactivateApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Deactivate an endpoint",
        request=None,
        responses=WebhookEndpointSerializer,
    )
    def post(self, request, endpoint_id: int):
        endpoint = services.webhook_endpoint_deactivate(
            endpoint_id=endpoint_id, actor=request.user, request=request
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookDeliverySerializer(serializers.Serializer):
    class WebhookAttemptSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        status_code = serializers.IntegerField(allow_null=True)
        duration_ms = serializers.IntegerField()
        error = serializers.CharField(allow_blank=True)

    id = serializers.IntegerField()
    endpoint = serializers.IntegerField(source="endpoint_id")
    event_id = serializers.UUIDField()
    event_type = serializers.CharField(source="event.type")
    payload = serializers.JSONField(source="event.payload")
    status = serializers.CharField(help_text="pending, succeeded, failed (will retry), gave_up")
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    attempts = WebhookAttemptSerializer(many=True)
    replay_of = serializers.IntegerField(source="replay_of_id", allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class WebhookDeliveryListApi(ListAPIView):
    serializer_class = WebhookDeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        endpoint = selectors.endpoint_get_for_member(
            user=self.request.user, endpoint_id=self.kwargs["endpoint_id"]
        )
        return selectors.deliveries_for_endpoint(endpoint=endpoint)

    @extend_schema(tags=TAG, summary="Delivery log of an endpoint (newest first)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WebhookDeliveryReplayApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Send the event again, as a new delivery",
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    def post(self, request, delivery_id: int):
        delivery = services.webhook_delivery_replay(
            delivery_id=delivery_id, actor=request.user, request=request
        )
        delivery = selectors.delivery_get_for_member(user=request.user, delivery_id=delivery.pk)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEventTypesApi(APIView):
    class WebhookEventTypeOutputSerializer(serializers.Serializer):
        type = serializers.CharField()
        description = serializers.CharField()

    @extend_schema(
        tags=TAG,
        summary="Event types an endpoint can subscribe to",
        responses=WebhookEventTypeOutputSerializer(many=True),
    )
    def get(self, request):
        rows = [{"type": k, "description": v} for k, v in EVENT_TYPES.items()]
        return Response(self.WebhookEventTypeOutputSerializer(rows, many=True).data)
