"""Exact checkpoints: index ranges and the checkpoint text against plain Python sets (the oracle)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtc_nb.errors import RecoveryError
from fmtc_nb.recovery import Checkpoint, IndexRanges

ops = st.lists(st.tuples(st.sampled_from(["add", "discard", "range"]), st.integers(0, 80), st.integers(0, 9)),
               max_size=120)


@settings(max_examples=150, deadline=None)
@given(ops, st.sets(st.integers(0, 80)))
def test_index_ranges_behave_like_a_set(operations, other):
    oracle: set[int] = set()
    ranges = IndexRanges()
    for op, i, n in operations:
        if op == "add":
            assert ranges.add(i) == (i not in oracle)
            oracle.add(i)
        elif op == "discard":
            assert ranges.discard(i) == (i in oracle)
            oracle.discard(i)
        else:
            ranges.add_range(i, i + n)
            oracle |= set(range(i, i + n))
        assert list(ranges) == sorted(oracle) and len(ranges) == len(oracle)
    assert IndexRanges.from_text(ranges.to_text()) == ranges
    assert all((i in ranges) == (i in oracle) for i in range(-1, 95))
    assert ranges.first_gap() == min(set(range(200)) - oracle)
    assert list(ranges.gaps(3, 90)) == [i for i in range(3, 90) if i not in oracle]
    assert list(ranges.difference(IndexRanges.of(other))) == sorted(oracle - other)
    assert list(ranges.union(IndexRanges.of(other))) == sorted(oracle | other)
    assert list(ranges.above(40)) == sorted(i for i in oracle if i >= 40)


def test_ranges_text_is_compact_and_checked():
    assert IndexRanges.of([0, 1, 2, 5, 6, 9]).to_text() == "0+3,2+2,2+1"
    assert IndexRanges.of(range(1_000_000)).to_text() == "0+1000000"
    for bad in ("x", "0+0", "1+2,0+3", "-1+2", "0+2,3"):
        with pytest.raises(RecoveryError):
            IndexRanges.from_text(bad)


batches = st.lists(st.lists(st.tuples(st.integers(0, 149), st.sampled_from([None, "HTTP 404", "timeout"])),
                            max_size=25), max_size=12)


@settings(max_examples=150, deadline=None)
@given(batches)
def test_checkpoint_round_trips_and_resume_is_missing_then_failed(batch_list):
    total = 150
    checkpoint = Checkpoint()
    assert list(checkpoint.todo(total)) == list(range(total))
    outcome: dict[int, str | None] = {}
    for batch in batch_list:
        batch = list(dict(batch).items())  # the engine reports each index once a batch
        checkpoint.mark([i for i, r in batch if r is None], [(i, r) for i, r in batch if r is not None])
        outcome.update(dict(batch))
        again = Checkpoint.from_text(checkpoint.to_text())
        assert again.finished == checkpoint.finished and again.failed == checkpoint.failed
    failed = sorted(i for i, r in outcome.items() if r)
    assert checkpoint.tiles_failed == len(failed)
    assert checkpoint.tiles_done == len(outcome) - len(failed)
    assert all(checkpoint.reason_of(i) == outcome[i] for i in failed)
    assert checkpoint.watermark == min(set(range(total + 1)) - set(outcome))
    todo = list(Checkpoint.from_text(checkpoint.to_text()).todo(total))
    assert todo == [i for i in range(total) if i not in outcome] + failed


def test_text_names_watermark_done_above_and_failed_by_reason():
    checkpoint = Checkpoint()
    checkpoint.todo(20)
    checkpoint.mark(range(0, 10), [(10, "HTTP 404")])
    checkpoint.mark([11, 12, 14, 17], [(16, "timeout")])
    data = json.loads(checkpoint.to_text())
    assert data == {"v": 1, "total": 20, "watermark": 13, "done": "1+1,2+1",  # 14 and 17, relative to 13
                    "failed": {"HTTP 404": "10+1", "timeout": "16+1"}}
    assert list(checkpoint.todo(20)) == [13, 15, 18, 19, 10, 16]


def test_a_retried_failure_that_succeeds_is_no_longer_failed():
    checkpoint = Checkpoint()
    checkpoint.todo(5)
    checkpoint.mark([0, 1, 3, 4], [(2, "HTTP 500")])
    assert not checkpoint.complete and list(checkpoint.todo(5)) == [2]
    checkpoint.mark([2], [])
    assert checkpoint.complete and checkpoint.tiles_failed == 0 and list(checkpoint.todo(5)) == []


def test_a_changed_cover_is_refused_and_bad_text_is_one_sentence():
    checkpoint = Checkpoint()
    checkpoint.todo(100)
    checkpoint.mark([0, 1], [])
    with pytest.raises(RecoveryError, match="now has 99 tiles"):
        Checkpoint.from_text(checkpoint.to_text()).todo(99)
    for bad in ("{", '{"v": 7, "watermark": 0}', '{"v": 1}', '{"v": 1, "watermark": 2, "done": "z"}'):
        with pytest.raises(RecoveryError):
            Checkpoint.from_text(bad)
    assert Checkpoint.from_text(None).watermark == 0
