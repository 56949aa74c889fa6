"""Signing in and out: OpenID Connect (code flow with PKCE), and the demo's one-click page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import col
from werkzeug.wrappers import Response

from kommune_ikt.core.auth import services as auth_services
from kommune_ikt.core.auth.actor import MUNICIPAL_ROLES, SYSTEM, Role
from kommune_ikt.core.auth.models import User
from kommune_ikt.core.errors import DomainError
from kommune_ikt.web.edge import db_session
from kommune_ikt.web.security_headers import CONTENT_SECURITY_POLICY
from portal.forms import ButtonForm
from portal.sessions import end_web_session, open_web_session, resume

bp = Blueprint("portal_auth", __name__, template_folder="templates", static_folder=None)
SESSION_KEY = "web_session"


def settings() -> Any:
    return current_app.config["SETTINGS"]


def init_oidc(app: Flask) -> None:
    s = app.config["SETTINGS"]
    oauth = OAuth(app)
    app.extensions["portal.oauth"] = oauth
    if s.oidc_issuer and s.oidc_client_id:
        oauth.register(
            "oidc",
            client_id=s.oidc_client_id,
            client_secret=s.oidc_client_secret,
            server_metadata_url=s.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )

    @app.before_request
    def _load_web_actor() -> None:
        from flask import request

        if request.path.startswith(("/api/", "/static/")) or request.path in {
            "/healthz",
            "/readyz",
            "/metrics",
        }:
            return
        token = session.get(SESSION_KEY)
        if token:
            actor = resume(db_session(), token, app.config["SETTINGS"])
            if actor is None:
                session.pop(SESSION_KEY, None)
            g.web_actor = actor


def sign_in(user: User) -> Response:
    """Open a session for ``user`` (a fresh cookie: no fixation) and go home."""
    session.clear()
    session[SESSION_KEY] = open_web_session(db_session(), user, settings())
    return redirect(url_for("portal.home"))


@bp.get("/sign-in")
def sign_in_page() -> Any:
    response = make_response(
        render_template(
            "signin.html",
            oidc=settings().oidc_issuer is not None,
            demo=settings().demo_signin,
            form=ButtonForm(),
        )
    )
    if settings().oidc_issuer:
        response.headers["Content-Security-Policy"] = _sign_in_policy()
    return response


def _sign_in_policy() -> str:
    """The usual policy, but this page's form may lead to the provider: browsers apply
    ``form-action`` to the redirect that follows a form's POST as well, so with
    ``'self'`` alone the button's redirect to the provider would be blocked."""
    origins = {_origin(settings().oidc_issuer)}
    client = current_app.extensions["portal.oauth"].create_client("oidc")
    try:
        metadata = client.load_server_metadata() if client is not None else {}
    except Exception as exc:  # the provider unreachable: the button will say so
        current_app.logger.warning("OpenID provider metadata unavailable: %s", exc)
        metadata = {}
    if metadata.get("authorization_endpoint"):
        origins.add(_origin(str(metadata["authorization_endpoint"])))
    allowed = " ".join(["'self'", *sorted(origins)])
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action {allowed}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.post("/sign-in/oidc")
def oidc_start() -> Any:
    client = current_app.extensions["portal.oauth"].create_client("oidc")
    if client is None or not ButtonForm().validate_on_submit():
        abort(400)
    return client.authorize_redirect(url_for("portal_auth.oidc_callback", _external=True))


@bp.get("/sign-in/callback")
def oidc_callback() -> Any:
    client = current_app.extensions["portal.oauth"].create_client("oidc")
    if client is None:
        abort(404)
    try:
        # Checks the state, swaps the code (with the PKCE verifier) for tokens and
        # validates the ID token: signature, issuer, audience, expiry and nonce.
        token = client.authorize_access_token()
    except Exception as exc:  # authlib's OAuthError, JoseError: all mean "not signed in"
        current_app.logger.warning("OpenID Connect sign-in refused: %s", exc)
        return render_template("refused.html", reason="invalid"), 403
    claims = token.get("userinfo") or {}
    # authlib checks the ID token's issuer against the provider's metadata; we also
    # check it against the issuer we were configured for (OpenID Connect Discovery 4.3).
    if str(claims.get("iss", "")).rstrip("/") != settings().oidc_issuer.rstrip("/"):
        current_app.logger.warning("OpenID Connect sign-in refused: issuer %s", claims.get("iss"))
        return render_template("refused.html", reason="invalid"), 403
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        return render_template("refused.html", reason="invalid"), 403
    sess = db_session()
    user = sess.scalar(sa.select(User).where(col(User.email) == email))
    if user is None and settings().oidc_provision:
        user = _provision(claims, email)
    if user is None or not user.active:
        return render_template("refused.html", reason="unknown", email=email), 403
    return sign_in(user)


def _provision(claims: dict[str, Any], email: str) -> User | None:
    """A user made from the claims, when they name a known role (and municipality)."""
    s = settings()
    roles = claims.get(s.oidc_role_claim) or []
    if isinstance(roles, str):
        roles = [roles]
    known = [r for r in roles if r in {x.value for x in Role}]
    if not known:
        return None
    role = Role(known[0])
    municipality = claims.get(s.oidc_municipality_claim) if role in MUNICIPAL_ROLES else None
    try:
        with db_session().begin_nested():
            return auth_services.create_user(
                db_session(),
                SYSTEM,
                email=email,
                role=role,
                municipality=str(municipality) if municipality else None,
                name=str(claims.get("name") or ""),
            )
    except DomainError:
        return None


@bp.get("/sign-in/demo")
def demo_page() -> Any:
    if not settings().demo_signin:
        abort(404)
    users = db_session().scalars(
        sa.select(User).where(col(User.active).is_(True)).order_by(col(User.role), col(User.email))
    )
    return render_template("demo.html", users=list(users), form=ButtonForm())


@bp.post("/sign-in/demo/<int:user_id>")
def demo_sign_in(user_id: int) -> Any:
    if not settings().demo_signin:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    user = db_session().get(User, user_id)
    if user is None or not user.active:
        abort(404)
    return sign_in(user)


@bp.post("/sign-out")
def sign_out() -> Any:
    if not ButtonForm().validate_on_submit():
        abort(400)
    end_web_session(db_session(), session.get(SESSION_KEY))
    session.clear()
    return redirect(url_for("portal.home"))


def page_title(text: str) -> str:
    return _(text)
