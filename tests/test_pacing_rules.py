"""Which step each frame shows (pacing.py), on small made-up runs whose plans are worked out by hand here: exact
frames, glides, pauses while words are read (docs/pages/mutation.md: the mutants they kill)."""

import dataclasses
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import synthetic

from tp1viz import pacing
from tp1viz.layouts import Scale, scales
from tp1viz.pacing import Plan
from tp1viz.trajectory import Event

# frame:      0    1    2    3    4    5    6    7
START = [0, 0, 2, 2, 2, 5, 5, 5]
END = [0, 2, 2, 2, 5, 5, 5, 9]
T = [1.0, 0.5, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0]


def plan_of(start=START, end=END, t=T) -> Plan:
    return Plan(np.array(start), np.array(end), np.array(t, float))


def test_a_plan_tells_each_frames_step_and_the_first_frame_that_shows_a_step_exactly():
    plan = plan_of()
    assert len(plan) == 8
    assert plan.shown.tolist() == [0, 0, 2, 2, 2, 5, 5, 9]  # an in-between frame shows the step it comes from
    assert plan.exact.tolist() == [True, False, True, True, False, True, True, True]
    assert plan.steps.tolist() == [0, 2, 5, 9]
    assert [plan.frame_of(step) for step in range(11)] == [0, 0, 2, 2, 2, 5, 5, 5, 5, 7, 7]
    assert plan_of([3, 3], [3, 4], [1.0, 1.0]).frame_of(1) == 0  # before the first step shown: the first frame
    assert plan.frames_of(2).tolist() == [2, 3] and plan.frames_of(5).tolist() == [5, 6] and not plan.frames_of(3).size
    assert Plan.exact_steps(np.linspace(0, 4, 3)).end.dtype.kind == "i"  # a step is a whole number, as it is said
    exact = Plan.exact_steps([0, 3, 4])
    assert exact.start.tolist() == exact.end.tolist() == [0, 3, 4] and exact.t.tolist() == [1.0, 1.0, 1.0]


def test_holding_a_step_repeats_its_first_exact_frame_never_an_in_between():
    pauses = {2: 2, 5: 1, 7: 4}
    held = plan_of().held(pauses)
    assert held.start.tolist() == [0, 0, 2, 2, 2, 2, 2, 5, 5, 5, 5]
    assert held.end.tolist() == [0, 2, 2, 2, 2, 2, 5, 5, 5, 5, 9]
    assert held.t.tolist() == [1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0]
    assert held.start.dtype.kind == "i" and held.end.dtype.kind == "i" and held.t.dtype.kind == "f"
    assert pauses == {7: 4}  # taken as they are used: a step no frame shows is left
    glide_only = Plan(np.array([0, 0]), np.array([0, 4]), np.array([1.0, 0.5])).held({4: 3})
    assert glide_only.t.tolist() == [1.0, 0.5]  # the only frame toward 4 is an in-between: nothing to hold


def test_the_budget_is_a_frame_a_step_or_the_seconds_at_the_frame_rate_at_least_two():
    assert pacing.budget(40, 30, None) == 41
    assert pacing.budget(400, 30, 2.0) == 60
    assert pacing.budget(40, 30, 2.0) == 41  # fewer steps than the seconds hold
    assert pacing.budget(400, 30, 1 / 60) == 2
    assert pacing.budget(400, 10, 0.25) == 2 and pacing.budget(400, 10, 0.35) == 4 and pacing.budget(400, 10, 0.3) == 3


