import pytest

from workflows.calendar import WorkCalendar


@pytest.fixture
def cal():
    """The statutory calendar with default office hours and no county overrides."""
    return WorkCalendar()
