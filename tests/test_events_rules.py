"""What happens in a run (events.py), on losses and curves made by the test and worked out by hand here: each rule
at its edge, each event's words (docs/pages/mutation.md: the mutants they kill)."""

import dataclasses

import numpy as np
import pytest
from conftest import synthetic

from tp1viz import events
from tp1viz.layouts import Scale
from tp1viz.trajectory import Event, Held, Units

SCALE = Scale((-10.0, 10.0), 10.0)  # 10 px a unit, a panel from -10 to 10


def run_of(loss, grid=None, **fields):
    loss = np.asarray(loss, float)
    grid = np.zeros((len(loss), 4)) if grid is None else np.asarray(grid, float)
    return dataclasses.replace(synthetic(loss, grid), **fields)


# -- diverged ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "step"),
    [([1, 5, 10, 11, 12], 3), ([1, 20, 2, 30], 3), ([1, 2, np.nan, 1], 2), ([1, 2, 0.5], None), ([np.inf, np.inf], 0),
     ([1, 11, 12], 1), ([2, 21, 1, np.inf], 3), ([1, 10, 10], None), ([1, 2, 3, np.inf], 3)],
)  # fmt: skip
def test_a_run_diverges_from_where_its_loss_stays_past_ten_times_its_start_or_overflows(loss, step):
    assert events.diverged_step(np.array(loss, float)) == step


def test_a_divergence_says_how_the_loss_left():
    loss = np.array([1.0, 20.0, np.inf])
    passed, overflowed = events.diverged_event(loss, 1), events.diverged_event(loss, 2)
    assert passed == Event("diverged", 1, "diverged · step 1", "Step 1: diverged; the loss passed 10 times its start "
                           "and never came back: each update overshot further than the last.", 0,
                           "The loss explodes: each step overshoots further than the last.")  # fmt: skip
    assert overflowed.detail.startswith("Step 2: diverged; the loss overflowed and never came back")


# -- settled and converged ------------------------------------------------------------------------------------------


def test_a_loss_settles_where_its_running_median_enters_the_band_about_its_final_value():
    assert events.settled_loss_step(np.array([10, 5, 2, 1, 1, 1, 1, 1, 1, 1.0])) == 3
    assert events.settled_loss_step(np.linspace(10, 1, 10)) is None  # still falling in its last tenth
    assert events.settled_loss_step(np.array([1.0, 2, 3, 3, 3, 3, 3, 3, 3, 3])) is None  # it rose: nothing settled
    assert events.settled_loss_step(np.array([1.0, 1, 1, 1])) is None  # nothing fell
    assert events.settled_loss_step(np.array([5.0, 1, 1, 1, 1, 1, 1, 1, 1, 1])) == 1
    assert events.settled_loss_step(np.array([1.0, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5])) == 5
    # a band of 1% of the fall (100: the band is 1): 2.5 is out of it, 2 is at its edge, in
    assert events.settled_loss_step(np.array([101, 2.5, 2.5, 2.5, 2, 1, 1, 1, 1, 1, 1, 1])) == 4
    # the last tenth may still fall by up to 1% of the whole fall (1 of 100): 1 is inside, 1.5 is not
    assert events.settled_loss_step(np.array([101, 1, 1, 1, 1, 1, 1, 1, 2, 1.0])) == 1
    assert events.settled_loss_step(np.array([101, 1, 1, 1, 1, 1, 1, 1, 2.5, 1.0])) is None


def test_a_loss_still_falling_by_a_hundredth_of_its_fall_has_not_settled_however_high_or_low_it_sits():
    # the last tenth falls 0.1, the whole fall is 0.9: still falling (a share of 10 + 9.1 would let it settle)
    assert events.settled_loss_step(np.concatenate([np.linspace(10, 9.2, 16), [9.2, 9.2, 9.1, 9.1]])) is None
    # a fall of 0.395 and 0.005 in the last tenth: still falling (a fall taken as at least 1 would let it settle)
    assert events.settled_loss_step(np.concatenate([np.linspace(0.5, 0.11, 16), [0.11, 0.11, 0.105, 0.105]])) is None