def test_after_the_settled_step_a_step_is_shown_once_the_picture_has_moved_two_pixels():
    change = np.array([0, 5, 1, 1, 0.5, 0.5, 3, 0, 0, 0.1])
    assert pacing.shown_steps(change, 1).tolist() == [0, 1, 3, 6, 9]  # 1 + 1 is two pixels: step 3 is shown
    assert pacing.shown_steps(change, 20).tolist() == list(range(10))
    assert pacing.shown_steps(change, 0).tolist() == [0, 1, 3, 6, 9]
    assert pacing.shown_steps(np.array([0, 0.5, 0.5, 1.0]), 0).tolist() == [0, 3]  # the last, whatever it moved
    assert pacing.shown_steps(np.array([0, 0.5, 0.5, 1.0, 1.9]), 0).tolist() == [0, 3, 4]
    assert pacing.shown_steps(np.array([0, 3, 3, 3, 0, 0.0]), 3).tolist() == [0, 1, 2, 3, 5]  # each step once
    assert pacing.shown_steps(np.array([0, 2.0, 2.0]), 0).tolist() == [0, 1, 2]  # two pixels exactly: shown
    assert pacing.shown_steps(np.array([0, 1.5, 1.5, 1.5, 1.5]), 0).tolist() == [0, 2, 4]  # counted afresh after each
    assert pacing.shown_steps(np.array([0, 1, 1, 0.5]), 10).tolist() == [0, 1, 2, 3]  # settled past the end


def test_picks_by_travel_are_even_in_how_far_the_picture_moves_and_by_step_where_it_stands_still():
    assert pacing.by_travel(np.ones(7), 0, 6, 4).tolist() == [0, 2, 4, 6]
    jump = np.array([0, 10, 0, 0, 0, 0, 0, 11, 0])
    assert pacing.by_travel(jump, 0, 8, 3).tolist() == [0, 7, 8]  # half the travel is only reached at step 7
    assert pacing.by_travel(np.zeros(9), 0, 8, 5).tolist() == [0, 2, 4, 6, 8]
    assert pacing.by_travel(np.ones(20), 10, 18, 1).tolist() == [10, 18]  # at least the two ends
    assert pacing.by_travel(np.ones(20), 10, 18, 2).tolist() == [10, 18]


def test_a_long_run_spreads_its_frames_after_showing_each_step_to_where_it_settled():
    change = np.ones(101)
    assert pacing.spread(change, 4, 20).tolist() == [
        0,
        1,
        2,
        3,
        4,
        11,
        17,
        24,
        30,
        36,
        43,
        49,
        56,
        62,
        68,
        75,
        81,
        88,
        94,
        100,
    ]  # 16 picks, 6.4 steps apart
    assert pacing.spread(change, 10, 20).tolist()[:4] == [0, 6, 11, 16]  # 10 is half the frames: no head
    assert pacing.spread(change, 9, 20).tolist() == [*range(10), *range(19, 100, 9), 100]  # 9.1 steps apart
    assert pacing.spread(change, 10, 21).tolist()[:3] == [0, 5, 10]  # 10 of 21 frames is not under half of them
    assert pacing.spread(change, 500, 2000)[-1] == 100 and len(pacing.spread(change, 500, 2000)) == 101


def test_a_note_gets_every_step_of_a_short_stretch_or_enough_steps_of_a_long_one():
    exact = np.array([0, 10, 40])
    change = np.ones(41)
    assert pacing.with_phases(exact, change, [(10, 15)], 4).tolist() == [0, *range(10, 16), 40]
    assert pacing.with_phases(exact, change, [(10, 15)], 3).tolist() == [0, 10, 12, 13, 14, 15, 40]  # 5 by travel
    assert pacing.with_phases(exact, change, [(10, 16)], 4).tolist() == [0, 10, 12, 13, 14, 15, 16, 40]
    assert pacing.with_phases(exact, change, [(10, 40)], 4).tolist() == [0, 10, 16, 22, 28, 34, 40]
    assert pacing.with_phases(np.array([0, 10, 11, 12, 13, 14, 40]), change, [(10, 40)], 4).tolist() == [
        0,
        10,
        11,
        12,
        13,
        14,
        40,
    ]  # four steps inside already: enough
    assert pacing.with_phases(np.array([0, 10, 11, 12, 40]), change, [(10, 40)], 4).tolist() == [
        0,
        10,
        11,
        12,
        16,
        22,
        28,
        34,
        40,
    ]  # two inside: the six picks join them
    # two steps strictly inside of three needed (its ends do not count): the five picks join them
    assert pacing.with_phases(np.array([0, 10, 11, 12, 40]), change, [(10, 40)], 3).tolist() == [0, 10, 11, 12, 18,
                                                                                                25, 33, 40]  # fmt: skip
    bumpy = change.copy()
    bumpy[12] = 10  # by travel, 11 would be skipped: a short stretch gets every step whatever it moves
    assert pacing.with_phases(np.array([0, 10, 40]), bumpy, [(10, 15)], 4).tolist() == [0, *range(10, 16), 40]


