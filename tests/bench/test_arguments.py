"""The benchmarks refuse a bad size on their command line with a clear message, before anything
starts (no half-run, no traceback, no NaN figures)."""

from __future__ import annotations

import pytest

from bench import arguments, broadcast, ingest, timers


@pytest.mark.parametrize(
    ("main", "argv", "message"),
    [
        (ingest.main, ["--rates", "abc"], "argument --rates: 'abc' is not a number"),
        (ingest.main, ["--rates", "100,-5"], "argument --rates: '-5' is below 1"),
        (ingest.main, ["--seconds", "nan"], "argument --seconds: 'nan' is not a finite number"),
        (ingest.main, ["--max-events", "0"], "argument --max-events: '0' is below 1"),
        (ingest.main, ["--workers", "-1"], "argument --workers: '-1' is below 0"),
        (ingest.main, ["--share", "1.5"], "argument --share: '1.5' is not between 0 and 1"),
        (ingest.main, ["--share", "-0.1"], "argument --share: '-0.1' is not between 0 and 1"),
        (timers.main, ["--tickets", "-5"], "argument --tickets: '-5' is below 1"),
        (timers.main, ["--spread", "0"], "argument --spread: '0' is not above 0"),
        (timers.main, ["--owners", "1.5"], "argument --owners: '1.5' is not a number"),
        (broadcast.main, ["--channels", "0"], "argument --channels: '0' is below 1"),
        (broadcast.main, ["--within", "x"], "argument --within: 'x' is not a number"),
        (broadcast.main, ["--per-second", ""], "argument --per-second: '' is not a number"),
    ],
)
def test_a_bad_size_is_refused_before_the_run(main, argv, message, capsys):  # noqa: ANN001
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_good_sizes_still_parse():
    assert arguments.rates("") == []
    assert arguments.rates("100, 200,") == [100, 200]
    assert arguments.count("0") == 0
    assert arguments.seconds("0.5") == 0.5
    assert arguments.fraction("0") == 0 and arguments.fraction("0.25") == 0.25
