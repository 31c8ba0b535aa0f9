from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    """``?page=N`` with ``?page_size=`` up to 500; the response carries ``count``."""

    page_size_query_param = "page_size"
    max_page_size = 500
