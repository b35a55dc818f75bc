"""Scenes as data (TOML, strict validation) and the teaching scenes: landscape, PCA plane, lr sweep, GD vs SGD."""

import inspect
import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SCENES, decode, plan_of

from tp1viz import datasets, draw, events, landscape, models
from tp1viz.cli import main
from tp1viz.recorder import record_scene
from tp1viz.scenes import DATASET_PARAMS, MODEL_PARAMS, SceneError, load_catalog

COMPARE = "[c]\nkind = 'video'\ntitle = 'c'\ndataset = 'pow'\nmodel = 'mlp'\nlr = 0.1\nsteps = 5\nlayout = 'compare'\n"
GOOD = """
[my_scene]
kind = "video"
title = "Mine"
dataset = "pow"
model = "mlp"
model_sizes = { n_hidden = 4 }
lr = 0.3
steps = 6
size = 128
fps = 10
hold = 0.5
"""


def write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_builtin_catalog_has_every_course_scene():
    assert {"linear_sgd", "pow_fn_w_linear_model", "pow_fn_w_non_linear_model", "loss_landscape",
            "loss_landscape_mlp", "lr_sweep", "gd_vs_sgd", "tp_1_linear_fit_no_noise", "tp_1_linear_fit",
            "tp_1_non_linear_noise", "loss_landscape_surface", "train_vs_test", "overfitting", "relu_pieces",
            "neural_net", "mse_residuals", "gradient_step", "least_squares",
            "many_solutions"} == set(SCENES)  # fmt: skip
    assert SCENES["linear_sgd"].lr == 0.005 and SCENES["linear_sgd"].seed == 7
    assert SCENES["loss_landscape_surface"].primary("media").as_posix() == "media/loss_landscape.jpeg"
    assert SCENES["neural_net"].primary("media").as_posix() == "media/neural_net.png"


def test_validation_tables_match_the_real_builders():
    for name, params in DATASET_PARAMS.items():
        signature = inspect.signature(datasets.DATASETS[name])
        assert list(params) == list(signature.parameters)[1:], name  # after the generator
    for name, params in MODEL_PARAMS.items():
        assert list(params) == list(inspect.signature(models.MODELS[name]).parameters), name


