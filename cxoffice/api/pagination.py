from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    """``?page=N`` (from 1) with ``?page_size=`` from 1 to 500; the response carries ``count``.

    The schema states the bounds, and :mod:`cxoffice.api.contract` refuses a page or page size
    outside them (400, naming the parameter); a page past the last one is a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()  # ``?page=last`` is not an integer: the schema says integer

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
