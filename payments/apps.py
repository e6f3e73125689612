from django.apps import AppConfig


def _earn_on_acceptance(annotation_ids: list[int]) -> None:
    """labeling calls this after an acceptance committed: enqueue the earnings task."""
    from django.conf import settings

    from payments.tasks import earnings_post_for_annotations

    earnings_post_for_annotations.apply_async(
        (list(annotation_ids),), queue=settings.PAYMENTS_QUEUE
    )


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from labeling import hooks

        hooks.register_on_annotations_accepted(_earn_on_acceptance)