@pytest.mark.parametrize(
    "change, message",
    [
        ("lr = 0.3", None),
        ('lr = "fast"', "scene 'my_scene': key 'lr': expected a number, got 'fast'"),
        ("lr = -1.0", "scene 'my_scene': key 'lr': -1.0 is not a positive finite number"),
        ("lr = nan", "scene 'my_scene': key 'lr': nan is not a positive finite number"),
        ("steps = 0", "scene 'my_scene': key 'steps': 0 is not in 1..100000"),
        ("steps = 2.5", "scene 'my_scene': key 'steps': expected an integer, got 2.5"),
        ("steps = true", "scene 'my_scene': key 'steps': expected an integer, got True"),
        ("fps = 500", "scene 'my_scene': key 'fps': 500 is not in 1..120"),
        ("size = 127", "scene 'my_scene': key 'size': 127 is not an even number of pixels in 64..4096"),
        ("seed = -2", "scene 'my_scene': key 'seed': -2 is not in 0.."),
        ("speed = 3", "scene 'my_scene': key 'speed': unknown key; known: title, dataset, model, lr, steps, layout"),
        ('dataset = "sin"', "scene 'my_scene': key 'dataset': 'sin' is not one of linear, linear_no_noise, pow"),
        ('optimizer = "rmsprop"', "scene 'my_scene': key 'optimizer': 'rmsprop' is not one of sgd, adam"),
        ('layout = "spiral"', "scene 'my_scene': key 'layout': 'spiral' is not one of fit, landscape"),
        ("model_sizes = { n_hiden = 4 }", "scene 'my_scene': key 'model_sizes'.n_hiden: unknown key; known:"),
        ('data = { n_data = "many" }', "scene 'my_scene': key 'data'.n_data: expected an integer, got 'many'"),
        ("batch_size = 500", "scene 'my_scene': key 'batch_size': 500 is more than the 100 data points"),
        ('layout = "landscape"', "scene 'my_scene': key 'layout': the landscape layout needs the linear model"),
        ('variants = [{ lr = 0.1, label = "a" }]', "only a layout of several runs (compare, overlay, paths) has"),
        ('kind = "movie"', "scene 'my_scene': key 'kind': 'movie' is not one of video, still"),
        ("loss_limits = [2, 1]", "'loss_limits': expected [low, high], two numbers with 0 < low < high, got [2, 1]"),
        ("loss_limits = [0, 1]", "key 'loss_limits': expected [low, high], two numbers with 0 < low < high"),
        ("loss_limits = [0.1]", "key 'loss_limits': expected [low, high], two numbers with 0 < low < high"),
        ('loss_limits = ["a", 1]', "scene 'my_scene': key 'loss_limits': expected a number, got 'a'"),
        ("noise_floor = 1", "scene 'my_scene': key 'noise_floor': expected a boolean, got 1"),
    ],
)
def test_schema_errors_name_the_file_the_scene_and_the_key(tmp_path, change, message):
    key = change.split(" =")[0]
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{key} =")]
    path = write(tmp_path, "\n".join([*lines, change]))
    if message is None:
        assert load_catalog([path])["my_scene"].lr == 0.3
        return
    with pytest.raises(SceneError) as error:
        load_catalog([path])
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value), str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ('["../evil"]\nkind = "video"', "scene '../evil': a scene name may hold only a-z, 0-9 and _"),
        ("[Big]\nkind = 'still'", "scene 'Big': a scene name may hold only a-z, 0-9 and _"),
        ("[a]\nkind = 'video'\ntitle = 'x'", "scene 'a': key 'dataset': missing"),
        ("[s]\nkind = 'still'\ntitle = 'x'\ndataset = 'pow'\nfile = '../x.png'", "key 'file': '../x.png' is not"),
        (
            "[s]\nkind = 'still'\ntitle = 'x'\nlayout = 'surface'\nsource = 'linear_sgd'",
            "scene 's': key 'source': 'linear_sgd' (tp1viz/scenes.toml) is not a landscape video",
        ),
        (
            "[s]\nkind = 'still'\ntitle = 'x'\nlayout = 'surface'\nsource = 'nothing'",
            "scene 's': key 'source': no video scene named 'nothing'",
        ),
        (
            COMPARE + "variants = [{ limit_fraction = 0.5, label = 'x' }, { lr = 0.1, label = 'y' }]",
            "scene 'c': key 'variants'[0]: limit_fraction needs the linear model",
        ),
        (
            COMPARE + "variants = [{ lr = 0.1, label = 'x', colour = 'red' }, { lr = 0.1, label = 'y' }]",
            "scene 'c': key 'variants'[0]: key 'colour': unknown key",
        ),
        (
            COMPARE,
            "scene 'c': key 'variants': a compare layout needs 2 to 4 variants, got 0",
        ),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_more_schema_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SceneError, match=None) as error:
        load_catalog([path])
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value), str(error.value)