def test_the_band_about_the_final_loss_is_a_hundredth_of_the_fall_or_three_deviations_of_the_tail():
    # a fall of 1 (10 to 9): the band is 0.01, so a running median of 9.05 at step 3 is still outside it
    assert events.settled_loss_step(np.array([10, 9.5, 9.15, 9.05] + [9] * 16)) == 4
    # ten steps: the tail is the last two losses (a tenth would be one), 1 and 1, no spread: 1.3 is outside
    assert events.settled_loss_step(np.array([10, 5, 1.3, 1.3, 1, 1, 1, 1.3, 1, 1])) == 4
    # 101 steps: the tail is the last ten, their deviation 0.18, so the band is 0.54 and the noise is inside it
    noisy = np.concatenate([np.linspace(10, 1, 11), np.ones(80), [1.2, 0.8] * 4, [1, 1]])
    assert events.settled_loss_step(noisy) == 10
    # noise three times wider than the whole fall: every step is inside the band, settled from the start
    assert events.settled_loss_step(np.array([1.0] + [0.7, 1.1] * 9 + [0.7])) == 0


def test_the_running_median_spans_a_hundredth_of_the_run_between_3_and_25_steps():
    assert events.running_median(np.array([5.0, 1.0])).tolist() == [5.0, 1.0]  # shorter than its window
    assert events.running_median(np.array([3.0, 9, 1, 4, 4])).tolist() == [3.0, 3, 4, 4, 4]  # edges padded
    assert events.running_median(np.array([3.0, 9, 1])).tolist() == [3.0, 3, 1]  # as long as its window
    spike = np.zeros(1000)
    spike[500:505] = 1  # five steps up: not the median of a window of 11 (a thousand steps) ...
    assert not events.running_median(spike).any()
    spike[505] = 1  # ... six are, wherever the window holds all six
    assert events.running_median(spike)[500:506].all() and events.running_median(spike).sum() == 6
    wide = np.zeros(5000)
    wide[2000:2012] = 1  # 12 of a window of 25 (at most 25, however long the run): not its median
    assert not events.running_median(wide).any()
    wide[2012] = 1
    assert events.running_median(wide)[2000:2013].all() and events.running_median(wide).sum() == 13


def test_how_far_a_drawn_thing_strays_from_each_snapshot_later_on():
    assert events.stray(np.array([[0.0], [2], [1], [1]])).tolist() == [2, 1, 0, 0]
    assert events.stray(np.array([[0.0, 5], [1, 5], [1, 0]])).tolist() == [5, 5, 0]


def test_stillness_is_measured_on_screen_clipped_to_the_panel_and_on_the_landscape():
    grid = np.array([[0.0, 30], [0.5, 40], [0.5, 50]])  # the second point beyond the panel moves unseen
    assert events.still_from(run_of([3, 2, 1], grid), SCALE).tolist() == [5.0, 0.0, 0.0]
    across = np.array([[0.0, 30], [0.0, -30], [0.0, -40]])  # from above the panel to below it: seen to cross it
    assert events.still_from(run_of([3, 2, 1], across), SCALE).tolist() == [200.0, 0.0, 0.0]
    sparse = run_of([3, 2, 1.5, 1], change=np.array([0, 0.2, 0.1, 0.05]), snapshot_steps=np.array([0, 2, 3]))
    assert events.still_from(sparse, SCALE) == pytest.approx([3.5, 0.5, 0.0])  # the moves after each kept step
    blown = run_of([3, 2, 1], change=np.array([0, np.nan, 0]), snapshot_steps=np.array([0, 2]))
    with np.errstate(invalid="ignore"):  # inf - inf at the step that overflowed, which was not kept
        assert events.still_from(blown, SCALE).tolist() == [np.inf, 0.0]
    path = dataclasses.make_dataclass("Path", ["path_u", "path_v"])
    landed = run_of([3, 2, 1], landscape=path(np.array([0.0, 1, 1]), np.array([0.0, 0, 2])))
    assert events.still_from(landed, Scale((-10.0, 10.0), 10.0, (3.0, 4.0))).tolist() == [8.0, 8.0, 0.0]
    wide = run_of([3, 2, 1], landscape=path(np.array([0.0, 2, 2]), np.array([0.0, 0, 1])))
    assert events.still_from(wide, Scale((-10.0, 10.0), 10.0, (3.0, 4.0))).tolist() == [6.0, 4.0, 0.0]  # w: 3 px
    lost = run_of([3, 2, 1], landscape=path(np.array([0.0, 1, np.nan]), np.zeros(3)))
    with np.errstate(invalid="ignore"):  # inf - inf where the path is lost
        assert events.still_from(lost, Scale((-10.0, 10.0), 10.0, (3.0, 4.0)))[:2].tolist() == [np.inf, np.inf]


