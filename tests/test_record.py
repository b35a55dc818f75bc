import numpy as np
import pytest
import torch
from conftest import SCENES

from tp1viz import datasets, models
from tp1viz.recorder import record, record_scene
from tp1viz.trajectory import Trajectory, runs_to_bytes


def linear_run(dataset="linear_no_noise", steps=60, lr=0.005, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x, y = datasets.make(dataset, generator)
    net = models.make("linear", generator)
    return record(net, x, y, torch.optim.SGD(net.parameters(), lr=lr), torch.nn.MSELoss(), steps), x, y


def test_n_steps_give_n_plus_one_snapshots():
    traj, x, _ = linear_run(steps=25)
    assert traj.steps == 25
    assert traj.loss.shape == (26,)
    assert traj.pred.shape == (26, 100)
    assert traj.params.shape == (26, 2)  # weight, bias
    assert traj.grid_pred.shape == (26, len(traj.grid_x))
    assert traj.grid_x[0] < x.min() and traj.grid_x[-1] > x.max()  # the curve spans the data


def test_linear_net_recovers_the_slope_of_the_noiseless_line():
    traj, _, _ = linear_run(steps=60)
    weight, bias = traj.params[-1]
    assert abs(weight - (-1.0)) < 0.01
    assert traj.loss[-1] < traj.loss[0]


def test_snapshots_agree_with_the_parameters_and_a_closed_form_mse():
    traj, x, y = linear_run(dataset="linear", steps=40)
    for k in (0, 1, 17, 40):
        weight, bias = traj.params[k]
        np.testing.assert_allclose(traj.pred[k], weight * traj.x + bias, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(traj.grid_pred[k], weight * traj.grid_x + bias, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(traj.loss[k], np.mean((traj.pred[k] - traj.y) ** 2), rtol=1e-5)


def test_snapshot_k_is_the_model_after_k_updates():
    traj, _, _ = linear_run(dataset="linear", steps=3, seed=4)
    generator = torch.Generator().manual_seed(4)
    x, y = datasets.make("linear", generator)
    net = models.make("linear", generator)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.005)
    for k in range(4):
        expected = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy()
        np.testing.assert_array_equal(traj.params[k], expected)
        loss = torch.nn.functional.mse_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_sgd_converges_to_the_least_squares_line():
    traj, x, y = linear_run(dataset="linear", steps=1500)
    design = np.column_stack([traj.x, np.ones_like(traj.x)])
    (slope, intercept), *_ = np.linalg.lstsq(design, traj.y, rcond=None)
    np.testing.assert_allclose(traj.params[-1], [slope, intercept], atol=1e-4)


def test_works_with_any_module_optimizer_and_loss():
    torch.manual_seed(0)
    x = torch.linspace(-2, 2, 50)  # a 1-D tensor is accepted too
    y = torch.sin(x)
    net = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    traj = record(net, x, y, torch.optim.Adam(net.parameters(), lr=0.05), torch.nn.L1Loss(), steps=80)
    assert traj.params.shape == (81, 8 + 8 + 8 + 1)
    assert traj.loss[-1] < 0.5 * traj.loss[0]
    np.testing.assert_allclose(traj.loss[-1], np.mean(np.abs(traj.pred[-1] - y.numpy())), rtol=1e-5)


def test_rejects_data_that_is_not_one_dimensional():
    net = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\)"):
        record(net, torch.zeros(10, 2), torch.zeros(10, 1), torch.optim.SGD(net.parameters(), lr=0.1),
               torch.nn.MSELoss(), steps=2)  # fmt: skip


def test_trajectory_round_trips_exactly(tmp_path):
    (traj,) = record_scene(SCENES["pow_fn_w_non_linear_model"].with_overrides(steps=12))
    traj.save(tmp_path / "run.npz")
    loaded = Trajectory.load(tmp_path / "run.npz")
    for name in ("x", "y", "grid_x", "loss", "pred", "grid_pred", "params"):
        original, copy = getattr(traj, name), getattr(loaded, name)
        assert copy.dtype == original.dtype
        np.testing.assert_array_equal(copy, original)
    assert loaded.meta == traj.meta
    assert loaded.meta["lr"] == 0.5 and loaded.meta["steps"] == 12


def test_same_scene_gives_the_same_bytes():
    scene = SCENES["pow_fn_w_non_linear_model"].with_overrides(steps=20)
    assert runs_to_bytes(record_scene(scene)) == runs_to_bytes(record_scene(scene))


def test_course_scenes_converge():
    for name in ("linear_sgd", "pow_fn_w_linear_model", "pow_fn_w_non_linear_model"):
        (traj,) = record_scene(SCENES[name])
        tail = traj.loss[-10:]
        assert traj.loss[-1] < 0.2 * traj.loss[0], name
        assert np.ptp(tail) < 0.01 * tail.mean(), name  # flat at the end: the video shows a settled fit


def test_plain_sgd_is_torch_sgd_bit_for_bit(monkeypatch):
    from tp1viz import recorder

    for scene in SCENES.values():
        if scene.kind != "video" or scene.optimizer != "sgd":
            continue
        ours = record_scene(scene.with_overrides(steps=60))
        monkeypatch.setattr(recorder, "make_optimizer", lambda name, params, lr: torch.optim.SGD(params, lr=lr))
        theirs = record_scene(scene.with_overrides(steps=60))
        monkeypatch.undo()
        for mine, torchs in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(mine.params, torchs.params, err_msg=scene.name)
            np.testing.assert_array_equal(mine.loss, torchs.loss, err_msg=scene.name)
