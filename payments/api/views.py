"""Payments API: thin views; the services hold the rules."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.services import check_org_role
from core.exceptions import NotPermitted
from marketplace.selectors import project_get_for_member
from payments import selectors, services
from payments.models import (
    EntryKind,
    FairPayAudit,
    Funding,
    Payout,
    PayoutAccount,
    ReconciliationReport,
)

TAG = ["Payments"]


class FundingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Funding.Status.choices)
    amount = serializers.IntegerField(help_text="Minor units (cents)")
    currency = serializers.CharField()
    payment_intent_id = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)


class ProjectFundingsApi(APIView):
    """GET: the project's fundings (any member). POST: start a funding (owner or manager)."""

    class FundingCreateInputSerializer(serializers.Serializer):
        amount = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="Minor units; default: what remains to pay of the project's budget",
        )

    class FundingCreateOutputSerializer(FundingOutputSerializer):
        client_secret = serializers.CharField(
            allow_null=True, help_text="For Stripe.js confirmCardPayment"
        )
        publishable_key = serializers.CharField()

    @extend_schema(
        tags=TAG,
        summary="Fundings of a project",
        responses=FundingOutputSerializer(many=True),
    )
    def get(self, request, project_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        check_org_role(user=request.user, organization=project.organization, minimum=Role.VIEWER)
        fundings = selectors.fundings_for_project(project=project)
        return Response(FundingOutputSerializer(fundings, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Fund a project's escrow (creates a Stripe PaymentIntent)",
        request=FundingCreateInputSerializer,
        responses={201: FundingCreateOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        data = self.FundingCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        start = services.funding_create(
            project=project,
            actor=request.user,
            amount=data.validated_data.get("amount"),
            request=request,
        )
        body = {
            **FundingOutputSerializer(start.funding).data,
            "client_secret": start.client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        }
        return Response(
            self.FundingCreateOutputSerializer(body).data, status=status.HTTP_201_CREATED
        )


# --- earnings, pay stubs, payouts (experts) ------------------------------------------------------


class PayStubSerializer(serializers.Serializer):
    project_id = serializers.IntegerField()
    project_title = serializers.CharField()
    organization = serializers.CharField()
    currency = serializers.CharField()
    tasks = serializers.IntegerField(help_text="Accepted tasks")
    active_seconds = serializers.IntegerField()
    pay_minor = serializers.IntegerField()
    fees_minor = serializers.IntegerField(help_text="Platform fee, charged to the company on top")
    topups_minor = serializers.IntegerField(help_text="Fair-pay top-ups")
    bonuses_minor = serializers.IntegerField()
    total_minor = serializers.IntegerField()
    pay_per_task_minor = serializers.IntegerField()
    own_hourly_minor = serializers.IntegerField(allow_null=True, help_text="Pay ÷ your time")
    own_hourly_with_topups_minor = serializers.IntegerField(allow_null=True)
    project_hourly_minor = serializers.IntegerField(
        allow_null=True, help_text="Pay per task ÷ the project's median time"
    )
    floor_minor = serializers.IntegerField(allow_null=True)
    topup_per_task_minor = serializers.IntegerField()


class PayoutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text="Minor units")
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    on_demand = serializers.BooleanField()
    stripe_transfer_id = serializers.CharField()
    failure_message = serializers.CharField()
    hold_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)


class PayoutAccountSerializer(serializers.Serializer):
    stripe_account_id = serializers.CharField()
    status = serializers.ChoiceField(choices=PayoutAccount.Status.choices)
    details_submitted = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()
    transfers_active = serializers.BooleanField()


class EarningsSummarySerializer(serializers.Serializer):
    balances = serializers.DictField(
        child=serializers.IntegerField(), help_text="Payable balance per currency, minor units"
    )
    payout_minimum_minor = serializers.IntegerField()
    payout_account = PayoutAccountSerializer(allow_null=True)
    pay_stubs = PayStubSerializer(many=True)


class MyEarningsApi(APIView):
    """The requesting expert's balances, payout account and pay stubs."""

    @extend_schema(tags=TAG, summary="My earnings", responses=EarningsSummarySerializer)
    def get(self, request):
        account = PayoutAccount.objects.filter(expert=request.user).first()
        body = {
            "balances": selectors.expert_balances(expert=request.user),
            "payout_minimum_minor": settings.PLUMBLINE_PAYOUT_MINIMUM_MINOR,
            "payout_account": PayoutAccountSerializer(account).data if account else None,
            "pay_stubs": PayStubSerializer(
                selectors.pay_stubs_for_expert(expert=request.user), many=True
            ).data,
        }
        return Response(body)


class MyPayStubApi(APIView):
    """One of my pay stubs (404 for a project I have no earnings in)."""

    @extend_schema(tags=TAG, summary="My pay stub for a project", responses=PayStubSerializer)
    def get(self, request, project_id: int):
        stub = selectors.pay_stub_for_expert(expert=request.user, project_id=project_id)
        return Response(PayStubSerializer(stub).data)


class MyPayoutsApi(APIView):
    """GET: my payouts (newest first). POST: 'pay me now' (balance ≥ the minimum)."""

    pagination_class = None

    class PayoutRequestInputSerializer(serializers.Serializer):
        currency = serializers.CharField(required=False, default="USD", max_length=3)

    @extend_schema(tags=TAG, summary="My payouts", responses=PayoutSerializer(many=True))
    def get(self, request):
        payouts = selectors.payouts_for_expert(expert=request.user)[:200]
        return Response(PayoutSerializer(payouts, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Pay me now",
        request=PayoutRequestInputSerializer,
        responses={201: PayoutSerializer},
    )
    def post(self, request):
        data = self.PayoutRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout = services.payout_request(
            expert=request.user, currency=data.validated_data["currency"], request=request
        )
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class MyPayoutApi(APIView):
    @extend_schema(tags=TAG, summary="One of my payouts", responses=PayoutSerializer)
    def get(self, request, payout_id: int):
        payout = selectors.payout_get_for_expert(expert=request.user, payout_id=payout_id)
        return Response(PayoutSerializer(payout).data)


class MyPayoutAccountLinkApi(APIView):
    """Create (on first use) my Stripe Connect account and return a fresh onboarding link."""

    class OnboardingLinkOutputSerializer(serializers.Serializer):
        url = serializers.URLField()

    @extend_schema(
        tags=TAG,
        summary="Payout account onboarding link",
        request=None,
        responses={201: OnboardingLinkOutputSerializer},
    )
    def post(self, request):
        if request.user.kind != User.Kind.EXPERT:
            raise NotPermitted("Only experts have payout accounts.")
        base = request.build_absolute_uri("/expert/earnings/")
        url = services.payout_account_onboarding_link(
            expert=request.user, refresh_url=base + "?onboarding=refresh", return_url=base
        )
        return Response({"url": url}, status=status.HTTP_201_CREATED)


# --- company -------------------------------------------------------------------------------------


class ProjectSpendSerializer(serializers.Serializer):
    project_id = serializers.IntegerField(source="project.pk")
    title = serializers.CharField(source="project.title")
    currency = serializers.CharField()
    funded_minor = serializers.IntegerField()
    escrow_minor = serializers.IntegerField()
    earnings_minor = serializers.IntegerField(help_text="Task pay + platform fees")
    topups_minor = serializers.IntegerField()
    bonuses_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    spent_minor = serializers.IntegerField()
    spend_blocked = serializers.BooleanField(source="project.spend_blocked")


class CompanySpendApi(APIView):
    """Spend and escrow per project of the organizations I belong to."""

    pagination_class = None

    @extend_schema(
        tags=TAG, summary="Spend by project", responses=ProjectSpendSerializer(many=True)
    )
    def get(self, request):
        from marketplace.selectors import projects_for_user

        rows = selectors.spend_by_project(projects=projects_for_user(user=request.user))
        return Response(ProjectSpendSerializer(rows, many=True).data)


class ProjectBonusesApi(APIView):
    """Pay a bonus from the project's escrow to an expert who worked on it (owner/manager)."""

    class BonusInputSerializer(serializers.Serializer):
        expert = serializers.IntegerField()
        amount = serializers.IntegerField(min_value=1, help_text="Minor units")
        note = serializers.CharField(max_length=500)
        idempotency_key = serializers.UUIDField(required=False)

    class BonusOutputSerializer(serializers.Serializer):
        entry_id = serializers.IntegerField()
        idempotency_key = serializers.CharField()

    @extend_schema(
        tags=TAG,
        summary="Pay an expert a bonus",
        request=BonusInputSerializer,
        responses={201: BonusOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        data = self.BonusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expert = get_object_or_404(User, pk=data.validated_data["expert"], kind=User.Kind.EXPERT)
        key = data.validated_data.get("idempotency_key")
        entry = services.bonus_grant(
            project=project,
            expert=expert,
            amount=data.validated_data["amount"],
            note=data.validated_data["note"],
            actor=request.user,
            idempotency_key=str(key) if key else None,
            request=request,
        )
        return Response(
            {"entry_id": entry.pk, "idempotency_key": entry.idempotency_key},
            status=status.HTTP_201_CREATED,
        )


# --- staff ---------------------------------------------------------------------------------------


def check_staff_read(user) -> None:
    if not (user.is_staff or user.is_auditor):
        raise NotPermitted("Staff and auditors only.")


class FairPayAuditSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title")

    class Meta:
        model = FairPayAudit
        fields = [
            "id",
            "project",
            "project_title",
            "seq",
            "computed_at",
            "final",
            "currency",
            "tasks",
            "median_active_seconds",
            "pay_per_task_minor",
            "effective_hourly_minor",
            "floor_minor",
            "topup_per_task_minor",
            "total_minor",
            "experts_topped_up",
            "reserve_before_minor",
            "reserve_after_minor",
            "reserve_alert_sent",
        ]


class StaffPayoutSerializer(PayoutSerializer):
    expert = serializers.IntegerField(source="expert_id")


class ReconciliationReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationReport
        fields = [
            "id",
            "created_at",
            "ok",
            "transfers_checked",
            "payouts_checked",
            "fundings_checked",
            "differences",
            "ledger_stripe_balance",
            "stripe_balance",
        ]


class PostingSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.owner_key")
    account_kind = serializers.CharField(source="account.kind")
    amount = serializers.IntegerField()


class JournalEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    idempotency_key = serializers.CharField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    currency = serializers.CharField()
    description = serializers.CharField()
    effective_at = serializers.DateTimeField()
    postings = PostingSerializer(many=True)


class StaffFairPayAuditsApi(APIView):
    pagination_class = None

    @extend_schema(
        tags=TAG,
        summary="Fair-pay settlements (staff)",
        responses=FairPayAuditSerializer(many=True),
    )
    def get(self, request):
        check_staff_read(request.user)
        qs = FairPayAudit.objects.select_related("project")
        if request.query_params.get("project", "").isdigit():
            qs = qs.filter(project_id=int(request.query_params["project"]))
        if request.query_params.get("under_floor") == "1":
            qs = qs.filter(topup_per_task_minor__gt=0)
        return Response(FairPayAuditSerializer(qs[:500], many=True).data)


class StaffPayoutsApi(APIView):
    pagination_class = None

    @extend_schema(tags=TAG, summary="Payouts (staff)", responses=StaffPayoutSerializer(many=True))
    def get(self, request):
        check_staff_read(request.user)
        qs = Payout.objects.all()
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        return Response(StaffPayoutSerializer(qs[:500], many=True).data)


class StaffReconciliationApi(APIView):
    """GET: recent reports. POST: run a reconciliation now (staff)."""

    pagination_class = None

    @extend_schema(
        tags=TAG,
        summary="Reconciliation reports (staff)",
        responses=ReconciliationReportSerializer(many=True),
    )
    def get(self, request):
        check_staff_read(request.user)
        reports = ReconciliationReport.objects.all()[:50]
        return Response(ReconciliationReportSerializer(reports, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Run a reconciliation (staff)",
        request=None,
        responses={201: ReconciliationReportSerializer},
    )
    def post(self, request):
        if not request.user.is_staff:
            raise NotPermitted("Staff only.")
        report = services.reconciliation_run()
        return Response(ReconciliationReportSerializer(report).data, status=status.HTTP_201_CREATED)


class StaffLedgerApi(APIView):
    """The ledger browser: entries, newest first, filtered by kind, account owner or key."""

    pagination_class = None

    @extend_schema(
        tags=TAG, summary="Ledger entries (staff)", responses=JournalEntrySerializer(many=True)
    )
    def get(self, request):
        check_staff_read(request.user)
        p = request.query_params
        entries = selectors.ledger_entries(
            kind=p.get("kind", ""), owner_key=p.get("owner", ""), key_contains=p.get("q", "")
        )[:200]
        return Response(JournalEntrySerializer(entries, many=True).data)


class StaffAdjustmentsApi(APIView):
    class AdjustmentInputSerializer(serializers.Serializer):
        expert = serializers.IntegerField()
        amount = serializers.IntegerField(help_text="Minor units; negative to debit")
        currency = serializers.CharField(max_length=3, default="USD")
        reason = serializers.CharField(max_length=500)
        idempotency_key = serializers.UUIDField(required=False)

    class AdjustmentOutputSerializer(serializers.Serializer):
        entry_id = serializers.IntegerField()
        idempotency_key = serializers.CharField()

    @extend_schema(
        tags=TAG,
        summary="Adjust an expert's balance (staff)",
        request=AdjustmentInputSerializer,
        responses={201: AdjustmentOutputSerializer},
    )
    def post(self, request):
        data = self.AdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expert = get_object_or_404(User, pk=data.validated_data["expert"])
        key = data.validated_data.get("idempotency_key")
        entry = services.adjustment_post(
            expert=expert,
            amount=data.validated_data["amount"],
            currency=data.validated_data["currency"],
            reason=data.validated_data["reason"],
            actor=request.user,
            idempotency_key=str(key) if key else None,
            request=request,
        )
        return Response(
            {"entry_id": entry.pk, "idempotency_key": entry.idempotency_key},
            status=status.HTTP_201_CREATED,
        )
