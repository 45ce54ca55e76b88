"""The grid worker's day (issue 18): patrols with their tracks, and check-ins (签到)."""