def test_spare_frames_glide_across_the_big_moves_never_across_an_unsteady_step():
    change = np.array([0, 4, 4, 0.5, 0.5, 0.5, 0.5])
    smooth = np.ones(7, bool)
    plan = pacing.glide(np.array([0, 1, 2, 6]), change, 3, 5, smooth)
    assert plan.start.tolist() == [0, 0, 1, 1, 2, 2, 6] and plan.end.tolist() == [0, 1, 1, 2, 2, 6, 6]
    assert plan.t.tolist() == [1, 0.5, 1, 0.5, 1, 0.5, 1]  # 1.2, 1.2, 0.6 spare: the largest remainder gets one
    plan = pacing.glide(np.array([0, 1, 2, 6]), change, 9, 3, smooth)  # at most two in-betweens in a gap
    assert plan.t.tolist() == [1, 1 / 3, 2 / 3, 1, 1 / 3, 2 / 3, 1, 1 / 3, 2 / 3, 1]  # 3.6, 3.6, 1.8: capped at 2
    unsteady = smooth.copy()
    unsteady[4] = False  # the move into step 4 swings back: no blend across 2..6
    plan = pacing.glide(np.array([0, 1, 2, 6]), change, 3, 5, unsteady)
    assert plan.end.tolist() == [0, 1, 1, 1, 2, 2, 6] and plan.t.tolist() == [1, 1 / 3, 2 / 3, 1, 0.5, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing moves: no share of nothing is worked out (0 / 0)
        assert pacing.glide(np.array([0, 3]), np.zeros(4), 5, 5, np.ones(4, bool)).t.tolist() == [1, 1]
    faint = pacing.glide(np.array([0, 2]), np.array([0, 0.25, 0.25]), 2, 5, np.ones(3, bool))  # half a pixel in all
    assert faint.t.tolist() == [1, 1 / 3, 2 / 3, 1]
    after = np.ones(5, bool)
    after[3] = False  # the move into 3 swings back: no blend across 2..4, one across 0..2 still
    assert pacing.glide(np.array([0, 2, 4]), np.ones(5), 2, 5, after).t.tolist() == [1, 1 / 3, 2 / 3, 1, 1]
    assert pacing.glide(np.array([0, 3]), np.ones(4), 0, 5, np.ones(4, bool)).t.tolist() == [1, 1]


def test_a_plan_shows_each_step_to_where_it_settled_then_the_moves_then_the_end():
    change = np.array([0, 4, 4, 0.5, 0.5, 0.5, 0.5])
    plan = pacing.plan("change", 6, 10, None, change, 2)
    assert plan.start.tolist() == [0, 0, 1, 1, 2, 2, 6] and plan.end.tolist() == [0, 1, 1, 2, 2, 6, 6]
    assert plan.t.tolist() == [1, 0.5, 1, 0.5, 1, 0.5, 1]
    marked = pacing.plan("change", 6, 10, None, change, 2, marks=[4, 9, -1])  # a mark out of the run is dropped
    assert marked.end[marked.exact].tolist() == [0, 1, 2, 4, 6]
    short = pacing.plan("change", 6, 10, 0.5, change, 6)  # 5 frames for 7 steps: spread by travel, one in-between
    assert short.end.tolist() == [0, 1, 1, 2, 6] and short.t.tolist() == [1, 0.5, 1, 1, 1]
    kept = pacing.plan("change", 6, 10, None, change, 6, kept=np.array([0, 2, 3, 6]))
    assert kept.end[kept.exact].tolist() == [0, 2, 3, 6]  # only what a long run kept is drawn exactly
    first_pass = pacing.plan("change", 6, 10, None, change, 6, kept=np.array([], int))
    assert first_pass.end[first_pass.exact].tolist() == list(range(7))
    phased = pacing.plan("change", 6, 1, 4, change, 0, phases=[(2, 6)])  # 4 frames; a note asks 2 s of 2..6
    assert phased.end[phased.exact].tolist() == [0, 1, 2, 4, 5, 6]  # 2..6 by travel: 4 of its steps


def test_a_steps_paced_video_shows_every_step_or_evenly_spaced_ones_and_the_marked():
    flat = np.zeros(11)
    assert pacing.plan("steps", 10, 10, None, flat, 0).end.tolist() == list(range(11))
    assert pacing.plan("steps", 10, 10, 0.6, flat, 0).end.tolist() == [0, 2, 4, 6, 8, 10]
    assert pacing.plan("steps", 10, 10, 0.6, flat, 0, marks=[3]).end.tolist() == [0, 2, 3, 5, 8, 10]
    assert pacing.plan("steps", 10, 10, 0.6, flat, 0, marks=[1, 2, 3, 4]).end.tolist() == [0, 1, 2, 3, 5, 10]  # 3 of 6
    assert pacing.plan("steps", 10, 2, 1, flat, 0, marks=[5]).end.tolist() == [0, 5, 10]  # never fewer than 2
    assert pacing.plan("steps", 10, 10, 1.0, flat, 0).end.tolist() == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]  # 10 frames
    assert pacing.plan("steps", 10, 1, 2, flat, 0).end.tolist() == [0, 10]  # 2 frames: the two ends


