"""Fuzzing (issue 10): hypothesis builds texts from the real samples' lines
(mutations.py: their lines by kind, and the mutations issue 10 lists) and every
walk a reader makes runs on each (hostile_exercise.exercise).  Asserted: no
exception but InputError; no hang (10 s an input: a hang guard, not a speed
target); no verdict but `incomplete` (or `error`) on a trace the parser knows is
cut.  Bounded to about a minute in all (max_examples; derandomized: the
same inputs every run); benchmarks/fuzz_long.py
is the long run (>= 1e5 inputs a parser).  Every text here is a mutation of real
output, never a sample.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovnparse.errors import InputError

from hostile_exercise import exercise
from mutations import PARSERS, Chooser, generated, mutated, samples, to_bytes

HANG_GUARD = 10  # s an input


class Hang(AssertionError):
    pass


@contextmanager
def hang_guard(seconds: int = HANG_GUARD):
    def alarm(signum, frame):
        raise Hang(f"one input still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class DrawChooser(Chooser):
    """Each choice drawn from hypothesis (which can then shrink it)."""

    def __init__(self, data):
        self.data = data

    def randint(self, a: int, b: int) -> int:
        return self.data.draw(st.integers(a, b))


def fuzz(max_examples: int) -> settings:
    return settings(FUZZ, max_examples=max_examples)


FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


def _run(data: bytes, views: bool = False) -> None:
    with hang_guard():
        try:
            exercise(data, views=views)
        except InputError:
            pass


@pytest.mark.parametrize("parser", sorted(PARSERS))
@fuzz(300)
@given(data=st.data())
def test_mutated_samples(parser, data):
    c = DrawChooser(data)
    text = mutated(c.choice(samples(parser)), c)
    _run(to_bytes(text, c))


@pytest.mark.parametrize("parser", sorted(PARSERS))
@fuzz(200)
@given(data=st.data())
def test_texts_made_of_the_samples_line_kinds(parser, data):
    c = DrawChooser(data)
    _run(to_bytes(generated(parser, c), c))


@fuzz(50)
@given(data=st.data())
def test_every_view_of_mutated_samples(data):
    # the frames, path graphs and cards too (pandas, networkx: fewer examples)
    c = DrawChooser(data)
    parser = c.choice(sorted(PARSERS))
    _run(to_bytes(mutated(c.choice(samples(parser)), c), c), views=True)


def test_the_mutations_reach_what_they_say():
    # (so that a change to mutations.py cannot make the fuzz quietly gentle)
    import random
    c = Chooser(random.Random(5))
    texts = [to_bytes(mutated(samples("ofproto/trace")[0], c, 3), c) for _ in range(400)]
    assert any(b"\r" in t for t in texts) and any(b"\t" in t for t in texts)
    assert any(b"\x1b[" in t for t in texts) and any(b"\x00" in t for t in texts)
    assert any(b"ovnkube.go:" in t for t in texts)
    assert any(len(max(t.split(b"\n"), key=len)) >= 10_000 for t in texts)
    bad = 0
    for t in texts:
        try:
            t.decode()
        except UnicodeDecodeError:
            bad += 1
    assert bad
