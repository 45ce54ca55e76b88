"""The case list as a file (issue 19): the list's filters, CSV or XLSX, masked per the
caller's rights, formulas inert, a row cap that says how to narrow the query."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from server.cases import export
from tests.factories import CaseFactory

URL = "/api/v1/cases/export"


def rows_of(response):
    assert response.status_code == 200, response.json
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_csv_has_chinese_headers_and_the_cases_of_the_filter(demo, as_user):
    accepted, reported = CaseFactory(accepted=True), CaseFactory()
    rows = rows_of(as_user("dispatcher").get(URL, query_string={"status": "accepted"}))
    assert rows[0][:3] == ["编号", "状态", "类别"] and len(rows) == 2
    assert rows[1][:3] == [accepted["code"], "已立案", "暴露垃圾"] and reported["code"] not in str(rows)
    assert rows[1][7:10] == ["城区街道", "胜利街社区", "胜利街第一网格"]


def test_the_file_is_an_attachment_kept_out_of_caches(demo, as_user):
    response = as_user("dispatcher").get(URL, query_string={"format": "xlsx"})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=gridhub-cases-")
    assert load_workbook(io.BytesIO(response.data)).active.cell(row=1, column=1).value == "编号"


def test_a_residents_phone_is_masked_for_a_caller_without_pii_read(demo, as_user):
    CaseFactory(reporter="resident")
    supervisor_row = rows_of(as_user("supervisor").get(URL))[1]
    dispatcher_row = rows_of(as_user("dispatcher").get(URL))[1]
    assert "*" in supervisor_row[11] and "****" in supervisor_row[12]  # supervisors: no pii:read
    assert "*" not in dispatcher_row[12] and dispatcher_row[12].isdigit()  # dispatchers read it


def test_a_formula_in_a_description_is_inert_in_both_formats(demo, as_user):
    CaseFactory(description='=HYPERLINK("http://evil.example","点击")')
    assert rows_of(as_user("dispatcher").get(URL))[1][5].startswith("'=")
    response = as_user("dispatcher").get(URL, query_string={"format": "xlsx"})
    cell = load_workbook(io.BytesIO(response.data)).active.cell(row=2, column=6)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_the_export_shows_only_the_callers_scope(demo, as_user):
    CaseFactory()
    from tests.factories import staff_of

    other_town = staff_of("371083002", "dispatcher").username
    assert len(rows_of(as_user(other_town).get(URL))) == 1  # the header alone


def test_past_the_row_cap_the_export_is_422_and_says_how_to_narrow_it(demo, as_user, monkeypatch):
    CaseFactory(), CaseFactory()
    monkeypatch.setattr(export, "MAX_ROWS", 1)
    response = as_user("dispatcher").get(URL)
    assert response.status_code == 422 and response.json["errors"]["reason"] == "too_many_rows"
    assert "created_from" in response.json["message"] and response.json["errors"]["rows"] == 2


@pytest.mark.parametrize("username", ["resident"])
def test_residents_do_not_export(demo, as_user, username):
    assert as_user(username).get(URL).status_code == 403


def test_an_unknown_format_is_422(demo, as_user):
    response = as_user("dispatcher").get(URL, query_string={"format": "pdf"})
    assert response.status_code == 422
