from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import services
from apps.accounts.serializers import TokenRequestSerializer, TokenSerializer

UNAUTHORIZED = OpenApiResponse(
    description="No credentials, an unknown token, or an expired one (code `token_expired`)."
)


class TokenView(APIView):
    """POST username and password → ``{"token": ...}``; DELETE revokes the caller's token.

    Then send ``Authorization: Token <token>`` with every request. A token expires
    ``CXOFFICE_TOKEN_TTL_DAYS`` after it was issued (401, code ``token_expired``); POST again
    for a new one. After ``CXOFFICE_LOGIN_FAILURE_LIMIT`` failed logins a username is locked
    for ``CXOFFICE_LOGIN_COOLOFF_MINUTES`` at every door, even for the right password.
    """

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                description="Wrong username or password, or an inactive user (code "
                "`authorization`); or a missing field."
            ),
            429: OpenApiResponse(
                description="Too many failed logins for this username (code `locked_out`): "
                "refused, even with the right password, for the seconds in `Retry-After`."
            ),
        },
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds until this username may log in again.",
            )
        ],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = services.token_obtain(request=request, **serializer.validated_data)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_destroy",
        request=None,
        responses={
            204: OpenApiResponse(description="The caller's token is revoked."),
            401: UNAUTHORIZED,
        },
    )
    def delete(self, request):
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
