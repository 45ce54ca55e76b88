from __future__ import annotations

from flask.views import MethodView

from server.auth.principals import authenticate
from server.extensions.api import Blueprint, Page
from server.organisation import service as users
from server.organisation.schemas import (
    DepartmentCreateSchema,
    DepartmentFieldsSchema,
    DepartmentListArgsSchema,
    DepartmentSchema,
    UserCreateSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("organisation", __name__, url_prefix="/api/v1", description="用户与部门")


@blp.route("/users")
class Users(MethodView):
    @blp.secured(403)
    @blp.arguments(UserListArgsSchema(), location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(Page, page_size=50, max_page_size=100)
    def get(self, args):
        """List users (admin)."""
        return users.list_users(principal=authenticate(), **args)

    @blp.secured(403, 409)
    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserSchema)
    def post(self, data):
        """Add a user bound to a region node or department (admin)."""
        return users.create_user(principal=authenticate(), data=data)


@blp.route("/users/<objectid:user_id>")
class UserItem(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Read one user (admin)."""
        return users.get_user(principal=authenticate(), user_id=user_id)

    @blp.secured(403, 404)
    @blp.arguments(UserUpdateSchema())
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user: name, phone, role, node, grids, state, password (admin)."""
        return users.update_user(principal=authenticate(), user_id=user_id, data=data)


@blp.route("/departments")
class Departments(MethodView):
    @blp.secured(403)
    @blp.arguments(DepartmentListArgsSchema(), location="query")
    @blp.response(200, DepartmentSchema(many=True))
    def get(self, args):
        """List departments (for dispatching)."""
        return users.list_departments(**args)

    @blp.secured(403, 409)
    @blp.arguments(DepartmentCreateSchema())
    @blp.response(201, DepartmentSchema)
    def post(self, data):
        """Add a department (admin)."""
        return users.create_department(principal=authenticate(), data=data)


@blp.route("/departments/<code>")
class DepartmentItem(MethodView):
    @blp.secured(403, 404)
    @blp.response(200, DepartmentSchema)
    def get(self, code):
        """Read one department."""
        return users.get_department(code=code)

    @blp.secured(403, 404)
    @blp.arguments(DepartmentFieldsSchema())
    @blp.response(200, DepartmentSchema)
    def patch(self, data, code):
        """Change a department (admin)."""
        return users.update_department(principal=authenticate(), code=code, data=data)
