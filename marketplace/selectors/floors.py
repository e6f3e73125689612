from collections.abc import Iterable

from django.conf import settings

from marketplace.models import DomainPayFloor
from qualifications.selectors import DomainTree, domain_tree


def pay_floor_minor(*, domain_ids: Iterable[int], tree: DomainTree | None = None) -> int:
    """The hourly floor that applies to a project requiring these domains: the platform-wide
    minimum, or a higher staff-set minimum of a required domain or one of its ancestors."""
    floor = settings.PLUMBLINE_MIN_HOURLY_RATE_MINOR
    domain_ids = list(domain_ids)
    if not domain_ids:
        return floor
    tree = tree or domain_tree()
    relevant = {a for d in domain_ids for a in (d, *tree.ancestor_ids(d))}
    amounts = DomainPayFloor.objects.filter(domain_id__in=relevant).values_list(
        "min_hourly_rate_minor", flat=True
    )
    return max([floor, *amounts])


def domain_floors():
    return DomainPayFloor.objects.select_related("domain", "domain__parent").order_by(
        "domain__slug"
    )
