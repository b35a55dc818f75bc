"""Putting a scene's new files in place, together with its manifest entries.

Everything of one scene (its video formats, poster, recording) and its manifest entries change under the
output folder's lock, with SIGINT and SIGTERM held back, so no render, and no interrupt, sees half a scene.
"""

from pathlib import Path

from . import manifest, signals
from .files import replace


def commit(out_dir: Path, drawn, token: str) -> None:
    """Move the scene's temporary files onto their targets and record them in the manifest."""
    out_dir = Path(out_dir)
    entries = manifest.entries(drawn, out_dir)
    with signals.deferred(), manifest.locked(out_dir):
        for new in drawn.files:
            replace(new.temp, new.output.path)
        manifest.merge(out_dir, entries, token)