def creeping(until: int, steps: int = 100, rate: float = 0.01):
    """A run whose loss settles at step 10 and whose line creeps up `rate` a step until `until`."""
    loss = np.concatenate([np.linspace(10, 1, 11), np.ones(steps - 10)])
    creep = np.minimum(np.arange(steps + 1), until) * rate
    return run_of(loss, np.zeros((steps + 1, 4)) + creep[:, None])


def test_a_run_converges_where_the_model_stops_moving_on_screen_after_its_loss_settled():
    # 0.01 a step at 10 px a unit: 0.1 px a step; still (0.75 px at most to come) from 8 steps before it stops
    assert events.converged_step(creeping(until=50), SCALE) == 43
    assert events.converged_step(creeping(until=0), SCALE) == 10  # not before the loss settled
    assert events.converged_step(creeping(until=97), SCALE) == 90  # 90 is the last step that leaves a tenth
    assert events.converged_step(creeping(until=98), SCALE) is None  # only in the last tenth: nothing to show
    assert events.converged_step(run_of(np.linspace(10, 1, 101)), SCALE) is None  # the loss never settles
    sparse = dataclasses.replace(creeping(until=0), snapshot_steps=np.array([0, 30, 60, 100]), change=np.zeros(101))
    assert events.converged_step(sparse, SCALE) == 30  # the first kept step from which it is still
    (event,) = [e for e in events.detect(creeping(until=50), SCALE) if e.kind == "converged"]
    assert event == Event("converged", 43, "converged · step 43", "Step 43: converged; from here the drawn model "
                          "moves less than 0.75 px, and the loss stays near 1.", 0,
                          "The model has stopped moving: loss 1.")  # fmt: skip
    assert events.converged_event(np.array([5, 4, 0.123456, 0.123456, 9]), 2).detail.endswith("stays near 0.1235.")
    last_move = creeping(until=0)
    last_move.grid_pred[20:] += 0.75  # one move of 0.75 px (at 1 px a unit) after the loss settled: still enough
    assert events.converged_step(last_move, Scale((-10.0, 10.0), 1.0)) == 10


# -- what goes wrong ------------------------------------------------------------------------------------------------


def swings(signs, size=1.0, points=4):
    """A curve whose every point moves by `size` (data units) times each sign in turn."""
    moves = np.concatenate([[0.0], np.asarray(signs, float) * size])
    return np.cumsum(moves)[:, None] * np.ones(points)


def test_a_swing_is_a_visible_move_pointing_back_against_the_one_before():
    flags = events.reversing(run_of(np.ones(6), swings([1, -1, -1, 1, 0.04])), SCALE)
    assert flags.tolist() == [False, False, True, False, True, False]  # 0.04 units is 0.4 px: too small to see
    seen = events.reversing(run_of(np.ones(4), swings([1, -1, 0.05])), SCALE)
    assert seen.tolist() == [False, False, True, True]  # 0.5 px is seen
    sideways = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])  # at right angles: no swing back
    assert not events.reversing(run_of(np.ones(4), sideways), SCALE).any()
    obtuse = np.array([[0.0, 0], [1, 0], [0.4, 1]])  # 121 degrees apart
    assert events.reversing(run_of(np.ones(3), obtuse), SCALE).tolist() == [False, False, True]
    acute = np.array([[0.0, 0], [1, 0], [0.5, 1]])  # 117 degrees apart
    assert not events.reversing(run_of(np.ones(3), acute), SCALE).any()
    clipped = np.array([[0.0, 0], [20, 0], [0, 0]])  # beyond the panel, only the part seen moves
    assert events.reversing(run_of(np.ones(3), clipped), SCALE).tolist() == [False, False, True]
    assert not events.reversing(run_of(np.ones(2), swings([1])), SCALE).any()
    sparse = run_of(np.ones(4), swings([1, -1, 1]), snapshot_steps=np.arange(4))
    assert not events.reversing(sparse, SCALE).any()  # a long run's curve is not followed move by move
    broken = swings([1, -1, 1])
    broken[3, 0] = np.nan
    assert events.reversing(run_of(np.ones(4), broken), SCALE).tolist() == [False, False, True, True]