def test_a_bad_scene_file_is_exit_2_with_one_line(tmp_path):
    path = write(tmp_path, GOOD.replace("lr = 0.3", "lr = 0"))
    result = CliRunner().invoke(main, ["render", "--scenes", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == f"Error: {path}: scene 'my_scene': key 'lr': 0.0 is not a positive finite number\n"
    assert not (tmp_path / "out").exists()
    missing = CliRunner().invoke(main, ["list", "--scenes", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "nope.toml: cannot read: No such file or directory" in missing.output


def test_a_scene_from_a_user_file_renders_and_lists(tmp_path):
    path = write(tmp_path, GOOD)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "my_scene", "--scenes", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frames, meta = decode(out / "videos" / "my_scene.mp4")
    plan = plan_of(load_catalog([path])["my_scene"], out)
    assert len(frames) == len(plan) and meta["size"] == (128, 128) and meta["fps"] == 10
    assert set(plan.shown) == set(range(7))  # a frame for every step, a frame a step as its pace says
    entry = json.loads((out / "manifest.json").read_text())["outputs"]["videos/my_scene.mp4"]
    assert entry["scene"]["model_sizes"] == {"n_hidden": 4}
    listed = CliRunner().invoke(main, ["list", "--scenes", str(path)]).output
    assert f"defined in {path}" in listed and "defined in tp1viz/scenes.toml" in listed
    assert "my_scene" in listed and "fit: pow data, mlp net, SGD lr 0.3, 6 steps" in listed


def test_a_user_file_replaces_a_course_scene(tmp_path):
    text = '[linear_sgd]\nkind = "video"\ntitle = "Mine"\ndataset = "linear"\nmodel = "linear"\nlr = 0.001\nsteps = 9\n'
    catalog = load_catalog([write(tmp_path, text)])
    assert catalog["linear_sgd"].lr == 0.001 and catalog["linear_sgd"].source_file.endswith("mine.toml")
    assert catalog["pow_fn_w_linear_model"].source_file == "tp1viz/scenes.toml"


# ---- the teaching scenes -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landscape_run():
    (run,) = record_scene(SCENES["loss_landscape"])
    return run


def test_the_exact_landscape_is_the_mse_and_its_minimum_is_least_squares(landscape_run):
    x, y = landscape_run.x.astype(np.float64), landscape_run.y.astype(np.float64)
    design = np.column_stack([x, np.ones_like(x)])
    least_squares, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose(landscape.linear_minimum(x, y), least_squares, atol=1e-4)
    np.testing.assert_allclose(landscape_run.landscape.minimum, least_squares, atol=1e-4)
    ws, bs, grid = landscape_run.landscape.u, landscape_run.landscape.v, landscape_run.landscape.loss
    for i, j in [(0, 0), (60, 17), (120, 120), (33, 99)]:  # brute force at a few grid points
        assert grid[i, j] == pytest.approx(np.mean((ws[j] * x + bs[i] - y) ** 2), rel=1e-12)
    row, column = np.unravel_index(grid.argmin(), grid.shape)
    assert abs(ws[column] - least_squares[0]) <= ws[1] - ws[0] and abs(bs[row] - least_squares[1]) <= bs[1] - bs[0]


def test_the_sgd_path_ends_inside_the_lowest_contour(landscape_run):
    levels = draw.contour_levels(landscape_run.landscape.loss)
    w, b = landscape_run.params[-1]
    final = landscape.linear_mse_grid(landscape_run.x, landscape_run.y, [w], [b])[0, 0]
    assert levels[0] <= final < levels[1]
    w0, b0 = landscape_run.params[0]
    start = landscape.linear_mse_grid(landscape_run.x, landscape_run.y, [w0], [b0])[0, 0]
    assert start > levels[5]  # and it started well up the bowl


def test_the_pca_plane_passes_through_the_final_parameters_and_explains_what_it_says():
    scene = SCENES["loss_landscape_mlp"]
    (run,) = record_scene(scene)
    plane = run.landscape
    np.testing.assert_array_equal(plane.origin, run.params[-1].astype(np.float64))
    assert plane.path_u[-1] == 0 and plane.path_v[-1] == 0
    # Independently: the share of sum ||theta_k - theta_final||^2 left after projecting on the plane.
    offsets = run.params.astype(np.float64) - run.params[-1]
    directions = plane.directions
    np.testing.assert_allclose(directions @ directions.T, np.eye(2), atol=1e-9)
    residual = offsets - offsets @ directions.T @ directions
    explained = 1 - (residual**2).sum() / (offsets**2).sum()
    assert plane.explained == pytest.approx(explained, abs=1e-9)
    assert 0.5 < explained <= 1
    # The grid's loss where the plane's origin is equals the recorded final loss.
    us, vs = plane.u, plane.v
    column, row = np.argmin(np.abs(us)), np.argmin(np.abs(vs))
    assert us[column] == pytest.approx(0, abs=(us[1] - us[0]) / 2)
    near = plane.loss[row, column]
    assert near == pytest.approx(run.loss[-1], rel=0.5)  # within half a grid cell of the origin
    animation = scene.animation([run])
    title = animation.fig.texts[0].get_text()
    assert f"{100 * explained:.1f}% of the path's variance" in title


def test_lr_sweep_labels_match_the_trajectories():
    scene = SCENES["lr_sweep"]
    runs = record_scene(scene)
    limit = landscape.stability_limit(runs[0].x)
    assert limit == pytest.approx(1 / np.mean(runs[0].x.astype(np.float64) ** 2))
    lrs = [run.meta["run"]["lr"] for run in runs]
    assert lrs == pytest.approx([0.0002, 0.005, 0.9 * limit, 1.1 * limit])
    assert [events.outcome(run) for run in runs] == ["still moving", "converged", "converged", "diverged"]
    assert [event.kind for event in runs[2].events][:2] == ["oscillating", "converged"]  # it swings, then settles
    assert runs[3].loss[-1] > runs[3].loss[0]  # the diverging run really climbs
    assert runs[0].loss[-1] > 1.5 * runs[1].loss[-1]  # the slow one really is not there yet
    animation = scene.animation(runs)
    titles = [fit.curve.axes.get_title() for fit in animation.fits]
    assert titles[3] == "above the limit\nlr 0.068"  # what happens is said when it happens, by an overlay
    said = {(overlay.first, overlay.artists[0].get_text()) for overlay in animation.overlays
            if overlay.artists[0] in animation.fits[3].curve.axes.texts}  # fmt: skip
    diverged = next(event.step for event in runs[3].events if event.kind == "diverged")
    assert (diverged, "lr 0.068: diverged") in said


def test_gd_and_sgd_start_alike_and_part_ways():
    runs = record_scene(SCENES["gd_vs_sgd"])
    gd, sgd = runs
    np.testing.assert_array_equal(gd.params[0], sgd.params[0])
    np.testing.assert_array_equal(gd.x, sgd.x)
    assert (gd.meta["run"]["batch_size"], sgd.meta["run"]["batch_size"]) == (0, 10)
    assert not np.array_equal(gd.params[1], sgd.params[1])  # one minibatch is not the whole data set
    assert np.std(np.diff(sgd.loss[-50:])) > 10 * np.std(np.diff(gd.loss[-50:]))  # SGD keeps jittering
    # GD's line comes to rest (its bias creeps on, on the landscape framed on the path); SGD never settles
    assert events.outcome(gd) == "converged" and events.outcome(sgd) == "noisy"
    assert 20 <= next(event.step for event in gd.events if event.kind == "converged")  # an approach to watch
    again = record_scene(SCENES["gd_vs_sgd"])[1]
    np.testing.assert_array_equal(again.params, sgd.params)  # the minibatch order is seeded


def test_every_new_scene_renders_at_small_size(catalogue):
    names = ["loss_landscape", "loss_landscape_mlp", "lr_sweep", "gd_vs_sgd"]
    for name in names:
        frames, meta = decode(catalogue / "videos" / f"{name}.mp4")
        scene = SCENES[name].with_overrides(steps=12, size=128)
        assert len(frames) == len(plan_of(scene, catalogue)) and meta["size"] == (128, 128)
    import imageio.v3 as iio

    surface = iio.imread(catalogue / "loss_landscape.jpeg")
    assert surface.shape == (128, 128, 3)
    assert (catalogue / "loss_landscape.jpeg").read_bytes()[:3] == b"\xff\xd8\xff"  # a real JPEG
