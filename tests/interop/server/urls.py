"""DOT's own views, mounted on ilert's OAuth paths (no trailing slash, as ilert has them)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from oauth2_provider import views as dot

from tests.interop.server import views

OAUTH = "api/developers/oauth2/"

# The names are DOT's: its metadata views find the endpoints by reversing them.
oauth_patterns = [
    path(f"{OAUTH}authorize", dot.AuthorizationView.as_view(), name="authorize"),
    path(f"{OAUTH}token", dot.TokenView.as_view(), name="token"),
    path(f"{OAUTH}revoke", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path(f"{OAUTH}introspect", views.StrictIntrospectView.as_view(), name="introspect"),
    path(f"{OAUTH}userinfo", dot.UserInfoView.as_view(), name="user-info"),
    path(
        ".well-known/oauth-authorization-server",
        dot.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    re_path(
        r"^\.well-known/openid-configuration$",
        dot.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks-info"),
]

urlpatterns = [
    path("", include((oauth_patterns, "oauth2_provider"), namespace="oauth2_provider")),
    path("api/users/current", views.CurrentUserView.as_view(), name="users-current"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("_witness/clients", views.register_client, name="witness-clients"),
]