def test_a_plan_keeps_to_its_budget_and_to_the_steps_a_long_run_kept():
    marks = list(range(110, 1000, 100))  # nine captions' steps, none of them a pick by travel
    long = pacing.plan("change", 1000, 10, 5, np.ones(1001), 0, marks=marks)
    assert len(long) == 50 and set(marks) <= set(long.end[long.exact])  # 5 s at 10 fps, every caption's step
    missing = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]  # a recording that kept every step but 5
    kept = pacing.plan("change", 10, 10, None, np.ones(11), 10, marks=[5], kept=np.array(missing))
    assert kept.steps.tolist() == missing  # 5 is marked but has no snapshot: never drawn


def test_a_caption_is_held_for_what_the_motion_to_the_next_one_does_not_give():
    motion = Plan(np.array([0, 0, 1, 1, 2, 2, 6]), np.array([0, 1, 1, 2, 2, 6, 6]), np.ones(7))
    motion = dataclasses.replace(motion, t=np.array([1, 0.5, 1, 0.5, 1, 0.5, 1]))
    reading = {0: [(2.5, False)], 3: [(1.0, True)], 6: [(3.0, False)]}
    assert pacing.pauses(motion, reading, 10) == {0: 21, 3: 10, 6: 30}  # 25 frames less the 4 before step 3's
    assert pacing.pauses(motion, {0: [(0.2, False)], 6: [(1.0, False)]}, 10) == {0: 0, 6: 10}
    assert pacing.pauses(motion, {0: [(1.0, False), (2.0, False)]}, 10) == {0: 30}  # the last is the end: held
    assert pacing.pauses(motion, {2: [(1.0, False), (2.0, False)], 6: [(1.0, True)]}, 10) == {2: 28, 6: 10}


def moving_run(grid, loss=None, **fields):
    grid = np.asarray(grid, float)
    loss = np.linspace(1, 0.1, len(grid)) if loss is None else np.asarray(loss, float)
    return dataclasses.replace(synthetic(loss, grid, y=np.linspace(-1, 1, 20)), **fields)


