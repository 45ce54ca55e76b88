from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.catalog import service
from server.catalog.schemas import (
    CategoryCreateSchema,
    CategoryFieldsSchema,
    CategoryListArgsSchema,
    CategorySchema,
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
