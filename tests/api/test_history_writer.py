"""The one writer of a case's history: entries continue the version, a stale writer writes nothing."""

from __future__ import annotations

import pytest

from server.cases import history
from server.cases.models import Case
from tests.clock import at
from tests.factories import insert_cases
from workflows.history import SYSTEM, entry

NOW = at(2026, 11, 2, 11)


def note(seq):
    return entry(seq=seq, action="sla.warning", before="closed", after="closed", actor=SYSTEM,
                 at=NOW, note="提醒")


def only_case():
    insert_cases(1)
    return Case.objects.get()


def test_entries_that_do_not_continue_the_version_are_refused_before_anything_is_written():
    case = only_case()
    with pytest.raises(ValueError, match="do not continue"):
        history.append(case.id, case.version, [note(case.version + 2)], now=NOW)
    assert Case.objects.get(id=case.id).version == case.version


def test_a_writer_holding_an_old_version_writes_nothing():
    case = only_case()
    assert history.append(case.id, case.version, [note(case.version + 1)], now=NOW)
    assert not history.append(case.id, case.version, [note(case.version + 1)], now=NOW)
    stored = Case.objects.get(id=case.id)
    assert (stored.version, len(stored.history)) == (case.version + 1, 1)


def test_an_append_sets_fields_and_counters_in_the_same_write():
    case = only_case()
    history.append(case.id, case.version, [note(2), note(3)], now=NOW,
                   set_={"escalation_level": 1}, inc={"supervise_count": 1})
    stored = Case._get_collection().find_one({"_id": case.id})
    assert (stored["version"], stored["escalation_level"], stored["supervise_count"]) == (3, 1, 1)
    assert [e["seq"] for e in stored["history"]] == [2, 3]
