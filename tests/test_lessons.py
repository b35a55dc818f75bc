"""The page's open questions as scenes, each held to its lesson with numbers: held-out testing, overfitting and
early stopping, the ReLU pieces of the U, and the trained networks drawn."""

import re

import numpy as np
import pytest
import torch
from conftest import ROOT, SCENES, decode, plan_of, run, stream_info
from matplotlib.lines import Line2D

from tp1viz import datasets, lessons, recorder
from tp1viz.trajectory import load_runs

MEDIA = ROOT / "media"


@pytest.fixture(scope="module")
def overfitting():
    return recorder.record_scene(SCENES["overfitting"])[0]


def test_overfitting_passes_its_best_test_loss_and_ends_well_above_it(overfitting):
    test_loss = overfitting.test.loss
    assert len(test_loss) == SCENES["overfitting"].steps + 1 and np.isfinite(test_loss).all()  # every step kept
    best = int(np.argmin(test_loss))
    assert 0 < best < len(test_loss) - 1
    assert test_loss[-1] >= 1.2 * test_loss[best], (test_loss[best], test_loss[-1])  # at least 20% above
    assert overfitting.loss[-1] < 0.25 * overfitting.loss[best]  # while the training loss kept falling
    (stop,) = [event for event in overfitting.events if event.kind == "early stopping"]
    assert stop.step == best and stop.text == f"early stopping · step {best}"
    assert (len(overfitting.x), len(overfitting.test.x)) == (15, 30)


def test_the_early_stopping_fit_stays_faintly_after_its_step(overfitting):
    scene = SCENES["overfitting"].with_overrides(size=256)
    animation = scene.animation([overfitting])
    stop = next(event.step for event in overfitting.events if event.kind == "early stopping")
    (overlay,) = [o for o in animation.overlays if isinstance(o.artists[0], Line2D) and o.artists[0].get_ls() == "--"]
    np.testing.assert_array_equal(overlay.artists[0].get_ydata(), overfitting.grid_pred[stop])  # that step's fit
    assert overlay.first == stop and overlay.last is None  # from its step to the end, not before
    # Drawn: the frame with it and without it differ along a faint red dashed line across the fit panel.
    shown = animation.draw_step(scene.steps)[:160, :, :3].astype(int)  # the fit panel
    overlay.first = scene.steps + 1  # the same frame without it
    hidden = animation.draw_step(scene.steps)[:160, :, :3].astype(int)
    rows, columns = np.nonzero(np.abs(shown - hidden).max(axis=-1) > 20)
    assert len(columns) > 100 and np.ptp(columns) > 150  # a line across the panel, not a speck
    pixels = shown[rows, columns]
    assert (pixels[:, 0] > pixels[:, 1] + 20).mean() > 0.75  # red (its dashes are anti-aliased), and pale:
    assert (pixels.min(axis=-1) > 120).mean() > 0.8


