from dataclasses import dataclass, field

from django.db.models import QuerySet

from qualifications.models import Domain
from qualifications.models.domains import PATH_SEPARATOR


@dataclass
class DomainTree:
    """The whole taxonomy in memory (it is small): names, parents, paths. One query to build."""

    names: dict[int, str]
    parents: dict[int, int | None]
    _paths: dict[int, str] = field(default_factory=dict)

    def ancestor_ids(self, domain_id: int) -> list[int]:
        result, seen = [], {domain_id}
        node = self.parents.get(domain_id)
        while node is not None and node not in seen:
            result.append(node)
            seen.add(node)
            node = self.parents.get(node)
        return result

    def path(self, domain_id: int) -> str:
        if domain_id not in self._paths:
            if domain_id not in self.names:
                return f"domain #{domain_id}"
            chain = [domain_id, *self.ancestor_ids(domain_id)]
            self._paths[domain_id] = PATH_SEPARATOR.join(self.names[d] for d in reversed(chain))
        return self._paths[domain_id]


def domain_tree() -> DomainTree:
    rows = list(Domain.objects.values_list("pk", "name", "parent_id"))
    return DomainTree(
        names={pk: name for pk, name, _ in rows}, parents={pk: parent for pk, _, parent in rows}
    )


def domain_list(*, include_inactive: bool = False) -> QuerySet[Domain]:
    qs = Domain.objects.all() if include_inactive else Domain.objects.filter(is_active=True)
    return qs.order_by("name")


def domain_choices() -> list[tuple[int, str]]:
    """(id, "Parent › Child") for active domains, sorted by path. One query."""
    tree = domain_tree()
    active = set(Domain.objects.filter(is_active=True).values_list("pk", flat=True))
    return sorted(((pk, tree.path(pk)) for pk in active), key=lambda item: item[1].casefold())
