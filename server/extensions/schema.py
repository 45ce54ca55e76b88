"""The API's schemas: the base `Schema` every request and answer schema derives from (unknown
fields refused, control characters refused, strict JSON types, text with content), the
instants it accepts and shows (Asia/Shanghai), and marshmallow's messages in Chinese."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import marshmallow as ma

from server.timeutil import SHANGHAI

# marshmallow / webargs messages, in Chinese; anything not listed passes through unchanged.
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r) for p, r in [
        (r"^Missing data for required field\.$", "缺少必填字段"),
        (r"^Unknown field\.$", "未知字段"),
        (r"^Field may not be null\.$", "不能为空值"),
        (r"^Not a valid string\.$", "不是有效的字符串"),
        (r"^Not a valid number\.$", "不是有效的数字"),
        (r"^Not a valid integer\.$", "不是有效的整数"),
        (r"^Not a valid boolean\.$", "不是有效的布尔值"),
        (r"^Not a valid datetime\.$", "不是有效的日期时间"),
        (r"^Not a valid date\.$", "不是有效的日期"),
        (r"^Not a valid list\.$", "不是有效的列表"),
        (r"^Not a valid mapping type\.$", "不是有效的对象"),
        (r"^Invalid input type\.$", "输入类型无效，应为 JSON 对象"),
        (r"^Invalid value\.$", "取值无效"),
        (r"^Invalid JSON body\.$", "请求体不是有效的 JSON"),
        (r"^Not a valid ObjectId\.$", "不是有效的 ID"),
        (r"^Special numeric values \(nan or infinity\) are not permitted\.$", "不允许 NaN 或无穷大"),
        (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1"),
        (r"^Length must be between (\d+) and (\d+)\.$", r"长度须在 \1 到 \2 之间"),
        (r"^Shorter than minimum length (\d+)\.$", r"长度不能小于 \1"),
        (r"^Longer than maximum length (\d+)\.$", r"长度不能大于 \1"),
        (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
         r"须在 \1 到 \2 之间"),
        (r"^Must be greater than or equal to (\S+)\.$", r"须大于或等于 \1"),
        (r"^Must be less than or equal to (\S+)\.$", r"须小于或等于 \1"),
        (r"^String does not match expected pattern\.$", "格式不正确"),
        (r"^Not a valid datetime with timezone.*$", "须为带时区的 ISO-8601 时间"),
    ]
]


def translate(messages: Any) -> Any:
    """Translate marshmallow's nested error messages into Chinese."""
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(value) for value in messages]
    if isinstance(messages, str):
        for pattern, replacement in _MESSAGES:
            if pattern.match(messages):
                return pattern.sub(replacement, messages)
    return messages


# C0 controls but tab, LF and CR, and DEL: no field has a use for them, and stored they break
# what is built from the text later (XML feeds, CSV exports, SMS).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_characters(value, path: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if _CONTROL.search(value):
            found[path] = ["不能包含控制字符"]
    elif isinstance(value, dict):
        for key, item in value.items():
            _control_characters(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _control_characters(item, f"{path}.{index}", found)


def _strict_type_error(field: ma.fields.Field, value: Any) -> str | None:
    """What is wrong with a JSON value for a field, beyond what marshmallow checks: numbers and
    booleans come as JSON numbers and booleans (not "36.915" or "true"), and text has content."""
    if isinstance(field, ma.fields.Number) and (isinstance(value, str | bool)):
        return "须为数字"
    if isinstance(field, ma.fields.Boolean) and not isinstance(value, bool):
        return "须为布尔值（true 或 false）"
    if isinstance(field, ma.fields.String) and isinstance(value, str) and not value.strip() and (
            value or field.required):
        return "不能为空或只包含空白"
    return None


class Schema(ma.Schema):
    """Base schema: unknown fields are an error, and so is a control character in any text. In
    a JSON body (a dict; query strings and forms arrive as text and are converted), numbers and
    booleans must be JSON numbers and booleans, and text must have content."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _strict_json_types(self, data, **kwargs):
        if type(data) is not dict:
            return data
        found: dict[str, list[str]] = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key in data and data[key] is not None and (
                    problem := _strict_type_error(field, data[key])):
                found[key] = [problem]
        if found:
            raise ma.ValidationError(found)
        return data

    @ma.pre_load
    def _refuse_control_characters(self, data, **kwargs):
        if isinstance(data, Mapping):
            # Only what the schema reads: an unknown key is refused anyway (or, where a schema
            # lets others pass — request headers —, none of its business).
            declared = {field.data_key or name for name, field in self.load_fields.items()}
            found: dict[str, list[str]] = {}
            for key in [key for key in data.keys() if key in declared]:
                values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
                for value in values:
                    _control_characters(value, str(key), found)
            if found:
                raise ma.ValidationError(found)
        return data




# The instants the API accepts: a year-1 or year-9999 date would overflow the arithmetic done
# on it (windows, offsets) instead of answering 400/422.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def within_bounds(moment: datetime) -> bool:
    return EARLIEST <= moment <= LATEST


class LocalDateTime(ma.fields.AwareDateTime):
    """Accepts ISO-8601 with an offset (1970–2099); shows stored UTC times in Asia/Shanghai."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not within_bounds(moment):
            raise ma.ValidationError("日期须在 1970 年至 2099 年之间")
        return moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:  # a naive datetime from the driver is UTC
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI).isoformat()


def object_id_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Regexp(r"^[0-9a-f]{24}$",
                                                         error="不是有效的 ID"), **kwargs)


# A day a period may start or end on (indicators, hot spots, patrols, check-ins).
DAY_RANGE = ma.validate.Range(date(2000, 1, 1), date(2099, 12, 31),
                              error="日期须在 2000 至 2099 年之间")