def test_a_swing_is_judged_as_drawn_on_the_panel_at_its_edge_and_against_a_move_seen_before_it():
    above, below = swings([1, -1], points=1) + 20, swings([1, -1], points=1) - 20  # wholly off the panel
    assert not events.reversing(run_of(np.ones(3), above), SCALE).any()
    assert not events.reversing(run_of(np.ones(3), below), SCALE).any()
    small = swings([1, -1], size=0.06, points=1)  # 0.6 px back and forth: seen, and reversed
    assert events.reversing(run_of(np.ones(3), small), SCALE).tolist() == [False, False, True]
    edge = np.array([[0.0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 2]])  # moves 120 degrees apart: cosine -1/2, exactly
    assert not events.reversing(run_of(np.ones(3), edge), SCALE).any()
    unseen = swings([1, 0.01, -1])  # back against a move of 0.1 px, too small to see: not a swing
    assert not events.reversing(run_of(np.ones(4), unseen), SCALE).any()


def test_three_swings_in_a_row_are_an_oscillation_from_the_first_of_them():
    run = run_of(np.ones(9), swings([1, 1, -1, 1, -1, 1, 1, -1]))
    (event,) = events.oscillating_events(run, SCALE)
    assert event == Event("oscillating", 3, "oscillating · step 3", "Step 3: oscillating; from here the model swings "
                          "back and forth (5 of its 8 moves reverse the one before): each step overshoots the lowest "
                          "loss.", 0, "Each step overshoots: the model swings past the best fit.")  # fmt: skip
    assert not events.oscillating_events(run_of(np.ones(6), swings([1, -1, 1, 1, -1])), SCALE)  # two in a row
    minibatch = dataclasses.replace(run, meta={"run": {"batch_size": 4}})
    assert not events.oscillating_events(minibatch, SCALE)
    student = dataclasses.replace(run, meta={})  # a student's run: no settings, so no minibatches
    assert [e.step for e in events.oscillating_events(student, SCALE)] == [3]


def test_a_spike_is_a_stretch_well_above_the_lowest_loss_so_far_told_at_its_first_step():
    loss = np.array([10.0, 5, 4, 8, 9, 3, 6, 2, 2])
    first, second = events.spike_events(loss)
    assert first == Event("spike", 3, "spike · step 3", "Step 3: spike; the loss jumps from its lowest so far, 4, and "
                          "peaks at 9 at step 4, 2.2 times as high.", 0,
                          "The loss jumps to 2.2 times its lowest.")  # fmt: skip
    assert (second.step, second.detail) == (6, "Step 6: spike; the loss jumps from its lowest so far, 3, and peaks "
                                               "at 6, 2.0 times as high.")  # fmt: skip
    assert second.said == "The loss jumps to 2 times its lowest."
    (last,) = events.spike_events(np.array([4.0, 1, 3, 3]))  # up to the end
    assert last.detail == "Step 2: spike; the loss jumps from its lowest so far, 1, and peaks at 3, 3.0 times as high."
    assert not events.spike_events(np.array([4.0, 1, 1.99, 1]))  # not twice the lowest
    assert not events.spike_events(np.array([100.0, 1, 2, 1]))  # twice, but 1% of the fall: jitter
    assert len(events.spike_events(np.array([100.0, 1, 6, 1]))) == 1  # 5% of the fall
    assert len(events.spike_events(np.array([10.0, 1, 2, 1]))) == 1  # exactly twice: a spike
    assert [e.step for e in events.spike_events(np.array([21.0, 1, 2, 1]))] == [2]  # 5% of a fall of 20, exactly
    assert [e.step for e in events.spike_events(np.array([1.0, 2.5, 0.5, 0.2]))] == [1]  # at the first step
    assert [e.step for e in events.spike_events(np.array([0.1, 0.02, 0.01, 0.04, 0.01]))] == [3]  # a small loss


