from django.urls import path

from payments.api import views

urlpatterns = [
    path(
        "projects/<int:project_id>/fundings/",
        views.ProjectFundingsApi.as_view(),
        name="api-project-fundings",
    ),
    path(
        "projects/<int:project_id>/bonuses/",
        views.ProjectBonusesApi.as_view(),
        name="api-project-bonuses",
    ),
    path("company/spend/", views.CompanySpendApi.as_view(), name="api-company-spend"),
    path("me/earnings/", views.MyEarningsApi.as_view(), name="api-my-earnings"),
    path("me/pay-stubs/<int:project_id>/", views.MyPayStubApi.as_view(), name="api-my-pay-stub"),
    path("me/payouts/", views.MyPayoutsApi.as_view(), name="api-my-payouts"),
    path("me/payouts/<int:payout_id>/", views.MyPayoutApi.as_view(), name="api-my-payout"),
    path(
        "me/payout-account/onboarding-link/",
        views.MyPayoutAccountLinkApi.as_view(),
        name="api-my-payout-account-link",
    ),
    path(
        "staff/fair-pay-audits/",
        views.StaffFairPayAuditsApi.as_view(),
        name="api-staff-fair-pay-audits",
    ),
    path("staff/payouts/", views.StaffPayoutsApi.as_view(), name="api-staff-payouts"),
    path(
        "staff/reconciliation-reports/",
        views.StaffReconciliationApi.as_view(),
        name="api-staff-reconciliation",
    ),
    path("staff/ledger/", views.StaffLedgerApi.as_view(), name="api-staff-ledger"),
    path("staff/adjustments/", views.StaffAdjustmentsApi.as_view(), name="api-staff-adjustments"),
]
