from __future__ import annotations

from django.apps import AppConfig


class WitnessConfig(AppConfig):
    name = "tests.interop.server"
    label = "witness"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        check_request_enabled.connect(origin_registered, dispatch_uid="witness-cors")


def origin_registered(sender: object, request: object, **kwargs: object) -> bool:
    """django-cors-headers hook: an origin registered on any application may call us."""
    from oauth2_provider.models import get_application_model

    origin = request.headers.get("origin")  # type: ignore[attr-defined]
    if not origin:
        return False
    candidates = get_application_model().objects.filter(allowed_origins__contains=origin)
    return any(origin in app.allowed_origins.split() for app in candidates)  # exact match
