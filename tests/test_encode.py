import struct

import numpy as np
import pytest
from conftest import decode, stream_info

from tp1viz.encode import H264, EncoderError, VideoWriter, saving
from tp1viz.files import AtomicFile


def top_level_boxes(path):
    """The names of an MP4's top-level boxes, in file order."""
    data, names, offset = path.read_bytes(), [], 0
    while offset < len(data):
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        names.append(name.decode())
        offset += size or len(data)
    return names


def plan_of(rendered):
    """The frame-to-step map of the rendered video, from the runs it was drawn from."""
    from tp1viz.trajectory import load_runs

    scene, out, _ = rendered
    return scene.plan(load_runs(scene.trajectory_path(out)))


def test_video_decodes_as_h264_yuv420p_with_every_frame(rendered):
    scene, _, written = rendered
    frames, meta = decode(written.path)
    assert len(frames) == written.frames == len(plan_of(rendered)) > scene.steps + 1  # every step, and the pauses
    assert meta["size"] == (256, 256)
    assert meta["codec"] == "h264"
    assert meta["fps"] == 30
    info = stream_info(written.path)
    assert "yuv420p" in info and "h264" in info, info


def test_moov_comes_before_mdat_for_streaming(rendered):
    boxes = top_level_boxes(rendered[2].path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_decoded_frames_match_what_was_drawn(rendered):
    from tp1viz.recorder import record_scene

    scene, _, written = rendered
    frames, _ = decode(written.path)
    drawn = scene.animation(record_scene(scene))
    plan = plan_of(rendered)
    for k in (0, scene.steps // 2, scene.steps):
        expected = drawn.draw_step(k)[..., :3].astype(int)
        difference = np.abs(frames[plan.frame_of(k)].astype(int) - expected)
        assert difference.mean() < 2.0, k  # lossy, but the same picture
    last = plan.frame_of(scene.steps)
    held = np.abs(frames[last:].astype(int) - frames[last].astype(int))
    assert len(frames) - last >= 30 and held.mean() < 1.5  # the final frame is held (x264 refines a still picture)


def test_encoder_failure_quotes_ffmpeg_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"the good old video")
    with pytest.raises(EncoderError, match="Unknown encoder 'no_such_codec'"):
        with AtomicFile(target) as temp:
            with saving(VideoWriter(temp, 64, 30, codec_args=["-c:v", "no_such_codec", "-f", "mp4"])) as sink:
                for _ in range(5):
                    sink.grab_frame(np.zeros((64, 64, 4), np.uint8))
    assert target.read_bytes() == b"the good old video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_an_error_while_drawing_leaves_nothing_behind(tmp_path):
    target = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError, match="drawing failed"):
        with saving(VideoWriter(target, 64, 30, H264)) as sink:
            sink.grab_frame(np.zeros((64, 64, 4), np.uint8))
            raise RuntimeError("drawing failed")  # the writer removes its half-written output
    assert list(tmp_path.iterdir()) == []


def test_decoded_video_shows_the_red_curve_at_the_prediction(rendered):
    from tp1viz.recorder import record_scene

    scene, _, written = rendered
    frames, _ = decode(written.path)
    animation = scene.animation(record_scene(scene))
    traj, k = animation.runs[0], scene.steps
    column = 128  # one column of the dense grid, in the middle of the plot
    px, py = animation.fit.curve.axes.transData.transform((traj.grid_x[column], traj.grid_pred[k, column]))
    red, green, blue = frames[plan_of(rendered).frame_of(k)][int(round(scene.size - py)), int(round(px))]
    assert red > 160 and green < 110 and blue < 110, (red, green, blue)


def test_a_frame_is_written_whole_through_a_pipe_that_takes_part_of_it():
    from tp1viz.encode import write_all

    class Stingy:  # a raw pipe write interrupted by a signal returns how much it took
        def __init__(self):
            self.taken = bytearray()

        def write(self, data):
            part = bytes(data[:1000])
            self.taken += part
            return len(part)

    pipe, frame = Stingy(), np.arange(64 * 64 * 4, dtype=np.uint8)
    write_all(pipe, frame)
    assert bytes(pipe.taken) == frame.tobytes()