def test_the_best_line_is_least_squares_and_only_a_weight_and_a_bias_make_a_linear_net():
    assert events.least_squares_loss(np.array([-1.0, 0, 1]), np.array([1.0, 0, 1])) == pytest.approx(2 / 9)
    assert events.least_squares_loss(np.arange(5.0), 2 * np.arange(5.0) + 1) == pytest.approx(0, abs=1e-20)
    assert events.is_linear_net(run_of([1, 1], params=np.zeros((2, 2))))
    assert not events.is_linear_net(run_of([1, 1], params=np.zeros((2, 3))))
    assert not events.is_linear_net(run_of([1, 1], params=np.zeros(2)))
    units = Units(np.ones((2, 1)), np.ones((2, 1)), np.ones((2, 1)), np.ones(2))
    assert not events.is_linear_net(run_of([1, 1], params=np.zeros((2, 2)), units=units))


def test_a_poor_fit_is_told_against_the_best_line_or_the_noise_and_says_which():
    x = np.array([-1.0, 0, 1])
    line = {"x": x, "y": x**2, "params": np.zeros((20, 2))}  # the best line's loss: 2/9
    settled = np.array([1.0] * 10 + [0.5] * 8 + [0.34, 0.3])  # its last tenth's median: 0.32, 1.44 times 2/9
    assert not events.poor_fit_events(run_of(settled, **line), 7)
    worse = np.array([1.0] * 18 + [0.34, 0.35])  # 0.345: 1.55 times
    (event,) = events.poor_fit_events(run_of(worse, **line), 7)
    assert event == Event("poor fit", 7, "poor fit · 1.6× the best line", "Step 7: a poor fit; the loss, 0.345, is "
                          "1.6 times the lowest a straight line reaches on these points (0.2222).", 0,
                          "A poor fit: 1.6 times the best line's loss (0.22).")  # fmt: skip
    noisy = dict(line, meta={"run": {"noise_floor": 0.07}})  # 0.32 is 4.6 times the noise, under 1.5 the line
    (event,) = events.poor_fit_events(run_of(settled, **noisy), 7)
    assert event.text == "a line cannot bend · 4.6× the noise"
    assert event.said == "A line cannot bend: 4.6 times the noise (0.07)."
    assert event.detail == ("Step 7: a poor fit; the loss, 0.32, is 4.6 times the variance of the noise the data were "
                            "drawn with (0.07), the lowest a model could expect to reach.")  # fmt: skip
    net = {"x": x, "y": x**2, "meta": {"run": {"noise_floor": 0.1}}}  # a hidden layer: no best line
    (event,) = events.poor_fit_events(run_of(settled, **net), 7)
    assert event.said == "A poor fit: 3.2 times the data's noise (0.1)." and event.text == "poor fit · 3.2× the noise"
    near = {"x": x, "y": x**2, "meta": {"run": {"noise_floor": 0.32 / 3}}}
    assert not events.poor_fit_events(run_of(settled, **near), 7)  # exactly 3 times: not above it
    exact = {"x": x, "y": 2 * x, "params": np.zeros((20, 2))}  # a line fits exactly: judged against its data's spread
    assert not events.poor_fit_events(run_of(np.full(20, 1e-10), **exact), 7)
    assert not events.poor_fit_events(run_of(np.full(20, 1e-9), **exact), 7)  # 1e-9 of the variance, 2.7e-9, and half
    flat = {"x": x, "y": np.full(3, 3.0), "params": np.zeros((20, 2))}  # no spread at all: any loss left is poor
    assert events.poor_fit_events(run_of(np.full(20, 0.5), **flat), 7)[0].kind == "poor fit"
    square = {"x": np.array([0.0, 0, 1, 1]), "y": np.array([0.0, 1, 0, 1]), "params": np.zeros((20, 2))}  # best: 0.25
    assert not events.poor_fit_events(run_of(np.full(20, 0.375), **square), 7)  # 1.5 times: not above it
    assert events.poor_fit_events(run_of(np.full(20, 0.376), **square), 7)
    unsaid = dict(square, meta={})  # a student's run: no settings, no noise floor
    assert events.poor_fit_events(run_of(np.full(20, 0.5), **unsaid), 7)[0].text == "poor fit · 2× the best line"
    short = np.array([1.0] * 8 + [0.32, 0.34])  # ten steps: the last one is the tail (0.34, 1.53 times 2/9)
    assert events.poor_fit_events(run_of(short, **dict(line, params=np.zeros((10, 2)))), 7)
    assert events.poor_fit_events(run_of(np.full(20, 1e-8), **exact), 7)[0].text.endswith("the best line")


