"""SLA clock arithmetic: pauses, re-targeting, ladder firings and outcomes."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import Calendar, deadline
from bot.domain.ladder import EscalationStep, StepTime
from bot.domain.sla import ClockRun, due_firings, firings, next_firing_at, outcome, percent_used

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 10:00 in New York
ALWAYS = Calendar.always()
NY = Calendar.build("ny", "America/New_York", {"mon-fri": "09:00-17:00"}, "US")
LADDER = (
    EscalationStep(StepTime.parse("75%"), ("owner",)),
    EscalationStep(StepTime.parse("100%"), ("managers",)),
    EscalationStep(StepTime.parse("100% + 30m"), ("directors",), repeat=timedelta(hours=1)),
)


def test_running_clock_due_and_elapsed():
    run = ClockRun(timedelta(hours=4), timedelta(0), T0)
    assert run.due_at(ALWAYS) == T0 + timedelta(hours=4)
    assert run.elapsed(T0 + timedelta(hours=1), ALWAYS) == timedelta(hours=1)
    # Business hours: 10:00 Friday + 8h business = 7h Friday + 1h Monday = Monday 10:00 NY.
    assert run.retarget(timedelta(hours=8)).due_at(NY) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_pause_and_resume_keep_elapsed_time():
    run = ClockRun(timedelta(hours=4), timedelta(0), T0)
    paused = run.pause(T0 + timedelta(hours=1), ALWAYS)
    assert paused.running_since is None and paused.due_at(ALWAYS) is None
    assert paused.elapsed(T0 + timedelta(days=3), ALWAYS) == timedelta(hours=1)
    resumed = paused.resume(T0 + timedelta(days=1))
    assert resumed.due_at(ALWAYS) == T0 + timedelta(days=1, hours=3)


def test_priority_change_keeps_elapsed_business_time():
    run = ClockRun(timedelta(hours=8), timedelta(0), T0)
    later = T0 + timedelta(hours=2)
    retargeted = run.retarget(timedelta(hours=4))
    assert retargeted.elapsed(later, ALWAYS) == timedelta(hours=2)
    assert retargeted.due_at(ALWAYS) == T0 + timedelta(hours=4)


def test_firings_in_order_with_repeats():
    keys = [(f.index, f.repeat, f.offset) for f in firings(LADDER, timedelta(hours=4))][:5]
    assert keys == [
        (0, 0, timedelta(hours=3)),
        (1, 0, timedelta(hours=4)),
        (2, 0, timedelta(hours=4, minutes=30)),
        (2, 1, timedelta(hours=5, minutes=30)),
        (2, 2, timedelta(hours=6, minutes=30)),
    ]


def test_due_and_next_skip_what_fired():
    run = ClockRun(timedelta(hours=4), timedelta(0), T0)
    now = T0 + timedelta(hours=4, minutes=1)
    assert [f.key for f in due_firings(run, LADDER, ALWAYS, now, set())] == [(0, 0), (1, 0)]
    assert [f.key for f in due_firings(run, LADDER, ALWAYS, now, {(0, 0)})] == [(1, 0)]
    assert next_firing_at(run, LADDER, ALWAYS, {(0, 0), (1, 0)}) == T0 + timedelta(hours=4.5)
    paused = run.pause(now, ALWAYS)
    assert due_firings(paused, LADDER, ALWAYS, now, set()) == []
    assert next_firing_at(paused, LADDER, ALWAYS, set()) is None


def test_outcomes_met_and_missed():
    run = ClockRun(timedelta(hours=1), timedelta(0), T0)
    met = outcome(run, run.due_at(ALWAYS), T0 + timedelta(minutes=40), ALWAYS)
    assert met.met and met.late_business == timedelta(0)
    missed = outcome(run, run.due_at(ALWAYS), T0 + timedelta(minutes=95), ALWAYS)
    assert not missed.met
    assert missed.late_business == timedelta(minutes=35) == missed.late_wall
    # Over a weekend, wall lateness exceeds business lateness.
    friday = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)  # 16:30 New York
    ny_run = ClockRun(timedelta(hours=1), timedelta(0), friday)
    monday = datetime(2026, 11, 23, 14, 45, tzinfo=UTC)  # 09:45 New York
    late = outcome(ny_run, ny_run.due_at(NY), monday, NY)
    assert late.late_business == timedelta(minutes=15)
    assert late.late_wall == monday - ny_run.due_at(NY)
    assert percent_used(ny_run, monday, NY) == 125.0


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    target=st.integers(min_value=60, max_value=3 * 86400),
    pause_after=st.integers(min_value=0, max_value=86400),
    pause_for=st.integers(min_value=0, max_value=5 * 86400),
)
def test_a_pause_moves_the_due_time_by_business_time_only(start, target, pause_after, pause_for):
    run = ClockRun(timedelta(seconds=target), timedelta(0), start)
    pause_at = start + timedelta(seconds=pause_after)
    resume_at = pause_at + timedelta(seconds=pause_for)
    resumed = run.pause(pause_at, NY).resume(resume_at)
    elapsed = run.elapsed(pause_at, NY)
    if elapsed >= run.target:
        return
    assert resumed.due_at(NY) == deadline(resume_at, run.target - elapsed, NY)
    assert resumed.elapsed(resumed.due_at(NY), NY) == run.target
