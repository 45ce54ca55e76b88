from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.catalog import replies, service
from server.catalog.schemas import (
    CategoryCreateSchema,
    CategoryFieldsSchema,
    CategoryListArgsSchema,
    CategorySchema,
    ReplyArgsSchema,
    ReplyCreateSchema,
    ReplyFieldsSchema,
    ReplySchema,
)
from server.extensions.api import Blueprint

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="案件类别")


@blp.route("/categories")
class Categories(MethodView):
    @blp.arguments(CategoryListArgsSchema(), location="query")
    @blp.response(200, CategorySchema(many=True))
    @blp.errors(422)
    def get(self, args):
        """The category catalogue (public): 大类, 小类 and their attributes."""
        return service.list_categories(**args)

    @blp.secured(403, 409)
    @blp.arguments(CategoryCreateSchema())
    @blp.response(201, CategorySchema)
    def post(self, data):
        """Add a category (admin)."""
        return service.create_category(principal=authenticate(), data=data)


@blp.route("/categories/<code>")
class CategoryItem(MethodView):
    @blp.response(200, CategorySchema)
    @blp.errors(404)
    def get(self, code):
        """One category with its attributes (public)."""
        return service.get_category(code=code)

    @blp.secured(403, 404)
    @blp.arguments(CategoryFieldsSchema())
    @blp.response(200, CategorySchema)
    def patch(self, data, code):
        """Change a category (admin)."""
        return service.update_category(principal=authenticate(), code=code, data=data)


@blp.route("/reply-templates")
class ReplyTemplates(MethodView):
    @blp.secured(403, 422)
    @blp.arguments(ReplyArgsSchema(), location="query")
    @blp.response(200, ReplySchema(many=True))
    def get(self, args):
        """常用语 for a form's field: the county's own, the case's 小类 first, then 大类, then all."""
        return replies.for_form(principal=authenticate(), field=args["field"],
                                category=args.get("category"), county=args.get("county"))

    @blp.secured(403)
    @blp.arguments(ReplyCreateSchema())
    @blp.response(201, ReplySchema)
    def post(self, data):
        """Add a 常用语 (a county's admin)."""
        return replies.create(principal=authenticate(), data=data)


@blp.route("/reply-templates/<objectid:template_id>")
class ReplyTemplateItem(MethodView):
    @blp.secured(403, 404)
    @blp.arguments(ReplyFieldsSchema())
    @blp.response(200, ReplySchema)
    def patch(self, data, template_id):
        """Change a 常用语 (its county's admin)."""
        return replies.update(principal=authenticate(), template_id=template_id, data=data)

    @blp.secured(403, 404)
    @blp.response(204)
    def delete(self, template_id):
        """Remove a 常用语 (its county's admin)."""
        replies.delete(principal=authenticate(), template_id=template_id)
