from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.catalog import sla_profiles
from server.catalog.schemas import (
    ChoiceBodySchema,
    ChoiceSchema,
    ProfileBodySchema,
    ProfileCreateSchema,
    ProfileSchema,
)
from server.extensions.api import Blueprint

blp = Blueprint("sla_profiles", __name__, url_prefix="/api/v1", description="时限方案")


@blp.route("/sla-profiles")
class Profiles(MethodView):
    @blp.secured()
    @blp.response(200, ProfileSchema(many=True))
    def get(self):
        """SLA profiles: phase limits per category and priority, warning and escalation points."""
        return sla_profiles.list_profiles()

    @blp.secured(403, 409)
    @blp.arguments(ProfileCreateSchema())
    @blp.response(201, ProfileSchema)
    def post(self, data):
        """Add an SLA profile (admin)."""
        return sla_profiles.save_profile(principal=authenticate(), data=data, create=True)


@blp.route("/sla-profiles/<code>")
class ProfileItem(MethodView):
    @blp.secured(404)
    @blp.response(200, ProfileSchema)
    def get(self, code):
        """One SLA profile and the regions that chose it."""
        return sla_profiles.get_profile(code=code)

    @blp.secured(403, 404)
    @blp.arguments(ProfileBodySchema())
    @blp.response(200, ProfileSchema)
    def put(self, data, code):
        """Replace an SLA profile (admin); running clocks keep the deadlines they have."""
        return sla_profiles.save_profile(principal=authenticate(), data=data, code=code)

    @blp.secured(403, 404, 409)
    @blp.response(204)
    def delete(self, code):
        """Delete an SLA profile no region uses and that is not the default (admin)."""
        sla_profiles.delete_profile(principal=authenticate(), code=code)


@blp.route("/regions/<code>/sla-profile")
class RegionProfile(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(ChoiceBodySchema())
    @blp.response(200, ChoiceSchema)
    def put(self, data, code):
        """Choose the SLA profile of a region and what lies under it (null: inherit) (admin)."""
        return sla_profiles.choose(principal=authenticate(), region=code, code=data["profile"])
