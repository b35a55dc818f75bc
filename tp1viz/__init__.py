"""tp1viz: record a PyTorch training run step by step and render it as teaching video.

    traj = tp1viz.record(net, x, y, optimizer, loss_fn, steps=200)
    tp1viz.video(traj)  # inline in Jupyter; .save("fit.mp4") to keep it

Importing tp1viz imports neither torch nor matplotlib; each is loaded when first needed.
"""

from ._version import __version__  # noqa: F401 -- the package's version, for users


def record(net, x, y, optimizer, loss_fn, steps: int = 200, test=None):
    """Train `net` on (x, y) with the page's loop for `steps` updates, recording every step.

    `test`, held-out (x, y) points, is measured at every step and never trained on: the video draws them
    hollow, with their loss beside the training loss.
    """
    from .recorder import record as record_run
    from .recorder import student_run

    x, y, steps = student_run(net, x, y, optimizer, loss_fn, steps)
    return record_run(net, x, y, optimizer, loss_fn, steps, test=test)


def video(traj, fps: int = 30, size: int = 512, title: str = "", hold: float = 1.0, labels=None):
    """A video of a recorded run that Jupyter shows inline; .save(path) writes .mp4, .webm or .gif.

    A list of 2 to 4 runs plays side by side, each named by `labels`. Given a scene's name instead
    ("linear_sgd"), the course's video of it, from media/ when current there.
    """
    from . import notebook

    if isinstance(traj, str):
        return notebook.scene_video(traj)
    return notebook.video(traj, fps=fps, size=size, title=title, hold=hold, labels=labels)
