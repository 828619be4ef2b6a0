"""The embedded PostgreSQL's helpers that need no server."""

import pytest

from medspa import embedded


@pytest.mark.parametrize("left_behind", ["", "[1234, 56", "\x00\x00"])
def test_a_pid_list_cut_by_a_killed_process_starts_again_empty(tmp_path, left_behind):
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(left_behind)
    assert embedded.handles_repair(tmp_path) is True
    assert handles.read_text() == "[]"


def test_a_readable_pid_list_or_none_is_left_alone(tmp_path):
    assert embedded.handles_repair(tmp_path) is False
    handles = tmp_path / ".handle_pids.json"
    handles.write_text("[1234, 5678]")
    assert embedded.handles_repair(tmp_path) is False
    assert handles.read_text() == "[1234, 5678]"
