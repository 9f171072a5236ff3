"""The glue around DOT: an ilert-shaped profile endpoint and a test-only control endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model
from oauth2_provider.views import IntrospectTokenView
from oauth2_provider.views.generic import ScopedProtectedResourceMetadataView


class CurrentUserView(ScopedProtectedResourceMetadataView):
    """GET /api/users/current with scope `profile`, as ilert's API has it. DOT's RFC 9728
    variant answers a missing or invalid token with 401 and `WWW-Authenticate: Bearer`
    (RFC 6750), and a token without `profile` with 403 insufficient_scope."""

    required_scopes = ("profile",)

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.resource_owner
        return JsonResponse(
            {
                "id": user.pk,
                "username": user.get_username(),
                "firstName": user.first_name,
                "lastName": user.last_name,
                "email": user.email,
                "timezone": "Europe/Berlin",
                "language": "en",
                "role": "USER",
            }
        )


@method_decorator(csrf_exempt, name="dispatch")
class StrictIntrospectView(IntrospectTokenView):
    """RFC 7662 introspection with *client* authentication, the way strict servers have it
    (node-oidc-provider, measured in issue 20): the only ``Authorization`` scheme that
    authenticates a client is HTTP Basic, so any other one (a Bearer token) is a malformed
    request, 400; a public client authenticates with its ``client_id`` in the form and
    learns about its own tokens only. Everything else is DOT's own view (Basic for the
    confidential resource server; without credentials, 403)."""

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "OPTIONS":
            return super().dispatch(request, *args, **kwargs)
        header = request.headers.get("Authorization")
        if header is not None and header.split(" ")[0] != "Basic":
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "invalid authorization header value format",
                },
                status=400,
            )
        client_id = request.POST.get("client_id", "") if request.method == "POST" else ""
        if header is None and client_id:
            client = get_application_model().objects.filter(client_id=client_id).first()
            if client is not None and client.client_type == "public":
                return self.own_token(request.POST.get("token"), client)
        return super().dispatch(request, *args, **kwargs)

    def own_token(self, token: str | None, client: object) -> HttpResponse:
        """A public client may introspect the tokens issued to it, nothing else."""
        from oauth2_provider.models import get_access_token_model

        if token is None:
            return self.get_token_response(None)
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        known = get_access_token_model().objects.filter(token_checksum=checksum).first()
        if known is None or known.application_id != client.pk:
            return JsonResponse({"active": False})
        return self.get_token_response(token)


@csrf_exempt
@require_POST
def register_client(request: HttpRequest) -> HttpResponse:
    """Test control: create or replace a public PKCE application.

    Body: {"client_id", "redirect_uris": [...], "origins": [...], "name"?, "skip_authorization"?}.
    Guarded by the per-run token the test harness passed in WITNESS_CONTROL_TOKEN.
    """
    expected = os.environ.get("WITNESS_CONTROL_TOKEN", "")
    given = request.headers.get("X-Witness-Control", "")
    if not expected or not hmac.compare_digest(expected, given):
        return JsonResponse({"error": "forbidden"}, status=403)
    body = json.loads(request.body or b"{}")
    app = save_app(
        client_id=body["client_id"],
        redirect_uris=body.get("redirect_uris", []),
        origins=body.get("origins", []),
        name=body.get("name") or body["client_id"],
        skip_authorization=bool(body.get("skip_authorization", False)),
    )
    return JsonResponse(
        {"client_id": app.client_id, "redirect_uris": app.redirect_uris.split()}, status=201
    )


def save_app(
    *,
    client_id: str,
    redirect_uris: list[str],
    origins: list[str],
    name: str,
    skip_authorization: bool = False,
    client_type: str = "public",
    client_secret: str = "",
) -> object:
    """Create or replace the application `client_id` (DOT's own model; owner: the first user)."""
    from django.contrib.auth import get_user_model

    application_model = get_application_model()
    application_model.objects.filter(client_id=client_id).delete()
    app = application_model(
        client_id=client_id,
        name=name,
        user=get_user_model().objects.order_by("pk").first(),
        client_type=client_type,
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        # DOT's own field; http origins are not valid for DOT's own CORS (https only), so the
        # CORS check in signals.py reads it.
        allowed_origins=" ".join(origins),
        skip_authorization=skip_authorization,
        algorithm="",
    )
    if client_secret:
        app.client_secret = client_secret
    app.save()
    return app
