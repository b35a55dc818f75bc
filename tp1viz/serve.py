"""`tp1viz review --serve`: the review page over http, to this machine only, answering byte ranges.

A browser seeks a video only within what it may fetch by range: served without them (Python's own
`http.server`), Chromium shows step 0 wherever the scrubber is. Only the files of the folders the page shows
are served; a path that leads out of them (`..`, a symbolic link) is not found.
"""

import contextlib
import mimetypes
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

CHUNK = 1 << 16  # bytes sent at a time
TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".vtt": "text/vtt", ".js": "text/javascript",
         ".txt": "text/plain", ".html": "text/html", ".css": "text/css"}  # fmt: skip
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class Unsatisfiable(ValueError):
    """A range that starts past the file's end."""


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a Range header asks for; None for the whole file (no range, or one we do not
    answer: several at once). Unsatisfiable when it starts past the end."""
    wanted = RANGE.fullmatch(header.strip())
    if not wanted or not (wanted[1] or wanted[2]):
        return None
    if not wanted[1]:  # bytes=-N: the last N
        return max(0, size - int(wanted[2])), size - 1
    first, last = int(wanted[1]), int(wanted[2]) if wanted[2] else size - 1
    if first >= size or last < first:
        raise Unsatisfiable(header)
    return first, min(last, size - 1)


def content_type(path: Path) -> str:
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the served folders' files, whole or by range."""

    protocol_version = "HTTP/1.1"  # connections kept open: a player asks for many ranges

    def do_GET(self) -> None:
        self.answer(send_body=True)

    def do_HEAD(self) -> None:
        self.answer(send_body=False)

    def answer(self, send_body: bool) -> None:
        if urlsplit(self.path).path == "/" and self.server.home:
            self.send_response(302)
            self.send_header("Location", self.server.home)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        path = self.server.file_for(self.path)
        if path is None:
            return self.send_error(404)
        size = path.stat().st_size
        try:
            span = byte_range(self.headers.get("Range", ""), size)
        except Unsatisfiable:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        first, last = span or (0, size - 1)
        self.send_response(206 if span else 200)
        self.send_header("Content-Type", content_type(path))
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")  # the page may be written again while it is served
        if span:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        if send_body:
            self.send_bytes(path, first, last)

    def send_bytes(self, path: Path, first: int, last: int) -> None:
        with contextlib.suppress(ConnectionError), open(path, "rb") as file:  # a player drops reads it no longer needs
            file.seek(first)
            left = last - first + 1
            while left > 0:
                chunk = file.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def log_message(self, format, *args) -> None:
        pass  # a line per request would bury the one line that says where the page is


class Server(ThreadingHTTPServer):
    """Files under `base` that lie inside one of `folders`, and nothing else."""

    daemon_threads = True

    def __init__(self, folders: list[Path], port: int):
        self.folders = [Path(folder).resolve() for folder in folders]
        self.base = Path(os.path.commonpath(self.folders))
        self.home = ""
        super().__init__(("127.0.0.1", port), Handler)

    def file_for(self, url_path: str) -> Path | None:
        """The file a request's path names, if it is one we serve."""
        relative = unquote(urlsplit(url_path).path).lstrip("/")
        try:
            path = (self.base / relative).resolve()
        except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL
            return None
        inside = any(path.is_relative_to(folder) for folder in self.folders)
        return path if inside and path.is_file() else None

    def url_of(self, page: Path) -> str:
        """The page's address, which `/` also leads to."""
        self.home = "/" + quote(Path(page).resolve().relative_to(self.base).as_posix())
        return f"http://127.0.0.1:{self.server_address[1]}{self.home}"
