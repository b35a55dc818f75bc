"""The scenes that show how training works, and the marks that make the others readable, checked against numbers
worked out here from the recorded data and parameters, and against the pixels of the frames that show them."""

import numpy as np
import pytest
from conftest import ROOT, SCENES

from tp1viz.draw import TRAIN_EDGE, Moment
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


# -- mse_residuals: the MSE on screen is the mean of the squares of that frame's errors -------------------------------


def number_after(text: str, marker: str) -> float:
    return float(text.split(marker, 1)[1].split()[0].rstrip(","))


def drawn_line(run, moment) -> tuple[float, float]:
    """(w, b) of the line a frame draws, from the recorded parameters alone (a glide blends them)."""
    a, b = (run.params[run.row(step)].astype(np.float64) for step in (moment.start, moment.end))
    return tuple(b if moment.t >= 1 else (1 - moment.t) * a + moment.t * b)


@pytest.mark.parametrize("max_seconds", [None, 12])  # the course's plan (every step exact), and one with glides
def test_the_mse_on_screen_is_the_mean_of_that_frames_squared_errors(max_seconds):
    animation = animation_of("mse_residuals", **({"max_seconds": max_seconds} if max_seconds else {}))
    (run,) = committed("mse_residuals")
    x, y = run.x.astype(np.float64), run.y.astype(np.float64)
    gliding = np.flatnonzero(animation.plan.t < 1)
    assert gliding.size or not max_seconds
    frames = [0, 1, 5, len(animation.plan) - 1, *(int(frame) for frame in gliding[:: max(1, len(gliding) // 4)])]
    squares_ax = animation.squares.mean.axes
    for frame in frames:
        moment = animation.moment(frame)
        picture = animation.draw(moment, frame).copy()
        w, b = drawn_line(run, moment)
        squares = (w * x + b - y) ** 2
        (said,) = animation.readout_lines(moment)
        assert said.startswith("MSE = mean of the 100 squared errors = ")
        assert number_after(said, " = mean of the 100 squared errors = ") == pytest.approx(squares.mean(), rel=6e-4)
        if moment.t >= 1:  # an exact frame: the loss the status line and the loss panel say, too
            assert squares.mean() == pytest.approx(float(run.loss[moment.step]), rel=1e-4)
        row, _ = px(squares_ax, 0, min(squares.mean(), squares_ax.get_ylim()[1]), animation.size)
        left, right = (int(v) for v in squares_ax.transData.transform([(x.min(), 0), (x.max(), 0)])[:, 0])
        assert near(picture[row - 1 : row + 2, left:right], "black", 60).any(axis=0).mean() > 0.4  # the dashed mean
        biggest = int(np.argmax(np.where(squares < squares_ax.get_ylim()[1], squares, 0)))
        top, column = px(squares_ax, x[biggest], squares[biggest], animation.size)
        assert near(picture[top + 2 : top + 5, column - 1 : column + 2], "tab:purple", 50).any()  # its stem
        fit_ax = animation.fit.curve.axes
        worst = int(np.argmax(np.abs(w * x + b - y)))
        (r0, c0), (r1, _) = px(fit_ax, x[worst], y[worst], animation.size), px(fit_ax, x[worst], w * x[worst] + b,
                                                                                animation.size)  # fmt: skip
        between = picture[min(r0, r1) + 4 : max(r0, r1) - 4, c0 - 1 : c0 + 2]
        assert near(between, "0.45", 40).any(axis=1).mean() > 0.8, frame  # its grey gap, point to line


def test_a_squared_error_taller_than_its_panel_is_marked_by_an_arrow_and_the_mean_stays_in_range():
    animation = animation_of("mse_residuals")
    (run,) = committed("mse_residuals")
    x, y = run.x.astype(np.float64), run.y.astype(np.float64)
    ax = animation.squares.mean.axes
    low, top = ax.get_ylim()
    marked = 0
    for step in range(0, 12):
        picture = animation.draw_step(step).copy()
        w, b = run.params[step].astype(np.float64)
        squares = (w * x + b - y) ** 2
        assert squares.mean() <= top  # the mean, in range: the dashed line is where it is
        edge, _ = px(ax, 0, top, animation.size)
        for point in np.flatnonzero(squares > top):
            _, column = px(ax, x[point], top, animation.size)
            # an arrow over the top edge (the stem itself stops under it)
            assert near(picture[edge - 6 : edge - 1, column - 1 : column + 2], "tab:purple", 60).any(), (step, point)
            marked += 1
        apart = 4 * (x.max() - x.min()) / 420  # about 4 px: an arrow's half width
        loose = [point for point in np.flatnonzero(squares < 0.8 * top)  # no arrow where no stem was cut
                 if np.abs(x - x[point])[squares > top].min(initial=np.inf) > apart]  # fmt: skip
        for point in loose:
            _, column = px(ax, x[point], top, animation.size)
            assert not near(picture[edge - 6 : edge - 1, column : column + 1], "tab:purple", 60).any(), (step, point)
    assert marked >= 30  # step 0 cuts 34 stems


# -- gradient_step: the arrow is the gradient, the step is lr times it ----------------------------------------------


def test_the_gradient_arrow_is_the_analytic_gradient_and_the_step_lands_on_the_next_point():
    animation = animation_of("gradient_step")
    (run,) = committed("gradient_step")
    panel = animation.landscape
    lr = run.meta["run"]["lr"]
    x, y = run.x.astype(np.float64), run.y.astype(np.float64)
    for step in (0, 1, 2, 3, 10, 50, run.steps - 1):
        picture = animation.draw_step(step).copy()  # draws the step exactly, whichever frames show it
        w, b = run.params[step].astype(np.float64)
        gradient = np.array([2 * np.mean((w * x + b - y) * x), 2 * np.mean(w * x + b - y)])  # by hand
        torch_step = (run.params[step + 1] - run.params[step]).astype(np.float64)  # what autograd and SGD did
        np.testing.assert_allclose(-lr * gradient, torch_step, rtol=2e-3, atol=2e-6)
        here, downhill, stepped = panel.arrows
        np.testing.assert_allclose(downhill - here, -panel.scale * gradient, rtol=1e-9)
        np.testing.assert_allclose(stepped - here, -lr * gradient, rtol=1e-9)
        said = animation.readout_lines(Moment(step, step))
        assert number_after(said[0], "dL/dw = ") == pytest.approx(gradient[0], rel=1e-3, abs=1e-7)
        assert number_after(said[0], "dL/db = ") == pytest.approx(gradient[1], rel=1e-3, abs=1e-7)
        for line, value, change in ((said[1], w, gradient[0]), (said[2], b, gradient[1])):  # w <- w - lr dL/dw = ...
            assert float(line.rsplit("= ", 1)[1]) == pytest.approx(value - lr * change, rel=1e-3, abs=1e-6)
        if step <= 3:  # early, the step is long enough to see: red pixels along it, up to the next point
            ax = panel.path.axes
            middle = here + 0.6 * (stepped - here)
            row, column = px(ax, *middle, animation.size)
            assert near(picture[row - 2 : row + 3, column - 2 : column + 3], "tab:red", 60).any(), step
    assert panel.scale in (0.01, 0.02, 0.05, 0.1) and f"gradient × {panel.scale:g}" in " ".join(
        text.get_text() for text in panel.kept_on_top[0].get_texts())  # fmt: skip


def test_minus_the_gradient_is_drawn_white_as_the_note_says():
    animation = animation_of("gradient_step")
    panel = animation.landscape
    ax = panel.path.axes
    for step in (0, 1, 2):
        picture = animation.draw_step(step).copy()
        here, downhill, stepped = panel.arrows
        assert np.hypot(*(stepped - here)) < 0.55 * np.hypot(*(downhill - here))  # the red step ends before 0.6
        shaft = [px(ax, *(here + share * (downhill - here)), animation.size) for share in np.linspace(0.6, 0.85, 12)]
        white = [near(picture[row - 1 : row + 2, column - 1 : column + 2], "white", 30).any() for row, column in shaft]
        assert all(white), (step, white)  # its middle is white, not an outline's black


@pytest.mark.parametrize("name, lr", [("gradient_step", 0.06), ("gradient_step", 0.07), ("least_squares", 0.06),
                                      ("mse_residuals", 0.06)])  # fmt: skip
def test_every_readout_line_fits_its_frame_at_other_learning_rates(name, lr):
    from tp1viz.recorder import record_scene

    scene = SCENES[name].with_overrides(lr=lr)
    animation = scene.animation(record_scene(scene))
    for frame in range(len(animation.plan)):
        for line, readout in zip(animation.readout_lines(animation.moment(frame)), animation.readouts, strict=True):
            right = readout.column + len(line) * readout.advance + readout.PAD
            assert right <= animation.size - 4, (name, lr, line)


# -- least_squares: a linear net trained with MSE ends on the closed-form line ----------------------------------------


def test_the_trained_line_ends_within_a_thousandth_of_the_closed_form_least_squares_line():
    (run,) = committed("least_squares")
    x, y = run.x.astype(np.float64), run.y.astype(np.float64)
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)  # the normal equations
    intercept = y.mean() - slope * x.mean()
    w, b = run.params[-1].astype(np.float64)
    assert abs(w - slope) < 1e-3 and abs(b - intercept) < 1e-3
    animation = animation_of("least_squares")
    assert animation.best == pytest.approx((slope, intercept), abs=1e-9)
    trained, best = animation.readout_lines(animation.moment(len(animation.plan) - 1))
    assert number_after(trained, "w = ") == pytest.approx(w, abs=1e-4)
    assert number_after(best, "w = ") == pytest.approx(slope, abs=1e-4)
    assert number_after(best, "b = ") == pytest.approx(intercept, abs=1e-4)
    assert float(best.rsplit("gap ", 1)[1]) < 1e-3
    picture = animation.draw_step(run.steps).copy()
    ax = animation.fit.curve.axes
    dashes = []
    for xi in np.linspace(x.min(), x.max(), 40):
        row, column = px(ax, xi, slope * xi + intercept, animation.size)
        dashes.append(near(picture[row - 1 : row + 2, column - 1 : column + 2], "black", 70).any())
    assert 0.3 < np.mean(dashes) < 0.95  # black dashes over the red line, where the two coincide


# -- many_solutions: each start's final loss named, the failed ones as failed ----------------------------------------


def test_many_solutions_names_each_starts_final_loss_and_its_failures():
    from tp1viz.words import sig

    runs = committed("many_solutions")
    animation = animation_of("many_solutions")
    floor = runs[0].meta["run"]["noise_floor"]
    assert all(np.array_equal(run.x, runs[0].x) and np.array_equal(run.y, runs[0].y) for run in runs)  # one data set
    failed = [run.loss[-1] > 3 * floor for run in runs]  # the poor-fit rule, worked out here
    assert failed == [False, False, True, False, False]  # seed 3 gets stuck; the others reach the noise floor
    (final,) = animation.overlays[-1].artists
    said = [text.get_text() for text in final.get_texts()]
    expected = [f"seed {k}: {'failed, ' if bad else ''}{sig(run.loss[-1], 2)}"
                for k, (run, bad) in enumerate(zip(runs, failed, strict=True), start=1)]  # fmt: skip
    assert said == expected
    last = len(animation.plan) - 1
    assert animation.overlays[-1].shows(animation.steps, last) and not animation.overlays[-1].shows(0, 0)
    picture = animation.draw(animation.moment(last), last).copy()
    box = final.get_window_extent(animation.canvas.get_renderer())
    inside = picture[int(animation.size - box.y1) + 3 : int(animation.size - box.y0) - 3,
                     int(box.x0) + 3 : int(box.x1) - 3]  # fmt: skip
    assert near(inside, "tab:purple", 40).any() and (inside[..., :3] < 80).all(axis=-1).sum() > 200  # its text
    for run, dots, line in zip(runs, animation.fit.bends, animation.fit.curves, strict=True):
        w, b = run.units.w[-1].astype(float), run.units.b[-1].astype(float)
        live = (np.maximum(np.outer(run.x.astype(float), w) + b, 0) > 0).any(axis=0)
        at = -b[live] / w[live]
        low, high = animation.fit.curve.axes.get_xlim()
        np.testing.assert_allclose(np.sort(dots.get_xdata()), np.sort(at[(at > low) & (at < high)]), rtol=1e-9)
        assert (line.get_linestyle() == "--") == (run.loss[-1] > 3 * floor)  # a failed start's curve is dashed


# -- gd_vs_sgd: a smooth path against a zigzag, the batch that made each step, both losses in sight ------------------


def test_sgd_takes_more_than_twenty_steps_to_approach_and_never_converges():
    gd, sgd = committed("gd_vs_sgd")
    assert (gd.meta["run"]["batch_size"], sgd.meta["run"]["batch_size"]) == (0, 10)
    assert not any(event.kind == "converged" and event.step < 20 for run in (gd, sgd) for event in run.events)
    x, y = gd.x.astype(np.float64), gd.y.astype(np.float64)
    best_b = y.mean() - np.polyfit(x, y, 1)[0] * x.mean()
    for run in (gd, sgd):  # at step 20 the bias has not come half its way to the least-squares line's: the approach
        assert abs(run.params[20, 1] - best_b) > 0.5 * abs(run.params[0, 1] - best_b)  # is still on
    for run in (gd, sgd):  # one landscape spans both paths
        assert gd.landscape.u[0] <= run.params[:, 0].min() and run.params[:, 0].max() <= gd.landscape.u[-1]
        assert gd.landscape.v[0] <= run.params[:, 1].min() and run.params[:, 1].max() <= gd.landscape.v[-1]
        np.testing.assert_array_equal(run.landscape.loss, gd.landscape.loss)


def test_each_sgd_step_is_the_gradient_of_its_recorded_batch_and_the_batch_is_ringed():
    gd, sgd = committed("gd_vs_sgd")
    lr, x, y = sgd.meta["run"]["lr"], sgd.x.astype(np.float64), sgd.y.astype(np.float64)
    assert sgd.batches.shape == (sgd.steps, 10) and gd.batches is None
    assert all(len(set(row)) == 10 for row in sgd.batches)
    for epoch in range(3):  # each epoch's ten batches take every point once
        assert sorted(sgd.batches[10 * epoch : 10 * epoch + 10].ravel()) == list(range(100))
    for step in range(1, sgd.steps + 1):  # the batch recorded is the batch the update trained on
        w, b = sgd.params[step - 1].astype(np.float64)
        index = sgd.batches[step - 1]
        error = w * x[index] + b - y[index]
        expected = np.array([w, b]) - lr * np.array([2 * np.mean(error * x[index]), 2 * np.mean(error)])
        np.testing.assert_allclose(sgd.params[step], expected, rtol=1e-4, atol=1e-6)
    animation = animation_of("gd_vs_sgd")
    ax = animation.fit.curve.axes
    for step in (1, 37, sgd.steps):
        picture = animation.draw_step(step).copy()
        ringed = np.asarray(animation.fit.batch.get_offsets())
        assert {tuple(p) for p in ringed} == {(x[i], y[i]) for i in sgd.batches[step - 1]}
        hits = 0
        for i in sgd.batches[step - 1]:
            row, column = px(ax, x[i], y[i], animation.size)
            ring = picture[row - 7 : row + 8, column - 7 : column + 8]
            hits += near(ring, "tab:purple", 45).sum() >= 8
        assert hits >= 8, (step, hits)  # a purple ring round (nearly) each: a few overlap the lines


def test_both_loss_curves_are_visible_on_every_frame():
    from conftest import decode

    from tp1viz.layouts import PATHS_LOSS

    frames, _ = decode(MEDIA / "videos" / "gd_vs_sgd.mp4")
    left, bottom, width, height = PATHS_LOSS
    size = frames[0].shape[0]
    rows = slice(int(size * (1 - bottom - height)) + 2, int(size * (1 - bottom)) - 2)
    columns = slice(int(size * left) + 2, int(size * (left + width)) - 2)
    for index, frame in enumerate(frames):
        panel = frame[rows, columns]
        assert near(panel, "tab:red", 50).sum() >= 6 and near(panel, "tab:purple", 50).sum() >= 6, index


# -- relu_pieces: distinct pieces, the dead ones marked, the bias drawn, the sum built piece by piece ----------------


def test_relu_pieces_are_distinct_thick_and_the_dead_ones_grey_dashed_and_counted():
    from matplotlib.colors import to_rgb

    from tp1viz.lessons import DEAD_COLOR, UNIT_COLORS

    colours = np.array([to_rgb(color) for color in UNIT_COLORS]) * 255
    apart = np.abs(colours[:, None] - colours[None]).max(axis=-1) + 1e3 * np.eye(len(colours))
    assert apart.min() >= 60  # any two units' colours differ by 60 levels in some channel
    for color in colours:  # and none is the data's blue, the model's red or the dead's grey (dashed besides)
        for taken, least in (("tab:blue", 60), ("tab:red", 60), (DEAD_COLOR, 45)):
            assert np.abs(color - rgb(taken)).max() >= least
    (run,) = committed("relu_pieces")
    animation = animation_of("relu_pieces")
    animation.draw_step(run.steps)
    w, b = run.units.w[-1].astype(float), run.units.b[-1].astype(float)
    dead = ~(np.outer(run.x.astype(float), w) + b > 0).any(axis=0)  # worked out here
    assert dead.sum() == 3
    for unit, piece in enumerate(animation.fit.pieces):
        assert (piece.get_color() == DEAD_COLOR) == dead[unit]
        assert (piece.get_linestyle() == "--") == dead[unit]
        assert piece.get_linewidth() >= (1.2 if dead[unit] else 2.0)
    assert animation.fit.dead_label.get_text() == "grey, dashed: 3 dead units"


def lines_through(box, lines) -> list:
    """The lines (artists drawn in display px through their transform) that pass through a text's box."""
    from tp1viz import placing

    crossing = []
    for line in lines:
        xy = line.get_xydata()
        if not line.get_visible() or not len(xy):
            continue
        points = placing.densify(*line.get_transform().transform(np.asarray(xy, float)).T)
        inside = (
            (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
        )
        crossing += [line] if inside.any() else []
    return crossing


@pytest.mark.parametrize("seed", [None, 3])
def test_relu_pieces_name_the_bias_and_count_the_dead_where_no_line_runs_through_the_words(seed):
    from tp1viz.recorder import record_scene

    scene = SCENES["relu_pieces"] if seed is None else SCENES["relu_pieces"].with_overrides(seed=seed)
    animation = scene.animation(committed("relu_pieces") if seed is None else record_scene(scene))
    fit = animation.fit
    renderer = animation.canvas.get_renderer()
    for frame in range(0, len(animation.plan), 2):
        animation.draw(animation.moment(frame), frame)
        red = [fit.built if len(fit.built.get_xdata()) else fit.curve]  # the red curve this frame draws
        bias = fit.bias_label.get_window_extent(renderer)
        assert not lines_through(bias, red + fit.guides), (seed, frame, fit.bias_label.get_text())
        if fit.dead_label.get_text():  # free of lines; or, where no spot is free all along, lines pass under a box
            dead = fit.dead_label.get_window_extent(renderer)
            boxed = fit.dead_label.get_bbox_patch() is not None and seed is not None
            assert boxed or not lines_through(dead, red + fit.guides + fit.pieces), (seed, frame)


def test_relu_pieces_draw_the_bias_and_a_guide_from_each_hinge_to_its_kink():
    (run,) = committed("relu_pieces")
    animation = animation_of("relu_pieces")
    for step in (0, 60, run.steps):
        picture = animation.draw_step(step).copy()
        c = float(run.units.c[step])
        assert animation.fit.bias.get_ydata() == pytest.approx([c, c])
        ax = animation.fit.curve.axes
        row, _ = px(ax, 0, c, animation.size)
        left, right = (int(v) for v in ax.transData.transform([(run.grid_x[0], c), (run.grid_x[-1], c)])[:, 0])
        # dashed, and under the red curve and the pieces where they cross it: some of it in sight on every frame
        assert near(picture[row - 1 : row + 2, left:right], "0.25", 40).any(axis=0).mean() > 0.1
        w, b = run.units.w[step].astype(float), run.units.b[step].astype(float)
        curve = run.grid_pred[step].astype(float)
        for unit, guide in enumerate(animation.fit.guides):
            hinge = -b[unit] / w[unit]
            xs, ys = guide.get_data()
            live = (np.outer(run.x.astype(float), w) + b > 0).any(axis=0)[unit]
            if live and run.grid_x[0] <= hinge <= run.grid_x[-1]:
                assert xs[0] == xs[1] == pytest.approx(hinge) and ys[1] == pytest.approx(
                    np.interp(hinge, run.grid_x, curve), abs=1e-5
                )
            else:
                assert not np.isfinite(ys[1])


def test_relu_pieces_build_the_red_curve_from_the_bias_and_each_live_piece_in_turn():
    (run,) = committed("relu_pieces")
    animation = animation_of("relu_pieces")
    frames = animation.plan.frames_of(run.steps)
    assert len(frames) >= 7 * SCENES["relu_pieces"].fps  # the epilogue's seconds at least
    units, step = run.units, run.steps
    w, b = units.w[step].astype(float), units.b[step].astype(float)
    live = [u for u in range(len(w)) if (np.outer(run.x.astype(float), w) + b > 0).any(axis=0)[u]]
    dead = [u for u in range(len(w)) if u not in live]
    stages = [[], *([u] for u in sorted(live, key=lambda u: -b[u] / w[u])), dead]  # left to right, the dead last
    x = run.grid_x.astype(float)
    pieces = units.v[step][:, None].astype(float) * np.maximum(np.outer(w, x) + b[:, None], 0)
    seen = []
    for frame in frames:
        animation.draw(animation.moment(frame), frame)
        built = animation.fit.built.get_ydata()
        if len(built):
            stage = animation.fit.building
            added = [u for s in stages[: stage + 1] for u in s]
            np.testing.assert_allclose(built, units.c[step] + pieces[added].sum(axis=0), atol=1e-5)
            label = animation.fit.build_label.get_text()
            said = ["the bias alone", *(f"bias + {k} of {len(live)} live pieces" for k in range(1, len(live) + 1)),
                    f"+ the {len(dead)} dead: zero on the data"]  # fmt: skip
            assert label == said[stage]
            assert not animation.fit.curve.get_visible()
            seen.append(stage)
        else:
            assert animation.fit.curve.get_visible()
            seen.append(len(stages))  # the red curve, whole
    assert seen[0] == 0 and seen[-1] == len(stages) and sorted(set(seen)) == list(range(len(stages) + 1))
    assert seen == sorted(seen)  # in order, none skipped
    np.testing.assert_allclose(units.c[step] + pieces.sum(axis=0), run.grid_pred[step], atol=1e-4)
    data_x = run.x.astype(float)  # the dead add nothing on the data itself
    assert np.abs(units.v[step][dead, None] * np.maximum(np.outer(w[dead], data_x) + b[dead, None], 0)).max() == 0
