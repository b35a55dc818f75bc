"""The encoder: RGBA frames in, one video file out. Knows ffmpeg; knows nothing about plots.

The writer follows matplotlib.animation's narrow protocol (setup / grab_frame / finish) and runs the
ffmpeg binary that imageio-ffmpeg ships. It writes the path it is given, a temporary file that the caller
moves into place once everything of the scene is written; a failed encode removes it. We start ffmpeg
ourselves rather than through imageio_ffmpeg.write_frames, because write_frames lets ffmpeg's stderr go to
the terminal and never checks its exit status: a failed encode would look like a success.
"""

import contextlib
import os
import queue
import re
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

RUNNING: set[subprocess.Popen] = set()  # ffmpeg processes of this process, stopped if it must die at once
# ffmpeg in a process group of its own: a Ctrl-C at the terminal reaches tp1viz, which stops ffmpeg itself,
# instead of ffmpeg ending the file on its own and tp1viz taking that for a failed encode.
OWN_GROUP = {"process_group": 0} if hasattr(os, "setpgid") else {}
SPAWNING = threading.Lock()  # held to start an ffmpeg and note it, and by stop_all() until the process ends


class EncoderError(RuntimeError):
    """ffmpeg is missing or failed; the message carries ffmpeg's own words."""


# fmt: off
H264 = [
    "-c:v", "libx264",
    "-pix_fmt", "yuv420p",  # the only 4:2:0 layout every browser decodes
    "-preset", "veryfast",  # on flat plots: 2.5x faster than medium here, and 14% smaller
    "-crf", "18",  # thin lines and small text stay sharp
    "-threads", "1",  # x264 output depends on its thread count; one thread gives the same bytes everywhere
    "-movflags", "+faststart",  # moov before mdat: playback starts before the download ends
    "-f", "mp4",
]
VP9 = [
    "-c:v", "libvpx-vp9",
    "-pix_fmt", "yuv420p",
    "-b:v", "0", "-crf", "32",  # constant quality
    "-deadline", "realtime", "-cpu-used", "8",  # 15x faster than "good" here, and as sharp on flat plots
    "-threads", "1",
    "-cues_to_front", "1",  # the seek index before the frames: a player seeks without fetching the file's end
    "-f", "webm",
]
GIF = [
    # One palette for the whole clip, then frames coded as changed rectangles: small and crisp.
    "-vf", "split[a][b];[a]palettegen=stats_mode=diff[p];"
           "[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle",
    "-loop", "0",
    "-f", "gif",
]
# fmt: on
FORMATS = {"mp4": H264, "webm": VP9, "gif": GIF}  # file suffix -> ffmpeg output arguments
REPRODUCIBLE = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


def ffmpeg_exe() -> str:
    """The ffmpeg binary imageio-ffmpeg ships (or IMAGEIO_FFMPEG_EXE); fail fast with what to do."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        raise EncoderError(f"no ffmpeg found ({error}); install imageio-ffmpeg or set IMAGEIO_FFMPEG_EXE") from None


def ffmpeg_failure(process: subprocess.Popen, log) -> EncoderError:
    """An EncoderError that quotes what ffmpeg wrote to stderr, root cause first, on one line."""
    log.seek(0)
    text = log.read().decode(errors="replace")
    # "[vost#0:0 @ 0x55...] Unknown encoder 'x'": the bracketed context is noise to a reader.
    lines = [re.sub(r"^\[[^]]* @ 0x[0-9a-f]+\] ", "", line.strip()) for line in text.splitlines() if line.strip()]
    detail = "; ".join(lines[:4]) or "no message"
    return EncoderError(f"ffmpeg failed (exit code {process.returncode}): {detail}")


def write_all(pipe, buffer) -> None:
    """Write every byte: a raw write to a pipe may take only part of a frame (a signal, a stop and continue),
    and a frame cut short would shift every later frame in ffmpeg's input."""
    view = memoryview(buffer)
    while view:
        view = view[pipe.write(view) :]


