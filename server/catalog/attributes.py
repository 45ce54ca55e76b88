"""Checking a report's answers to its category's attributes (Open311 vocabulary)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.catalog.models import Category
from server.errors import Unprocessable


def _check(attribute, value: Any) -> tuple[str | None, Any]:
    """(problem, normalised value)."""
    keys = {v.key for v in attribute.values}
    kind = attribute.datatype
    if kind in ("string", "text"):
        limit = 200 if kind == "string" else 4000
        if not isinstance(value, str) or not value.strip():
            return "须为非空文本", None
        return (f"不能超过 {limit} 个字符", None) if len(value) > limit else (None, value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value \
                or value in (float("inf"), float("-inf")):
            return "须为数字", None
        return None, value
    if kind == "datetime":
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            return "须为带时区的 ISO-8601 时间", None
        return None, value
    if kind == "singlevaluelist":
        return (None, value) if isinstance(value, str) and value in keys else (
            f"须为以下之一：{', '.join(sorted(keys))}", None)
    # multivaluelist
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v in keys for v in value):
        return f"须为以下取值组成的非空列表：{', '.join(sorted(keys))}", None
    return None, sorted(set(value))


def validate_attributes(category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, normalised; 422 naming every missing, unknown or invalid attribute."""
    defined = {a.code: a for a in category.attributes}
    problems: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for code in sorted(set(answers) - set(defined)):
        problems[code] = ["该类别没有此属性"]
    for code, attribute in defined.items():
        if answers.get(code) in (None, "", []):
            if attribute.required:
                problems[code] = [f"缺少必填属性“{attribute.description}”"]
            continue
        problem, value = _check(attribute, answers[code])
        if problem:
            problems[code] = [problem]
        else:
            clean[code] = value
    if problems:
        raise Unprocessable("案件属性有误", reason="invalid_attributes", attributes=problems)
    return clean