def test_the_visible_change_is_how_far_the_curve_moves_on_its_panel_in_pixels(monkeypatch):
    grid = np.array([[0.0, 0.0], [0.1, -0.3], [0.1, -0.3], [0.5, 0.2]])
    run = moving_run(grid)
    (scale,) = scales("fit", [run])
    assert pacing.visible_change([run]) == pytest.approx(np.array([0, 0.3, 0, 0.5]) * scale.fit)
    beyond = moving_run(
        np.array([[0.0, 0.0], [0.1, 50.0], [0.1, 60.0]]),
    )  # the second point leaves the panel
    (scale,) = scales("fit", [beyond])
    low, high = scale.ylim
    assert high < 50 and pacing.visible_change([beyond]) == pytest.approx(np.array([0, 0.1, 0]) * scale.fit)
    sparse = moving_run(np.zeros((3, 2)), loss=[1, 0.5, 0.4], change=np.array([0, 0.01, np.nan]),
                        snapshot_steps=np.array([0, 2]))  # fmt: skip
    (scale,) = scales("fit", [sparse])
    assert pacing.visible_change([sparse]).tolist() == [0.0, pytest.approx(0.01 * scale.fit), 512.0]
    two = [run, moving_run(grid * 2)]
    assert pacing.visible_change(two, "fit").tolist() == pytest.approx(
        np.max([[0, 0.3 * s.fit, 0, 0.5 * s.fit] for s in scales("fit", two)] * np.array([[1], [2]]), axis=0)
    )
    first = moving_run(np.zeros((3, 2)), loss=[1, 0.5, 0.4], change=np.array([0, 0.01, 0.02]),
                       snapshot_steps=np.array([0, 2]))  # fmt: skip
    second = dataclasses.replace(first, change=np.array([0, 0.03, 0.01]))
    (scale, _) = scales("fit", [first, second])
    assert pacing.visible_change([first, second]) == pytest.approx(np.array([0, 0.03, 0.02]) * scale.fit)  # each run
    off = moving_run(np.array([[50.0], [60.0], [0.0]]))  # off the panel for two snapshots
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a step with no point on the panel moves nothing, and says nothing of it
        assert pacing.visible_change([off]).tolist() == [0.0, 0.0, 0.0]
    monkeypatch.setattr(pacing, "scales", lambda layout, runs: [Scale((-1.0, 1.0), 10.0)] * len(runs))
    edges = moving_run(np.array([[-1.0, 1.0], [-0.5, 1.0], [-0.5, 0.8]]))  # from the panel's very edges
    assert pacing.visible_change([edges]) == pytest.approx([0.0, 5.0, 2.0])


def test_a_step_is_steady_when_every_runs_loss_does_not_rise_and_its_curve_does_not_swing_back():
    flat = np.tile(np.linspace(-1, 1, 8), (7, 1))
    run = moving_run(flat * np.linspace(1, 0.4, 7)[:, None], loss=[5, 4, 4, 4.5, 3, np.nan, 1])
    assert pacing.steady([run]).tolist() == [True, True, True, False, True, False, False]  # after NaN: not known
    swinging = moving_run(flat * np.array([1, -1, 1, -1, 1, 1, 1])[:, None], loss=np.linspace(2, 1, 7))
    assert pacing.steady([swinging]).tolist() == [True, False, False, False, False, True, True]
    assert pacing.steady([run, swinging]).tolist() == [True, False, False, False, False, False, False]


def event(kind, step, run=0):
    return Event(kind, step, kind, kind, run)


def test_every_step_is_shown_to_where_the_runs_converged_or_a_diverging_loss_leaves_the_panel():
    loss = np.array([1.0, 2, 5, 9, 11, 30, np.inf])
    assert pacing.settled_step([moving_run(np.zeros((7, 2)), loss=loss)]) == 0
    converged = moving_run(np.zeros((7, 2)), events=(event("converged", 4),))
    assert pacing.settled_step([converged]) == 4
    diverged = moving_run(np.zeros((7, 2)), loss=loss, events=(event("diverged", 2),))
    assert pacing.settled_step([diverged]) == 5  # alone: the loss panel follows it as far as it is finite
    calm = moving_run(np.zeros((7, 2)), loss=[1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4], events=(event("converged", 1),))
    assert pacing.settled_step([calm, diverged]) == 3  # beside another: until it passes 10 times the first loss
    lost = moving_run(np.zeros((7, 2)), loss=[0.1, 2, 3, 4, 5, 6, 7], events=(event("diverged", 1),))
    assert pacing.settled_step([calm, lost]) == 6
    small = moving_run(np.zeros((8, 2)), loss=[10, 9, 8, 7, 6, 5, 4, 3], events=(event("converged", 1),))
    climbing = moving_run(np.zeros((8, 2)), loss=[1, 2, 5, 20, 50, 100, 200, np.inf], events=(event("diverged", 3),))
    assert pacing.settled_step([small, climbing]) == 5  # 10 times the highest start (10): 100 is still on the panel
    gone = moving_run(np.zeros((7, 2)), loss=[np.nan] * 7, events=(event("diverged", 0),))
    assert pacing.settled_step([gone]) == 0 and pacing.settled_step([gone, calm]) == 1