class VideoWriter:
    """Pipes raw RGBA frames to ffmpeg, which writes `path`.

    A thread does the pipe writes, so drawing the next frame overlaps with ffmpeg taking this one: frames are
    copied into a few reusable buffers, and grab_frame waits only when ffmpeg is that many frames behind.
    """

    IN_FLIGHT = 3  # frames buffered between the drawing thread and ffmpeg

    def __init__(self, path: Path, size: int, fps: int, codec_args: list[str] = H264):
        self.path, self.size, self.fps, self.codec_args = Path(path), size, fps, codec_args
        self.frames, self.finished = 0, False

    def command(self, ffmpeg: str, output: Path) -> list[str]:
        # rgba straight from Agg's buffer: ffmpeg converts it to yuv420p faster than numpy could drop alpha.
        raw_input = ["-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{self.size}x{self.size}", "-r", str(self.fps)]
        # -y: the output may exist already (an empty temporary file reserving its name).
        return [ffmpeg, "-y", "-nostdin", "-hide_banner", "-loglevel", "error", *raw_input, "-i", "pipe:0",
                "-an", *self.codec_args, *REPRODUCIBLE, str(output)]  # fmt: skip

    def setup(self) -> None:
        ffmpeg = ffmpeg_exe()  # fails fast, before anything is created
        self.log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty ffmpeg can never block on it
        try:
            with SPAWNING:  # never an ffmpeg that a dying worker has not seen: it would write after the cleanup
                self.process = subprocess.Popen(self.command(ffmpeg, self.path), stdin=subprocess.PIPE,
                                                stderr=self.log, bufsize=0, **OWN_GROUP)  # fmt: skip
                RUNNING.add(self.process)
        except OSError as error:
            self.log.close()
            raise EncoderError(f"cannot start ffmpeg ({ffmpeg}): {error.strerror}") from None
        self.failure: OSError | None = None
        # SimpleQueue, not Queue: a Ctrl-C landing inside Queue.get can leave its lock held and hang the pump.
        self.free, self.filled = queue.SimpleQueue(), queue.SimpleQueue()
        for _ in range(self.IN_FLIGHT):
            self.free.put(np.empty(self.size * self.size * 4, np.uint8))
        self.pump = threading.Thread(target=self._pump, name=f"ffmpeg <- {self.path.name}", daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        """Write filled buffers to ffmpeg until None; after a failure keep recycling, so nobody waits forever."""
        while (buffer := self.filled.get()) is not None:
            if self.failure is None:
                try:
                    write_all(self.process.stdin, buffer)
                except OSError as error:  # BrokenPipeError: ffmpeg has stopped reading
                    self.failure = error
            self.free.put(buffer)

    def _raise_if_failed(self) -> None:
        if self.failure is not None:
            self.process.wait()
            raise ffmpeg_failure(self.process, self.log)

    def grab_frame(self, rgba) -> None:
        """Queue one (size, size, 4) uint8 frame; the caller may reuse its buffer as soon as this returns."""
        self._raise_if_failed()
        buffer = self.free.get()
        np.copyto(buffer, np.frombuffer(memoryview(rgba).cast("B"), np.uint8))
        self.filled.put(buffer)
        self.frames += 1

    def close(self) -> None:
        """Let ffmpeg finish the file; raise with its message if it failed."""
        self.filled.put(None)
        self.pump.join()
        self._raise_if_failed()
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise ffmpeg_failure(self.process, self.log)

    def finish(self) -> None:
        self.close()
        self.finished = True

    def cleanup(self) -> None:
        """Stop ffmpeg if it still runs; unless it finished, remove what it wrote."""
        if self.process.poll() is None:
            self.process.kill()  # a pump blocked in write() now fails and drains
            self.process.wait()
        if self.pump.is_alive():
            self.filled.put(None)
            self.pump.join(timeout=5)  # a daemon thread: never let it hold up an interrupted exit
        with contextlib.suppress(BrokenPipeError, OSError):
            self.process.stdin.close()
        RUNNING.discard(self.process)
        self.log.close()
        if not self.finished:
            self.path.unlink(missing_ok=True)


class FanOut:
    """Sends every frame to several writers, so one drawing pass feeds every format."""

    def __init__(self, writers: list):
        self.writers = writers

    @property
    def frames(self) -> int:
        return self.writers[0].frames

    def setup(self) -> None:
        started = []
        try:
            for writer in self.writers:
                writer.setup()
                started.append(writer)
        except BaseException:
            for writer in started:
                writer.cleanup()
            raise

    def grab_frame(self, rgba) -> None:
        for writer in self.writers:
            writer.grab_frame(rgba)

    def finish(self) -> None:
        for writer in self.writers:
            writer.finish()

    def cleanup(self) -> None:
        for writer in self.writers:
            writer.cleanup()


def verify(path: Path, frames: int) -> None:
    """Raise EncoderError unless the file at `path` decodes cleanly to exactly `frames` frames.

    ffmpeg can exit 0 having written nothing usable (a full disk on some filesystems, a killed writer); the
    file is decoded before it may replace anything.
    """
    command = [ffmpeg_exe(), "-nostdin", "-v", "error", "-threads", "1", "-i", str(path), "-map", "0:v:0",
               "-f", "null", "-progress", "pipe:1", "-"]  # fmt: skip
    answer = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    counts = re.findall(r"^frame=(\d+)$", answer.stdout, re.MULTILINE)
    decoded = int(counts[-1]) if counts else 0
    problem = "; ".join(answer.stderr.strip().splitlines()[:2])
    if answer.returncode or problem or decoded != frames:
        detail = f" ({problem})" if problem else ""
        raise EncoderError(f"ffmpeg wrote {decoded} decodable frames of {frames}{detail}")


def stop_all() -> None:
    """Kill this process's ffmpeg processes, and start no more: for a worker about to end with its parent."""
    SPAWNING.acquire()  # not released: the process ends right after this
    for process in list(RUNNING):
        with contextlib.suppress(OSError):
            process.kill()


@contextlib.contextmanager
def saving(writer):
    """setup, yield, finish; whatever happens, clean up (a failed or interrupted encode leaves nothing)."""
    writer.setup()
    try:
        yield writer
        writer.finish()
    finally:
        writer.cleanup()
