"""The scenes that show how training works, and the marks that make the others readable, checked against numbers
worked out here from the recorded data and parameters, and against the pixels of the frames that show them."""

import numpy as np
import pytest
from conftest import ROOT, SCENES

from tp1viz.draw import TRAIN_EDGE
from tp1viz.lessons import OUTSIDE_COLOR
from tp1viz.trajectory import load_runs

MEDIA = ROOT / "media"


def committed(name: str) -> list:
    return load_runs(MEDIA / "trajectories" / f"{name}.npz")


def animation_of(name: str, **overrides):
    scene = SCENES[name].with_overrides(**overrides) if overrides else SCENES[name]
    return scene.animation(committed(name))


def rgb(color: str) -> np.ndarray:
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(color)) * 255


def near(picture: np.ndarray, color: str, tolerance: float = 40) -> np.ndarray:
    """(h, w) where the picture is within `tolerance` (per channel) of the colour."""
    return (np.abs(picture[..., :3].astype(float) - rgb(color)) <= tolerance).all(axis=-1)


def px(ax, x: float, y: float, size: int) -> tuple[int, int]:
    """The (row, column) pixel of a data point in the frame (display y counts up from the bottom)."""
    column, up = ax.transData.transform((x, y))
    return int(round(size - up)), int(round(column))


# -- one loss scale for the page's two parabola videos --------------------------------------------------------------


def test_the_parabola_videos_share_one_log_loss_axis_with_the_noise_floor_dashed_on_it():
    rows = {}
    for name in ("pow_fn_w_linear_model", "pow_fn_w_non_linear_model"):
        animation = animation_of(name)
        ax = animation.loss.lines[0].axes
        assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((0.001, 2))
        floor = committed(name)[0].meta["run"]["noise_floor"]
        assert floor == pytest.approx(0.2**2 / 12)  # the variance of 0.2 x uniform(0, 1) noise
        picture = animation.draw_step(0).copy()
        row, _ = px(ax, 0, floor, animation.size)
        left, right = (int(v) for v in ax.transData.transform([(0, floor), (animation.steps, floor)])[:, 0])
        dashes = near(picture[row - 1 : row + 2, left + 5 : right - 60], "0.35", 60).any(axis=0)
        assert 0.4 < dashes.mean() < 0.8, dashes.mean()  # a dashed line: drawn, with gaps
        rows[name] = row
    assert rows["pow_fn_w_linear_model"] == rows["pow_fn_w_non_linear_model"]  # the same height in both videos
    line, relu = (committed(name)[0].loss[-1] for name in rows)
    assert 20 < line / relu < 30  # the gap the one scale shows: the line's loss is some 26 times the ReLU net's


def test_the_lines_verdict_stays_on_its_loss_panel_to_the_end():
    animation = animation_of("pow_fn_w_linear_model")
    shown = [overlay for overlay in animation.overlays if not overlay.by_frame and overlay.last is None]
    texts = [artist.get_text() for overlay in shown for artist in overlay.artists if hasattr(artist, "get_text")]
    assert any(text.startswith("a line cannot bend · ") for text in texts), texts


# -- train_vs_test: the band the score counts, and the points either side of it -------------------------------------


def test_train_vs_test_draws_the_band_and_tells_the_test_points_inside_from_outside():
    animation = animation_of("train_vs_test")
    (run,) = committed("train_vs_test")
    band = animation.fit
    for step in (0, 15, run.steps):
        picture = animation.draw_step(step).copy()
        w, b = run.params[run.row(step)].astype(np.float64)
        inside = np.abs(w * run.test.x + b - run.test.y) <= 2.0  # the tolerance, from the parameters alone
        drawn_inside = {tuple(point) for point in np.asarray(band.inside.get_offsets())}
        assert drawn_inside == {(x, y) for x, y, hit in zip(run.test.x, run.test.y, inside, strict=True) if hit}
        assert len(band.outside.get_offsets()) == (~inside).sum()
        ax = band.curve.axes
        for x, y, hit in zip(run.test.x, run.test.y, inside, strict=True):
            row, column = px(ax, x, y, animation.size)
            ring = picture[row - 6 : row + 7, column - 6 : column + 7]
            assert near(ring, "tab:green" if hit else OUTSIDE_COLOR).any(), (step, x, y, hit)
        pale = 255 - 0.13 * (255 - rgb("tab:green"))  # the band: the test's green at 13% over white
        low, high = ax.get_ylim()
        for offset, inside_band in ((1.8, True), (-1.8, True), (2.3, False), (-2.3, False)):  # off the line itself
            tinted = []
            for x in np.linspace(*ax.get_xlim(), 61)[1:-1]:
                if low < w * x + b + offset < high:
                    row, column = px(ax, x, w * x + b + offset, animation.size)
                    color = picture[row, column, :3].astype(float)
                    tinted.append(np.abs(color - pale).max() <= 8 and color[1] > color[0] + 8)  # not a grey gridline
            # inside, some samples land on a data point or a gridline; outside, none is the band's green
            assert np.mean(tinted) > 0.5 if inside_band else np.mean(tinted) < 0.05, (step, offset, tinted)
    score = 100 * run.test.within(2.0)[-1]
    assert score == pytest.approx(100 * inside.mean())


def test_held_out_loss_panels_name_their_two_lines_where_no_curve_passes():
    for name in ("train_vs_test", "overfitting"):
        animation = animation_of(name)
        (legend,) = animation.loss.kept_on_top
        assert [text.get_text() for text in legend.get_texts()] == ["training loss", "test loss"]
        ax = legend.axes
        box = legend.get_window_extent(animation.canvas.get_renderer())
        for loss in animation.loss.losses:
            steps = np.linspace(0, animation.steps, 20 * animation.steps + 1)  # the line between steps too
            line = np.interp(steps, animation.loss.steps, np.clip(loss, *ax.get_ylim()))
            x, y = ax.transData.transform(np.column_stack([steps, line])).T
            assert not ((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)).any(), name


def test_overfittings_training_points_are_its_boldest_marks():
    animation = animation_of("overfitting")
    (run,) = committed("overfitting")
    picture = animation.draw_step(run.steps).copy()
    ax = animation.fit.curve.axes
    assert animation.fit.points.get_sizes()[0] > animation.fit.test_points.get_sizes()[0]
    ringed = 0
    for x, y in zip(run.x, run.y, strict=True):
        row, column = px(ax, x, y, animation.size)
        ringed += near(picture[row - 5 : row + 6, column - 5 : column + 6], TRAIN_EDGE, 30).sum() >= 6
    assert ringed >= 0.8 * len(run.x)  # a dark ring round each (a few lie under the red curve)