def units_of(b_rows) -> Units:
    """ReLU units with input weight 1: unit i is dead once its bias is -5 (off for every x in [-1, 1])."""
    b = np.array(b_rows, float)
    return Units(np.ones_like(b), b, np.ones_like(b), np.zeros(len(b)))


def test_dead_units_are_told_from_when_the_last_of_them_died_with_what_the_rest_can_do():
    x = np.linspace(-1, 1, 20)
    live, dead = 0.5, -5.0

    def told(rows, kept=None):
        run = run_of(np.ones(len(rows)), x=x, units=units_of(rows), snapshot_steps=kept)
        return events.dead_unit_events(run)

    assert told([[live, live], [live, live]]) == []
    (event,) = told([[live] * 5, [dead, live, live, live, live], [dead, live, live, live, live]])
    assert event == Event("dead units", 1, "1 dead unit · step 1", "Step 1: 1 of 5 hidden unit dead; from here it "
                          "outputs zero for every input, so no gradient reaches it and it stops learning.", 0,
                          "1 of 5 units died: zero for every input.")  # fmt: skip
    (event,) = told([[live] * 5, [dead, dead, live, live, live], [dead, dead, dead, live, live]])
    assert event.text == "3 dead units · step 2" and event.said == "3 of 5 units died: it can bend only 2 times."
    assert event.detail.endswith("they stop learning. The 2 left can bend the curve at most 2 times.")
    (event,) = told([[live] * 5, [dead, dead, live, live, live]])
    assert event == Event("dead units", 1, "2 dead units · step 1", "Step 1: 2 of 5 hidden units dead; from here they "
                          "output zero for every input, so no gradient reaches them and they stop learning.", 0,
                          "2 of 5 units died: zero for every input.")  # fmt: skip
    (event,) = told([[dead, live, live, live], [dead, dead, dead, live]], kept=np.array([0, 40]))
    assert event.step == 40 and event.said == "3 of 4 units dead (1 from the start): it can bend only once."
    (event,) = told([[dead, dead], [dead, dead]])
    assert (
        event.text == "all 2 units dead · step 0"
        and event.said == "Every unit is dead from the start: the net is a flat line."
    )
    assert event.detail.endswith("they stop learning. With no unit alive, the net is a constant: a flat line.")
    (event,) = told([[live, live], [dead, dead]])  # both died in training
    assert event.said == "Every unit has died: the net is now a flat line."
    (event,) = told([[dead, live, live, live, live], [dead, live, live, live, live]])
    assert event.said == "1 of 5 units dead from the start."  # never alive: nothing died, nothing stopped
    (event,) = told([[dead, live, live, live, live], [live, live, live, dead, live], [dead, live, live, dead, live]])
    assert event.step == 2  # unit 0 came back to life at step 1: dead since step 2


def test_early_stopping_is_where_the_test_loss_was_lowest_when_it_ends_well_above_it():
    (event,) = events.early_stopping_events(np.array([3.0, 2.0, 2.5, 2.2]))
    assert event == Event("early stopping", 1, "early stopping · step 1", "Step 1: early stopping; the test loss is "
                          "lowest here, 2. Trained on, the model fits the training points' noise, and the test loss "
                          "ends at 2.2, 10% higher.", 0, "The test loss is lowest here: stop now.")  # fmt: skip
    assert not events.early_stopping_events(np.array([3.0, 2.0, 2.5, 2.19]))  # under 10% above
    assert not events.early_stopping_events(np.array([3.0, 2.0, 1.0]))  # lowest at the end
    assert not events.early_stopping_events(np.array([3.0, 2.0, 0.0]))  # lowest at the end, even at zero
    (event,) = events.early_stopping_events(np.array([3.0, 1.0, 2.0]))  # lowest just before the end
    assert event.step == 1 and event.detail.endswith("the test loss ends at 2, 100% higher.")
    assert not events.early_stopping_events(np.array([3.0, 1.0, np.nan]))


