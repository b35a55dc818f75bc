import numpy as np
import pytest
from conftest import SCENES, NullWriter

from tp1viz import draw
from tp1viz.kinds import encode_video
from tp1viz.recorder import record_scene


@pytest.fixture(scope="module")
def animation(small_scene):
    return small_scene.animation(record_scene(small_scene))


def pixel_of(ax, x, y, size):
    """The (row, column) of a data point on the canvas; image rows run top-down."""
    px, py = ax.transData.transform((x, y))
    return int(round(size - py)), int(round(px))


def is_red(rgb):
    return rgb[0] > 170 and rgb[1] < 110 and rgb[2] < 110


def is_blue(rgb):
    return rgb[2] > 150 and rgb[0] < 120


def test_frames_are_one_per_snapshot_plus_the_pauses_and_the_hold(small_scene, animation):
    writer = NullWriter()
    last = encode_video(animation, writer)
    plan = animation.plan
    assert writer.frames == len(plan) and set(plan.shown) == set(range(small_scene.steps + 1))  # every step
    assert len(plan) - plan.frame_of(small_scene.steps) >= 30  # the last one held a second at least
    assert writer.last.shape == (256, 256, 4) and writer.last.dtype == np.uint8
    np.testing.assert_array_equal(last, animation.draw_step(small_scene.steps))  # the poster's frame


def test_frame_shows_the_model_in_red_where_it_predicts(animation):
    traj, k = animation.runs[0], 12
    frame = animation.draw_step(k)[..., :3].copy()
    for column_index in (40, 128, 200):  # a few columns of the dense grid
        x, y = traj.grid_x[column_index], traj.grid_pred[k, column_index]
        row, col = pixel_of(animation.fit.curve.axes, x, y, animation.size)
        assert is_red(frame[row, col]), (x, y, frame[row, col])
        # In this column of the fit panel, red is only where the curve crosses: the line is ~3 px thick.
        box = animation.fit.curve.axes.get_window_extent()
        rows = range(int(animation.size - box.y1), int(animation.size - box.y0))
        red_rows = [r for r in rows if is_red(frame[r, col])]
        assert max(abs(r - row) for r in red_rows) <= 6, (x, red_rows)


def test_frame_shows_the_data_in_blue(animation):
    traj = animation.runs[0]
    frame = animation.draw_step(0)[..., :3].copy()
    ax = animation.fit.curve.axes
    hits = [is_blue(frame[pixel_of(ax, x, y, animation.size)]) for x, y in zip(traj.x, traj.y, strict=True)]
    assert np.mean(hits) > 0.8  # a few points hide under the red curve


def test_the_curve_moves_with_the_step(animation):
    first = animation.draw_step(0).copy()
    last = animation.draw_step(animation.steps).copy()
    again = animation.draw_step(0).copy()
    assert not np.array_equal(first, last)
    np.testing.assert_array_equal(first, again)  # blitting leaves no trace of earlier frames


def test_loss_axis_is_logarithmic_only_when_the_loss_spans_decades():
    assert draw.loss_axis(np.array([50.0, 10.0, 4.0]))[0] == "linear"
    scale, (low, high) = draw.loss_axis(np.array([0.2, 0.01, 0.003]))
    assert scale == "log" and low < 0.003 and high > 0.2
    scale, (low, high) = draw.loss_axis(np.array([5.0, 1e30, np.inf, np.nan]))
    assert np.isfinite(low) and np.isfinite(high)


def test_fit_limits_hold_the_data_and_ignore_non_finite_predictions():
    (traj,) = record_scene(SCENES["linear_sgd"].with_overrides(steps=3))
    low, high = draw.fit_ylim(traj)
    assert low < traj.y.min() and high > traj.y.max()
    wild = traj.grid_pred.copy()
    wild[-1] = np.inf
    wild[-2] = 1e20
    crazy = type(traj)(**{**traj.__dict__, "grid_pred": wild})
    low2, high2 = draw.fit_ylim(crazy)
    span = traj.y.max() - traj.y.min()
    assert np.isfinite(high2) and traj.y.max() < high2 <= traj.y.max() + 1.2 * span  # follows the 1e20 a little
    assert low2 >= low - 0.3 * span  # nothing below the data is wild: the lower limit barely moves