def test_a_scenes_plan_holds_each_caption_at_its_steps_exact_frame_and_the_end():
    scene = SimpleNamespace(pace="change", fps=10, max_seconds=None, layout="fit")
    run = moving_run(np.linspace(0, 1, 7)[:, None] * np.ones((7, 4)), events=(event("spike", 3),))
    plan = pacing.for_runs(scene, [run], {0: [(0.5, False)], 6: [(1.0, True)]})
    assert 3 in plan.end[plan.exact]  # the event's step is shown exactly
    assert len(plan.frames_of(6)) == 11 and plan.shown[-1] == 6  # the end, read for a second
    assert len(plan.frames_of(0)) == 1 + max(0, 5 - plan.frame_of(6))


# -- time to see what an event shows -------------------------------------------------------------------------------


def test_a_stretch_short_of_its_time_is_slowed_its_swings_shown_longer_its_steady_moves_glided():
    motion = Plan.exact_steps(range(8))  # frame k shows step k
    smooth = np.array([True, True, True, False, False, False, True, True])  # the moves into 3, 4 and 5 swing back
    slow = pacing.slowed(motion, 2, 6, 12, smooth)  # 2..6 has 4 frames, asks 12: each step 3
    assert slow.start.tolist() == [0, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 7]
    assert slow.end.tolist() == [0, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6, 6, 6, 7]  # 5 to 6 is steady: it glides
    assert slow.t.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 / 3, 2 / 3, 1, 1]
    assert slow.frame_of(6) - slow.frame_of(2) == 12 and slow.frame_of(7) == 15
    peaked = pacing.slowed(motion, 2, 6, 12, np.zeros(8, bool), dwell=4)  # the peak first: 0.6 of 2 s, 4 frames
    assert peaked.end.tolist() == [0, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 6, 7]  # the rest shared, 2 each at least
    glides = Plan(np.array([0, 1, 1, 1, 1, 1, 1, 1, 2]), np.array([0, 1, 2, 2, 2, 2, 2, 2, 2]),
                  np.array([1, 1, 1 / 7, 2 / 7, 3 / 7, 4 / 7, 5 / 7, 6 / 7, 1]))  # fmt: skip
    uneven = pacing.slowed(glides, 0, 2, 16, np.array([True, False, True]))  # step 0 has 1 frame, 1 has 7
    assert uneven.end.tolist() == [0, 0, 0, 0, 1, *[2] * 6, 2] and uneven.frame_of(1) == 4  # its share, 8, past
    # the slowest a step may be (0.5 s of 2 s: 4 frames), and no more: two steps cannot fill 16 frames
    assert pacing.slowed(motion, 0, 7, 7, smooth) is motion  # long enough already
    short = pacing.slowed(motion, 2, 4, 12, smooth)  # two steps cannot fill 12 frames at 3 (0.5 s of 2) each
    assert short.end.tolist() == [0, 1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 7]
    sparse = Plan.exact_steps([0, 2, 5])
    assert pacing.slowed(sparse, 0, 3, 10, smooth) is sparse  # step 3 is not shown: nothing to stretch toward
    glided = Plan(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([1, 0.5, 1]))
    assert pacing.slowed(glided, 0, 1, 16, np.ones(2, bool)).t.tolist() == [1, 0.25, 0.5, 0.75, 1]  # more in-betweens,
    # to the slowest a step may be (0.5 s of 2 s: 4 frames)
    two = Plan(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 2, 2]), np.array([1, 0.5, 1, 0.5, 1]))
    slow = pacing.slowed(two, 0, 2, 16, np.array([True, True, False]))  # each step's 2 frames become 4, no more
    assert slow.end.tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 2] and slow.t.tolist() == [1, 0.25, 0.5, 0.75, 1, 1, 1, 1, 1]
    uneven = Plan(np.array([0, 1, 1, 1, 1, 2]), np.array([0, 1, 2, 2, 2, 2]), np.array([1, 1, 0.25, 0.5, 0.75, 1]))
    slow = pacing.slowed(uneven, 0, 2, 16, np.ones(3, bool))  # a glided step keeps its 4, the jump to it gets 4 too
    assert slow.end.tolist() == [0, 1, 1, 1, 1, 2, 2, 2, 2] and slow.t.tolist() == [
        1,
        0.25,
        0.5,
        0.75,
        1,
        0.25,
        0.5,
        0.75,
        1,
    ]


