from __future__ import annotations

from flask import request
from flask.views import MethodView

from server.auth import identity, service
from server.auth.principals import authenticate
from server.auth.schemas import (
    DevTicketRequestSchema,
    DevTicketSchema,
    JwksSchema,
    MeSchema,
    TokenRequestSchema,
    TokenResponseSchema,
)
from server.auth.tokens import jwks
from server.errors import NotFound
from server.extensions.api import Blueprint
from server.extensions.limits import client_ip, enforce

_token_request = TokenRequestSchema()
blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与身份")
wellknown = Blueprint("wellknown", __name__, url_prefix="/.well-known",
                      description="公开密钥")


@blp.route("/auth/token")
class Token(MethodView):
    body_types = ("application/json", "application/x-www-form-urlencoded")

    # JSON or form (OAuth clients send forms): parsed here, documented as both content types.
    @blp.doc(requestBody={"required": True, "content": {
        media: {"schema": TokenRequestSchema} for media in body_types}})
    @blp.response(200, TokenResponseSchema)
    @blp.errors(400, 401, 413, 415, 422, 429, 503)
    def post(self):
        """Obtain tokens: `password` (staff; 5 failures lock 15 min), `refresh_token` (rotated;
        a reused one revokes its whole session), `client_credentials` (sister apps: secret or
        RFC 7523 `private_key_jwt`, each assertion's jti good once) or RFC 8693 token exchange
        of a resident's hub SSO ticket."""
        enforce("RATE_LIMIT_TOKEN_IP", client_ip())
        body = blp.ARGUMENTS_PARSER.parse(_token_request, location="json_or_form")
        if body["grant_type"] == "password":
            enforce("RATE_LIMIT_TOKEN_USER", body["username"].lower())
        return service.grant(body)


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.secured()
    @blp.response(204)
    def post(self):
        """Sign out: this access token and its refresh tokens stop working at once."""
        authenticate()
        service.logout(claims=request.environ["gridhub.claims"])


@blp.route("/me")
class Me(MethodView):
    @blp.secured()
    @blp.response(200, MeSchema)
    def get(self):
        """Who the token belongs to."""
        return service.me(authenticate())


@blp.route("/auth/dev-tickets")
class DevTickets(MethodView):
    @blp.arguments(DevTicketRequestSchema())
    @blp.response(201, DevTicketSchema)
    @blp.errors(404)
    def post(self, data):
        """Demo only (identity provider `dev`): a hub SSO ticket for a demo resident, as the
        hub container's getTicket would hand the mini-app. 404 with any other provider."""
        if not isinstance(identity.provider(), identity.DevProvider):
            raise NotFound("仅演示环境提供模拟票据", reason="not_found")
        return {"ticket": identity.DevProvider.mint(data["subject"]),
                "subject_token_type": identity.TICKET_TOKEN_TYPE,
                "expires_in": identity.DEV_TICKET_TTL}


@wellknown.route("/jwks.json")
class Jwks(MethodView):
    @wellknown.response(200, JwksSchema)
    def get(self):
        """The public keys that verify our access tokens."""
        return jwks()
