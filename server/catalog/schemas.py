from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.catalog.models import DATATYPES, PRIORITIES
from server.extensions.schema import Schema

LISTS = ("singlevaluelist", "multivaluelist")


class AttributeValueSchema(Schema):
    key = fields.String(required=True, validate=validate.Length(1, 40))
    name = fields.String(required=True, validate=validate.Length(1, 100))


class AttributeSchema(Schema):
    code = fields.String(required=True,
                         validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9_]{0,39}$"))
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Boolean(load_default=False)
    order = fields.Integer(load_default=0, validate=validate.Range(0, 1000))
    description = fields.String(required=True, validate=validate.Length(1, 200))
    values = fields.List(fields.Nested(AttributeValueSchema), load_default=list,
                         validate=validate.Length(0, 100))

    @validates_schema
    def _values_match_datatype(self, data, **_kwargs):
        if (data["datatype"] in LISTS) != bool(data.get("values")):
            raise ValidationError("列表类型的属性必须有取值，其他类型不能有取值", "values")


class CategoryFieldsSchema(Schema):
    name = fields.String(validate=validate.Length(1, 100))
    kind = fields.String(validate=validate.OneOf(["event", "request"]))
    domain = fields.String(validate=validate.Length(1, 20))
    default_department = fields.String(allow_none=True, validate=validate.Length(1, 42))
    default_priority = fields.String(validate=validate.OneOf(PRIORITIES))
    allows_self_handle = fields.Boolean()
    duplicate_radius_m = fields.Integer(validate=validate.Range(0, 5000))
    duplicate_window_h = fields.Integer(validate=validate.Range(0, 24 * 90))
    attributes = fields.List(fields.Nested(AttributeSchema), validate=validate.Length(0, 30))
    keywords = fields.List(fields.String(validate=validate.Length(1, 20)),
                           validate=validate.Length(0, 30))
    active = fields.Boolean()
    public = fields.Boolean(metadata={"description": "reports may be read anonymously through "
                                                     "Open311 in counties that open their reads"})

    @validates_schema
    def _attribute_codes_unique(self, data, **_kwargs):
        codes = [a["code"] for a in data.get("attributes", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError("属性编码重复", "attributes")


class CategoryCreateSchema(CategoryFieldsSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{2,12}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    parent = fields.String(validate=validate.Length(2, 12))


class CategorySchema(CategoryCreateSchema):
    level = fields.Integer()
    # Read back: a 大类 has no parent, a category may have no domain.
    parent = fields.String(allow_none=True)
    domain = fields.String(allow_none=True)


class CategoryListArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(["event", "request"]))
    parent = fields.String(validate=validate.Length(2, 12))
    level = fields.Integer(validate=validate.OneOf([1, 2]))