def test_status_line_is_short_and_fixed_width():
    assert draw.format_status(7, 200, 3.14159) == "step   7/200  loss 3.142"
    assert draw.format_status(200, 200, float("inf")).endswith("loss overflow")


def test_still_is_exactly_the_requested_size():
    x = np.linspace(-1, 1, 30)
    for size in (64, 300, 512, 1000):
        assert draw.data_still(x, x**2, "t", size).shape == (size, size, 4)


def test_status_line_pastes_what_matplotlib_would_draw():
    from matplotlib.font_manager import FontProperties

    fig, canvas = draw.new_canvas(512)
    status = draw.StatusLine(fig, canvas, draw.LEFT, draw.STATUS_Y, fontsize=10)
    canvas.draw()
    pasted = np.asarray(canvas.buffer_rgba()).copy()
    text = draw.format_status(57, 200, 3.4931)
    status.draw(pasted, text)
    # The same line drawn by matplotlib itself, as one Text.
    font = FontProperties(family=["DejaVu Sans Mono"], size=10)
    fig.text(draw.LEFT, draw.STATUS_Y, text, fontproperties=font, va="center")
    canvas.draw()
    drawn = np.asarray(canvas.buffer_rgba())
    rows = slice(int(512 * (1 - draw.STATUS_Y)) - 12, int(512 * (1 - draw.STATUS_Y)) + 12)
    ink = drawn[rows, :, :3] < 128
    assert ink.sum() > 200  # there is text there
    difference = np.abs(pasted[rows, :, :3].astype(int) - drawn[rows, :, :3].astype(int))
    assert difference.mean() < 2.0 and np.mean(difference > 64) < 0.01


def test_a_dollar_in_a_title_or_note_is_a_dollar_not_math():
    scene = SCENES["linear_sgd"].with_overrides(steps=3, size=256)
    runs = record_scene(scene)

    def title_ink(title: str) -> int:
        """How many columns of the title's row hold ink."""
        frame = draw.FitAnimation(runs, 256, title).draw_step(0)[:12, :, :3]
        return int((frame.min(axis=-1) < 128).any(axis=0).sum())

    assert title_ink("$x$") > title_ink("x") + 6  # both dollars drawn, not an italic x
    frame = draw.FitAnimation(runs, 256, r"$\frac{a}{$", notes=[(0, 0, "a $x^2$ note", None, "fit")]).draw_step(0)
    assert frame.shape == (256, 256, 4)  # math that would not parse draws as it is written
    still = draw.data_still(runs[0].x, runs[0].y, "costs $5 and $10", 128)
    assert still.shape == (128, 128, 4)


def test_a_path_that_runs_off_to_1e30_px_is_densified_where_frames_draw_it():
    from tp1viz import placing

    xs, ys = np.array([0.0, 10.0, 1e30, -5.0]), np.array([0.0, 0.0, 1e30, 3.0])  # a diverged path, in display px
    points = placing.densify(xs, ys)
    assert len(points) < 50_000  # bounded: only what lies within placing.REACH is filled in
    near = points[np.abs(points).max(axis=1) < 100]
    for start, direction in (((10.0, 0.0), (1, 1)), ((-5.0, 3.0), (1, 1))):  # both segments leave through the panel
        along = np.array(start) + np.outer(np.arange(0, 60, 0.5), direction) / np.sqrt(2)
        gaps = np.min(np.hypot(*(along[:, None, :] - near[None, :, :]).transpose(2, 0, 1)), axis=1)
        assert gaps.max() <= 0.75, start  # no stretch of it left without a point a px apart