def test_an_oscillation_lasts_while_it_swings_and_a_spike_until_its_loss_is_back_under_its_threshold():
    swung = np.array([False, False, True, True, True, False, True])
    assert pacing.swings_end(swung, 2) == 4 and pacing.swings_end(swung, 6) == 6
    assert pacing.swings_end(np.array([False, False, True, True]), 2) == 3  # to the end
    loss = np.array([1.0, 0.5, 0.2, 0.3, 0.9, 0.6, 0.39, 0.1])  # lowest 0.2 before it: back under 0.4 at step 6
    assert pacing.spike_span(loss, 4) == (4, 6)
    assert pacing.spike_span(np.array([1.0, 0.2, 0.5, 0.9, 0.8]), 2) == (3, 4)  # never back: to the end
    flat = np.tile(np.linspace(-1, 1, 8), (7, 1))
    swinging = moving_run(flat * np.array([1, -1, 1, -1, 1, 1, 1])[:, None], events=(event("oscillating", 2),))
    assert pacing.event_stretches([swinging], "fit", [0, 6]) == [(2, 4)]  # swings into steps 2, 3 and 4
    assert pacing.event_stretches([swinging], "fit", [0, 3, 6]) == [(2, 3)]  # the next caption comes at 3
    spiking = moving_run(flat[:8], loss=[1.0, 0.5, 0.2, 0.3, 0.9, 0.6, 0.39], events=(event("spike", 4),))
    assert pacing.event_stretches([spiking], "fit", [6]) == [(4, 6)]
    assert pacing.spike_peaks([spiking], [(4, 6)]) == {4: 4} and pacing.spike_peaks([spiking], []) == {}
    rising = moving_run(flat[:7], loss=[1.0, 0.5, 0.2, 0.3, 0.5, 0.9, 0.1], events=(event("spike", 4),))
    assert pacing.spike_peaks([rising], [(4, 6)]) == {4: 5}
    assert pacing.spike_peaks([rising], [(4, 5)]) == {}  # its peak is the next caption's step: held at its own


def test_a_spikes_caption_is_held_at_its_peak_for_what_the_motion_does_not_give():
    motion = Plan.exact_steps(range(9))
    reading = {3: [(1.0, True), (2.0, False)], 8: [(1.0, True)]}
    assert pacing.pauses(motion, reading, 10, {3: 5}) == {3: 10, 5: 15, 8: 10}  # 20 frames less the 5 to step 8
    assert pacing.pauses(motion, reading, 10) == {3: 25, 8: 10}


def test_the_dot_on_a_landscape_moves_the_picture_too():
    from tp1viz.trajectory import Landscape

    grid = np.zeros((4, 2))  # the curve stands still
    plane = Landscape(u=np.linspace(0, 1, 5), v=np.linspace(0, 2, 5), loss=np.zeros((5, 5)),
                      path_u=np.array([0, 0.1, 0.1, 0.1]), path_v=np.array([0, 0, 0.2, 0.2]), origin=np.zeros(2),
                      directions=np.eye(2), kind="exact", labels=("w", "b"))  # fmt: skip
    run = moving_run(grid, landscape=plane)
    (scale,) = scales("landscape", [run])
    assert pacing.visible_change([run], "landscape") == pytest.approx([0, 0.1 * scale.landscape[0],
                                                                       0.2 * scale.landscape[1], 0])  # fmt: skip
    assert pacing.visible_change([run], "fit").tolist() == [0, 0, 0, 0]  # no landscape drawn: nothing moves