# -- a run's events, in order -----------------------------------------------------------------------------------------


def test_a_runs_events_come_in_step_order_kinds_in_their_order_a_divergence_alone():
    x = np.linspace(-1, 1, 20)
    loss = np.array([10.0, 5, 4, 8, 1, 1, 1, 1, 1, 1, 1])
    held = Held(x, x, np.array([3, 2, 2.5, 2.6, 2.7, 2.8, 2.9, 3, 3, 3, 3.0]), np.zeros((11, 20)))
    units = units_of([[0.5, 0.5]] * 3 + [[-5, 0.5]] * 8)
    run = run_of(loss, x=x, units=units, test=held)
    found = events.detect(run, SCALE, index=2)
    assert [(e.kind, e.step) for e in found] == [("early stopping", 1), ("spike", 3), ("dead units", 3),
                                                 ("converged", 4)]  # fmt: skip
    assert {e.run for e in found} == {2} and found[1].said == "The loss jumps to 2 times its lowest."
    blown = run_of(np.array([1.0, 0.5, 20, 40, 80]), x=x, units=units_of([[0.5, 0.5]] * 2 + [[-5, 0.5]] * 3),
                   grid=swings([1, -1, 1, -1]))  # fmt: skip
    assert [(e.kind, e.step) for e in events.detect(blown, SCALE)] == [("diverged", 2), ("dead units", 2)]
    held = Held(x, x, np.array([3, 2, 2.5, 9, 20.0]), np.zeros((5, 20)))  # its test loss rises as it diverges
    with_test = dataclasses.replace(blown, test=held)
    assert [e.kind for e in events.detect(with_test, SCALE)] == ["diverged", "dead units"]  # no overfitting told
    assert events.outcome(dataclasses.replace(blown, events=events.detect(blown, SCALE))) == "diverged"


def test_a_poor_fit_is_told_where_the_model_stopped_moving_not_where_its_loss_settled():
    x = np.array([-1.0, 0, 1])
    run = dataclasses.replace(creeping(until=50), x=x, y=x**2, params=np.zeros((101, 2)))  # loss 1: 4.5 times 2/9
    assert [(e.kind, e.step) for e in events.detect(run, SCALE)] == [("converged", 43), ("poor fit", 43)]


def test_a_scenes_runs_get_their_events_and_the_earliest_divergence_is_the_one_answer():
    first = run_of([1.0, 20, 30, 40])
    second = run_of([1.0, 2, 30, 40])
    runs = events.detect_scene([first, second], "compare")
    assert [[(e.kind, e.step, e.run) for e in run.events] for run in runs] == [[("diverged", 1, 0)],
                                                                               [("diverged", 2, 1)]]  # fmt: skip
    assert events.first(runs, "diverged").step == 1 and events.diverged_at(runs) == 1
    assert events.diverged_at(runs[1:]) == 2 and events.first(runs, "spike") is None
    assert events.diverged_at([run_of([1.0, 0.5])]) is None
    overlaid = events.detect_scene([run_of([10.0, 5, 4, 8, 9, 3, 6, 2, 2]), second], "overlay")  # tells two kinds
    assert [[(e.kind, e.step) for e in run.events] for run in overlaid] == [[], [("diverged", 2)]]  # not the spikes


def test_a_runs_end_in_a_word_is_its_last_say():
    def said(*kinds, batch_size=0):
        told = tuple(Event(kind, step, kind) for step, kind in kinds)
        return events.outcome(run_of([1.0, 0.5], events=told, meta={"run": {"batch_size": batch_size}}))

    assert said((3, "oscillating"), (9, "converged"), (12, "spike")) == "converged"
    assert said((9, "converged"), (3, "oscillating")) == "converged"
    assert said((3, "converged"), (9, "oscillating")) == "oscillating"
    assert said((3, "spike")) == "still moving" and said(batch_size=8) == "noisy"
    assert events.outcome(run_of([1.0, 0.5], meta={})) == "still moving"