def test_train_vs_test_never_trains_on_a_test_point():
    scene = SCENES["train_vs_test"]
    (traj,) = recorder.record_scene(scene)
    x, y = (t.numpy().ravel() for t in datasets.make(scene.dataset, scene.seed, **scene.data))
    train, test = set(zip(traj.x, traj.y, strict=True)), set(zip(traj.test.x, traj.test.y, strict=True))
    assert not train & test and train | test == set(zip(x, y, strict=True))  # a split: disjoint, and whole
    assert (len(train), len(test)) == (70, 30)
    # Training never reads the test points: other test targets leave every recorded training number as it was.
    nets = [torch.nn.Linear(1, 1) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    a, b = ([torch.tensor(v).unsqueeze(1) for v in pair] for pair in ((traj.x, traj.y), (traj.test.x, traj.test.y)))
    runs = [recorder.record(net, *a, recorder.PlainSGD(net.parameters(), 0.005), torch.nn.MSELoss(), steps=30,
                            test=(b[0], b[1] + shift))
            for net, shift in zip(nets, (0.0, 100.0), strict=True)]  # fmt: skip
    np.testing.assert_array_equal(runs[0].params, runs[1].params)
    np.testing.assert_array_equal(runs[0].loss, runs[1].loss)
    assert runs[1].test.loss[-1] > 1000 * runs[0].test.loss[-1]  # the test loss did see the shifted targets


def test_the_score_is_the_share_of_test_points_within_the_tolerance():
    scene = SCENES["train_vs_test"]
    (traj,) = recorder.record_scene(scene)
    w, b = traj.params[-1]
    predicted = w * traj.test.x + b
    share = np.mean(np.abs(predicted - traj.test.y) <= scene.tolerance)
    assert traj.test.within(scene.tolerance)[-1] == pytest.approx(share, abs=1e-9)
    assert 0.5 <= share < 1  # the noise's std: about two in three, as a Gaussian's
    # The test loss follows the training loss down: a line has too few weights to overfit.
    assert traj.test.loss[-1] < 0.1 * traj.test.loss[0]
    assert not [event for event in traj.events if event.kind == "early stopping"]


def test_the_relu_pieces_sum_to_the_red_curve():
    scene = SCENES["relu_pieces"]
    (traj,) = recorder.record_scene(scene)
    units = traj.units
    for row in range(0, len(traj.kept), 7):
        total = units.contributions(traj.grid_x, row).sum(axis=0) + units.c[row]
        np.testing.assert_allclose(total, traj.grid_pred[row], atol=1e-5)
    animation = scene.with_overrides(size=256).animation([traj])
    for step in (0, 38, scene.steps):  # what is drawn: the pieces' lines, and the red curve over them
        animation.draw_step(step)
        pieces = np.array([piece.get_ydata() for piece in animation.fit.pieces], float)
        drawn = np.nansum(pieces, axis=0) + units.c[traj.row(step)]  # a live piece is not drawn where it is zero
        np.testing.assert_allclose(drawn, animation.fit.curve.get_ydata(), atol=1e-5)
        live = ~units.dead(traj.x)[traj.row(step)]
        zero = units.contributions(traj.grid_x, traj.row(step)) == 0
        np.testing.assert_array_equal(np.isnan(pieces[live]), zero[live])  # a live piece stops where it is zero
    dead = units.dead(traj.x)[-1]
    assert dead.sum() == 3
    styles = [piece.get_linestyle() for piece in animation.fit.pieces]
    assert [style == "--" for style in styles] == dead.tolist()  # the dead units, and only they, dashed


def test_the_network_still_draws_the_trained_weights(tmp_path):
    result = run("render", "neural_net", "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    import imageio.v3 as iio

    picture = iio.imread(tmp_path / "neural_net.png")
    assert picture.shape[:2] == (512, 512)
    linear = recorder.record_scene(SCENES["linear_sgd"])[0]  # the runs the still draws
    mlp = recorder.record_scene(SCENES["pow_fn_w_non_linear_model"])[0]
    weights, (w, b, v, c) = lessons.net_weights(mlp)
    np.testing.assert_allclose(w, mlp.units.w[-1])
    np.testing.assert_allclose(v, mlp.units.v[-1])
    assert lessons.net_weights(linear)[1][0][0] == pytest.approx(linear.params[-1][0])
    # The linear net's edge, midway, has the colour of its trained weight on the shared scale.
    from matplotlib import colormaps

    scale = max(np.abs(weights).max(), abs(linear.params[-1][0]))
    expected = np.array(colormaps[lessons.WEIGHT_CMAP](0.5 + 0.5 * linear.params[-1][0] / scale)[:3]) * 255
    row = round(512 * (1 - (0.91 - 0.17 + 0.17 * 0.5)))  # the linear net's axes: its edge at y = 0.5, mid-axes
    window = picture[row - 3 : row + 4, 240:272, :3].astype(int)
    assert np.abs(window - expected).max(axis=-1).min() < 12
    # The ReLU net's strongest hidden-to-output edge, midway, has its weight's colour. Its axes: below the line's,
    # from 0.17 to 0.68 of the height (the two nets share the room 1 to 3), limits -0.08..1.08 both ways.
    unit = int(np.argmax(np.abs(v)))
    expected = np.array(colormaps[lessons.WEIGHT_CMAP](0.5 + 0.5 * v[unit] / scale)[:3]) * 255
    middle_x, middle_y = (0.5 + 0.92) / 2, (np.linspace(0.97, 0.03, 10)[unit] + 0.5) / 2
    column = round(512 * (0.04 + 0.92 * (middle_x + 0.08) / 1.16))
    row = round(512 * (1 - (0.17 + 0.51 * (middle_y + 0.08) / 1.16)))
    window = picture[row - 2 : row + 3, column - 2 : column + 3, :3].astype(int)
    assert np.abs(window - expected).max(axis=-1).min() < 12, (window[2, 2], expected)


@pytest.mark.parametrize(
    "extra, message",
    [
        ("test_fraction = 0.95", "key 'test_fraction': 0.95 is not in 0..0.9"),
        ("test_fraction = -0.1", "key 'test_fraction': -0.1 is not in 0..0.9"),
        ('layout = "train_test"\ntest_fraction = 0.3', "key 'tolerance': missing (the train_test layout scores"),
        ('layout = "train_test"\ntolerance = 2', "key 'test_fraction': missing (the train_test layout scores"),
        ('layout = "relu_pieces"', "key 'layout': the relu_pieces layout needs the mlp model"),
        ("test_fraction = 0.001", "holds out 0; leave at least one on each side"),
        ("tolerance = 0", "key 'tolerance': 0.0 is not a positive finite number"),
        ("tolerance = 2", "key 'tolerance': only a layout that scores held-out points reads it (train_test)"),
        (
            'layout = "compare"\ntest_fraction = 0.3\nvariants = [{ label = "a" }, { label = "b" }]',
            "key 'test_fraction': the compare layout draws no test loss",
        ),
        ('precision = "float16"', "key 'precision': 'float16' is not one of float32, float64"),
    ],
)
def test_bad_keys_of_the_new_scenes_are_one_line(tmp_path, extra, message):
    path = tmp_path / "mine.toml"
    path.write_text(f'[mine]\nkind = "video"\ntitle = "Mine"\ndataset = "linear"\nmodel = "linear"\nlr = 0.01\n'
                    f"steps = 5\n{extra}\n")  # fmt: skip
    result = run("render", "mine", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "sources, message",
    [
        ("[]", "key 'sources': a network still draws the nets of 1 to 3 video scenes"),
        ('["linear_sgd", "linear_sgd"]', "key 'sources'[1]: 'linear_sgd' is drawn already"),
        ('["nope"]', "key 'sources'[0]: no video scene named 'nope'"),
        ('["lr_sweep"]', "key 'sources'[0]: 'lr_sweep' trains 4 nets; a diagram draws one"),
        ("[3]", "key 'sources'[0]: expected a string, got 3"),
    ],
)
def test_a_bad_network_still_is_one_line(tmp_path, sources, message):
    path = tmp_path / "mine.toml"
    path.write_text(f'[mine]\nkind = "still"\ntitle = "Nets"\nlayout = "network"\nsources = {sources}\n')
    result = run("render", "mine", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_the_committed_lesson_videos_are_h264_at_512_px_in_their_frame_budget():
    import json

    entries = json.loads((MEDIA / "manifest.json").read_text())["outputs"]
    for name in ("train_vs_test", "overfitting", "relu_pieces"):
        info = stream_info(MEDIA / "videos" / f"{name}.mp4")
        assert "h264" in info and "yuv420p" in info and "512x512" in info, info
        frames, scene = entries[f"videos/{name}.mp4"]["frames"], SCENES[name]  # --check holds the count true
        assert frames == len(plan_of(scene, MEDIA)) and frames <= 30 * scene.fps  # every course video: 30 s at most


def test_a_students_held_out_points_are_measured_and_drawn(tmp_path):
    import tp1viz

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 10), torch.nn.ReLU(), torch.nn.Linear(10, 1))
    x = torch.linspace(-1, 1, 100).unsqueeze(1)
    y = x**2 + 0.1 * torch.randn(x.shape)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    traj = tp1viz.record(net, x[::2], y[::2], optimizer, torch.nn.MSELoss(), steps=20, test=(x[1::2], y[1::2]))
    with torch.no_grad():
        assert traj.test.loss[-1] == pytest.approx(torch.nn.functional.mse_loss(net(x[1::2]), y[1::2]).item())
    frames, _ = decode(tp1viz.video(traj, size=256).save(tmp_path / "run.mp4"))
    assert len(frames) == 21 + 30
    r, g, b = np.moveaxis(frames[-1].astype(int), -1, 0)
    assert ((g > r + 30) & (g > b + 30)).sum() > 100  # green: the hollow test points and the test loss's line


def test_a_source_on_a_still_that_draws_none_is_refused(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[mine]\nkind = "still"\ntitle = "Data"\ndataset = "linear"\nsources = ["linear_sgd"]\n')
    result = run("render", "mine", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "key 'sources': only a network still draws other scenes' runs this way" in result.stderr


@pytest.mark.parametrize(
    "test, error",
    [
        ("x_test", "test must be a pair, (x_test, y_test)"),
        ("(x_test, y_test, y_test)", "test must be a pair, (x_test, y_test)"),
        ("(x_test.to(torch.complex64), y_test)", "test x must hold real numbers, got torch.complex64"),
        ("(x_test > 0, y_test)", "test x must hold real numbers, got torch.bool"),
        ("(x_test, 'abc')", "test y must be a tensor (or NumPy array) of numbers"),
        (
            "(x_test[:5], y_test[:4])",
            "test x and test y must hold the same number of points, at least one: got 5 and 4",
        ),
        ("(x_test[:0], y_test[:0])", "at least one: got 0 and 0"),
        ("(x_test, y_test * float('nan'))", "test x and test y must be finite numbers (no NaN or infinity)"),
    ],
)
def test_a_students_bad_test_set_is_one_clear_error(test, error):
    import tp1viz

    net = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 20).unsqueeze(1)
    x_test, y_test = x[::2] + 0.05, x[::2]  # noqa: F841 -- named in the parameters' expressions
    with pytest.raises((TypeError, ValueError), match=re.escape(error)):
        tp1viz.record(net, x, x, torch.optim.SGD(net.parameters(), lr=0.1), torch.nn.MSELoss(), steps=3,
                      test=eval(test))  # fmt: skip


@pytest.mark.parametrize(
    "change, error",
    [
        ({"x": "torch.where(x > 0, x, float('nan'))"}, "x and y must be finite numbers (no NaN or infinity)"),
        ({"y": "x[:5]"}, "x and y must hold the same number of points, at least one: got 20 and 5"),
        ({"x": "x[:0]", "y": "x[:0]"}, "at least one: got 0 and 0"),
        ({"x": "x.double()"}, "x is torch.float64 but the net's weights are torch.float32: pass x.float()"),
        ({"steps": "10**9"}, "steps: 1000000000 is not in 1..100000"),
        ({"steps": "2.5"}, "steps must be a whole number, got 2.5"),
        ({"steps": "True"}, "steps must be a whole number, got True"),
        ({"loss_fn": "torch.nn.MSELoss(reduction='none')"}, "loss_fn must return a tensor of one number (a mean"),
        ({"loss_fn": "lambda p, t: ((p - t) ** 2).mean().item()"}, "loss_fn must return a tensor of one number"),
        ({"loss_fn": "lambda p, t: ((p - t) ** 2).mean().detach()"}, "loss_fn's result carries no gradient"),
        ({"net": "torch.nn.Linear(1, 3)"}, "net(x) gives shape (20, 3) for y of shape (20, 1): the net must give one"),
        ({"net": "torch.nn.Linear(2, 1)"}, "net(x) fails for x of shape (20, 1), torch.float32: mat1 and mat2 shapes"),
        ({"optimizer": "torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)"}, "updates none of net's"),
        ({"optimizer": "torch.optim.LBFGS(net.parameters())"}, "LBFGS.step() needs a closure"),
        ({"x": "np.linspace(-1, 1, 20) * 1e300"}, "x holds values too large for the net's torch.float32"),
        ({"x": "['1'] * 20"}, "x must be a tensor (or NumPy array) of numbers"),
        (
            {"x": "torch.linspace(-1, 1, 10**6)", "y": "torch.linspace(-1, 1, 10**6)", "steps": "1000"},
            "recording 1000 steps of 1000000 points would take 3.7 GiB; at most 1 GiB",
        ),
        ({"net": "torch.nn.ReLU()"}, "net has no parameters to train"),
        ({"net": "'a net'"}, "net must be a torch.nn.Module, got str"),
        ({"optimizer": "0.1"}, "optimizer must have step() and zero_grad()"),
    ],
)
def test_a_students_bad_run_is_one_clear_error_before_training(change, error):
    import tp1viz

    x = torch.linspace(-1, 1, 20).unsqueeze(1)
    net = torch.nn.Linear(1, 1)
    args = {"net": net, "x": x, "y": x, "optimizer": torch.optim.SGD(net.parameters(), lr=0.1),
            "loss_fn": torch.nn.MSELoss(), "steps": 3}  # fmt: skip
    args |= {name: eval(expression, globals(), {"x": x, "net": net}) for name, expression in change.items()}
    if "net" in change and isinstance(args["net"], torch.nn.Module) and list(args["net"].parameters()):
        args["optimizer"] = torch.optim.SGD(args["net"].parameters(), lr=0.1)  # the other net's own
    with pytest.raises((TypeError, ValueError), match=re.escape(error)):
        tp1viz.record(**args)


def test_a_students_numpy_data_and_a_bad_video_argument():
    import tp1viz

    net = torch.nn.Linear(1, 1)
    x = np.linspace(-1, 1, 20)  # float64, as NumPy makes it: taken in the net's float32
    traj = tp1viz.record(net, x, -x, torch.optim.SGD(net.parameters(), lr=0.1), torch.nn.MSELoss(), steps=3,
                         test=(x[:4].tolist(), (-x[:4]).tolist()))  # fmt: skip
    assert traj.x.dtype == np.float32 and np.allclose(traj.x, x) and len(traj.test.loss) == 4
    half = torch.nn.Linear(1, 1).to(torch.bfloat16)  # a float type NumPy has no twin of
    traj = tp1viz.record(half, x, -x, torch.optim.SGD(half.parameters(), lr=0.1), torch.nn.MSELoss(), steps=3)
    assert traj.x.dtype == np.float32 and np.allclose(traj.x, x, atol=1e-2) and np.isfinite(traj.loss).all()
    with pytest.raises(ValueError, match="no scene named 'nope'; the course's videos: linear_sgd, "):
        tp1viz.video("nope")
    with pytest.raises(ValueError, match="title must be one line"):
        tp1viz.video(traj, title="line one\nline two")
    with pytest.raises(ValueError, match="two read the same; each panel needs its own"):
        tp1viz.video([traj, traj], labels=["slow", "Slow"])
    for wrong, got in ((None, "got NoneType"), ([traj, None], "got a list of something else"), ([], "empty list")):
        with pytest.raises(TypeError, match=re.escape(got)):
            tp1viz.video(wrong)


def test_test_tensors_that_require_grad_or_are_float64_are_taken_as_they_are_meant():
    import tp1viz

    net = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 20).unsqueeze(1)
    test = (x[::2].double().requires_grad_(), x[::2].double())
    traj = tp1viz.record(net, x, x, torch.optim.SGD(net.parameters(), lr=0.1), torch.nn.MSELoss(), steps=3, test=test)
    assert traj.test.x.dtype == np.float32 and len(traj.test.loss) == 4


def test_the_held_out_captions_and_labels_give_both_losses_and_the_score(tmp_path):
    from tp1viz.review import step_label

    result = run("render", "train_vs_test", "--size", 128, "--out", tmp_path, "-q")
    assert result.exit_code == 0, result.output
    (traj,) = load_runs(tmp_path / "trajectories" / "train_vs_test.npz")
    last_cue = (tmp_path / "videos" / "train_vs_test.vtt").read_text().strip().split("\n\n")[-1]
    end = " ".join(last_cue.splitlines()[2:])  # its two lines, as one sentence
    hits = int(round(traj.test.within(2.0)[-1] * 30))
    losses = f"training loss {traj.loss[-1]:.3g}, test loss {traj.test.loss[-1]:.3g}"
    assert end == f"The end: {losses}; {hits} of 30 within ±2."
    told = (tmp_path / "videos" / "train_vs_test.txt").read_text().strip().splitlines()[-1]
    assert told.endswith(f"] Step 200, the end: training loss {traj.loss[-1]:.4g}, test loss {traj.test.loss[-1]:.4g}; "
                         f"{hits} of 30 test points within ±2.")  # fmt: skip
    assert step_label([traj], 200) == f"step 200 · train {traj.loss[-1]:#.3g} · test {traj.test.loss[-1]:#.3g}"


def test_a_still_rendered_alone_passes_the_check(tmp_path):
    assert run("render", "neural_net", "--out", tmp_path, "-q").exit_code == 0
    assert not (tmp_path / "trajectories").exists()  # its sources' runs were recorded, not written
    result = run("render", "neural_net", "--out", tmp_path, "--check")
    assert result.exit_code == 0, result.output


def test_a_float64_scene_trains_in_float64_and_leaves_torchs_default_alone():
    import dataclasses

    import torch

    from tp1viz import models

    scene = dataclasses.replace(SCENES["overfitting"], steps=30)
    (run,) = recorder.record_scene(scene)
    assert torch.get_default_dtype() == torch.float32  # a student's notebook keeps its own
    assert scene.precision == "float64" and run.x.dtype == np.float64 and run.params.dtype == np.float32
    # The page's loop by hand, in float64 throughout: the recorded losses are its losses to float64's rounding
    # (a float32 step anywhere would leave them 1e-7 apart).
    torch.set_default_dtype(torch.float64)
    try:
        x, y, generator = recorder.scene_data(scene)
        x, y, _, _ = recorder.split(x, y, scene.test_fraction, generator)
        net = models.make(scene.model, generator, **scene.model_sizes)
        optimizer, losses = torch.optim.Adam(net.parameters(), lr=scene.lr), []
        for _ in range(scene.steps + 1):
            loss = torch.nn.functional.mse_loss(net(x), y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_default_dtype(torch.float32)
    np.testing.assert_allclose(run.loss, losses, rtol=1e-12)


@pytest.mark.parametrize(
    "table, message",
    [
        ('kind = "still"\ntitle = "N"\nlayout = "network"\nsources = ["linear_sgd"]\ndataset = "pow"',
         "key 'dataset': a network still draws the runs of other scenes, with their data and seed"),
        ('kind = "still"\ntitle = "S"\nlayout = "surface"\nsource = "loss_landscape"\nseed = 3',
         "key 'seed': a surface still draws the runs of other scenes"),
        ('kind = "video"\ntitle = "C"\nlayout = "compare"\ndataset = "linear"\nmodel = "linear"\nlr = 0.01\n'
         'steps = 5\nvariants = [{ label = "a" }, { label = "A ", lr = 0.1 }]',
         "key 'variants'[1]: label 'A ' reads as variant 0's; each panel needs its own"),
    ],
)  # fmt: skip
def test_keys_a_scene_would_ignore_or_that_make_panels_alike_are_refused(tmp_path, table, message):
    path = tmp_path / "mine.toml"
    path.write_text(f"[mine]\n{table}\n")
    result = run("render", "mine", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_course_video_replaced_by_a_still_is_named_where_it_was_replaced(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[linear_sgd]\nkind = "still"\ntitle = "x"\ndataset = "linear"\n')
    result = run("render", "linear_sgd", "--scenes", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: tp1viz/scenes.toml: scene 'neural_net': key 'sources'[0]: 'linear_sgd' is a "
                             f"still ({path}), not a video scene\n")  # fmt: skip


def test_the_moving_curve_passes_under_an_inner_legend():
    scene = SCENES["train_vs_test"].with_overrides(steps=20, size=256)
    animation = scene.animation(recorder.record_scene(scene))
    (legend,) = animation.fit.kept_on_top
    box = legend.get_window_extent(animation.canvas.get_renderer())
    rows = slice(256 - int(box.y1) + 1, 256 - int(box.y0) - 1)  # inside its frame; image rows run top-down
    columns = slice(int(box.x0) + 1, int(box.x1) - 1)
    frames = [animation.draw_step(step)[rows, columns].copy() for step in range(0, 21, 4)]
    for frame in frames[1:]:  # the initial line crosses the legend's corner; later lines elsewhere
        np.testing.assert_array_equal(frame, frames[0])
