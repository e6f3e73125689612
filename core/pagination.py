from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from rest_framework.pagination import PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class WindowCountPaginator(Paginator):
    """Counts in the page query (`COUNT(*) OVER ()`) instead of a second query: for querysets
    whose filter is the expensive part (the job board), the separate COUNT doubled the cost.
    Only a page past the end falls back to a plain count."""

    def page(self, number):
        if isinstance(number, float) and not number.is_integer():
            raise PageNotAnInteger("That page number is not an integer")
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("That page number is not an integer") from exc
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        bottom = (number - 1) * self.per_page
        counted = self.object_list.annotate(page_total=Window(Count("*")))
        if counted._fields:  # a values_list() query: its named rows list their fields
            counted = counted.values_list(*counted._fields, "page_total", named=True)
        rows = list(counted[bottom : bottom + self.per_page])
        if rows:
            self.__dict__["count"] = rows[0].page_total  # Paginator.count is a cached_property
        elif number == 1:
            self.__dict__["count"] = 0
        number = self.validate_number(number)
        return self._get_page(rows, number, self)

    def get_page(self, number):
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)


class WindowCountPagination(DefaultPagination):
    django_paginator_class = WindowCountPaginator