def test_a_note_on_an_events_stretch_is_read_over_its_slow_motion():
    scene = SimpleNamespace(pace="change", fps=10, max_seconds=None, layout="fit")
    flat = np.tile(np.linspace(-1, 1, 8), (7, 1))
    swinging = moving_run(flat * np.array([1, -1, 1, -1, 1, 1, 1])[:, None], events=(event("oscillating", 2),))
    reading = {0: [(0.5, False)], 2: [(3.0, True)], 6: [(1.0, True)]}
    plan = pacing.for_runs(scene, [swinging], reading)
    assert len(plan.frames_of(3)) == 5  # the swings into 3 and 4, each half a second: two cannot fill 2 s
    assert plan.frame_of(6) - plan.frame_of(2) == 30  # the note's 3 s: 1.8 held, then its swings
    calm = dataclasses.replace(swinging, events=())
    held = pacing.for_runs(scene, [calm], reading)
    assert len(held.frames_of(2)) == 31 and len(held.frames_of(3)) == 1  # no event: held all 3 s, then the steps


def scene(**fields):
    return SimpleNamespace(**{"pace": "change", "fps": 10, "max_seconds": None, "layout": "fit", **fields})


def test_a_scenes_plan_follows_its_pace_its_length_its_captions_steps_and_what_its_run_kept():
    creeping = moving_run(np.linspace(0, 0.01, 11)[:, None] * np.ones((11, 4)))  # too little motion to show a step
    reading = {0: [(0.1, False)], 5: [(0.5, True)], 10: [(0.1, True)]}  # a note at step 5, no event there
    plan = pacing.for_runs(scene(), [creeping], reading)
    assert plan.frames_of(5).size == 6  # step 5 shown exactly, and held 0.5 s for its note
    plan = pacing.for_runs(scene(pace="steps"), [creeping], reading)
    assert plan.exact.all() and plan.steps.tolist() == list(range(11))  # every step, no glide
    plan = pacing.for_runs(scene(pace="steps", max_seconds=0.5), [creeping], reading)
    assert plan.steps.tolist() == [0, 5, 10]  # 5 frames: evenly spaced, and the note's step
    sparse = moving_run(np.zeros((3, 4)), loss=np.linspace(1, 0.1, 11), change=np.full(11, 1.0),
                        snapshot_steps=np.array([0, 4, 10]))  # fmt: skip
    assert pacing.for_runs(scene(), [sparse], {0: [(0.1, False)], 10: [(0.1, True)]}).steps.tolist() == [0, 4, 10]


def test_a_scenes_plan_measures_moves_and_swings_on_its_own_layouts_panel():
    steady = moving_run(np.arange(11)[:, None] * 0.02 * np.ones((11, 4)))  # 2.2 px a step at fit, 1.9 at least_squares
    ends = {0: [(0.1, False)], 10: [(0.1, True)]}
    assert pacing.for_runs(scene(), [steady], ends).steps.tolist() == list(range(11))
    assert pacing.for_runs(scene(layout="least_squares"), [steady], ends).steps.tolist() == [0, 2, 4, 6, 8, 10]
    swinging = np.cumsum([0, 0.1, 0.1, 0.1] + [0.005, -0.005] * 3)  # then swings of 0.56 px at fit, 0.47 px
    run = moving_run(swinging[:, None] * np.ones((10, 4)))
    ends = {0: [(0.1, False)], 9: [(0.1, True)]}
    unseen = pacing.for_runs(scene(layout="least_squares"), [run], ends)
    assert [(a, b) for a, b, t in zip(unseen.start, unseen.end, unseen.t, strict=True) if t < 1] == [
        (0, 1), (1, 2), (2, 3), (3, 8)]  # too small to see there: the video may glide across them  # fmt: skip
    seen = pacing.for_runs(scene(), [run], ends)
    assert all(b <= 3 for a, b, t in zip(seen.start, seen.end, seen.t, strict=True) if t < 1)  # seen: no glide
