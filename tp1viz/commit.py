"""Putting a scene in place: all its new files and its manifest entries, or none of them.

The scene's files are complete temporary files by now, verified and flushed (a full disk has failed
already). Under the output folder's lock the commit is checked first, so that one that starts finishes: every
target a regular file or nothing, in a real folder of the media folder that can be written, the manifest
readable, and no file of the scene on disk that the commit would leave behind (another render's WebM, say).
Then a commit record is written: which temporary file becomes which output, and the new manifest entries.
Then, with SIGINT and SIGTERM held back, the files are renamed into place, the manifest updated and the record
deleted. A render killed (SIGKILL) in between leaves the record; the next render to take the lock finishes it
(roll forward) before it does anything else, once the record proves to be one tp1viz could have written.
"""

import json
import os
import re
import secrets
from pathlib import Path

from . import folder, manifest, signals
from .files import TEMP, BadFile, check_path, fsync_dir, read_bytes, replace, write_bytes

RECORD = re.compile(r"(?P<token>[0-9a-f]{16})-(?P<scene>[a-z0-9_]+)\.json")  # as commit() names them
MAX_RECORD_BYTES = 2**20  # a scene's record is a few KB


class Refused(Exception):
    """A commit that could not finish, found before anything moved: the scene is as it was."""


class Unfinished(Exception):
    """A rename failed after the checks passed (a disk error, a race): the manifest says which files are new."""


class BadRecord(ValueError):
    """A commit record that tp1viz could not have written."""


def commit(out_dir: Path, drawn, token: str) -> None:
    """Move the scene's temporary files onto their targets and record them in the manifest, as one step."""
    out_dir = Path(out_dir)
    moves = [[relative(new.temp, out_dir), relative(new.output.path, out_dir)] for new in drawn.files]
    entries = manifest.entries(drawn, out_dir)
    with folder.locked(out_dir):
        preflight(out_dir, drawn.scene, moves)
        record = out_dir / folder.COMMITS / f"{token}-{drawn.scene.name}.json"
        write_bytes(record, json.dumps({"moves": moves, "entries": entries}, sort_keys=True).encode(), token)
        with signals.deferred():
            failed = finish(out_dir, record, moves, entries, token)
    if failed:
        new = len(moves) - len(failed)
        raise Unfinished(f"could not replace {', '.join(failed)}; {new} of its {len(moves)} files are new, and "
                         f"{folder.MANIFEST} says which: render it again")  # fmt: skip


def relative(path: Path, out_dir: Path) -> str:
    return Path(path).relative_to(out_dir).as_posix()


def preflight(out_dir: Path, scene, moves: list) -> None:
    """Refuse (Refused) a commit that could not finish, before anything moves."""
    targets = {target for _, target in moves}
    for temp, target in moves:
        try:
            check_path(out_dir, target, "file")  # no link on the way; a regular file or nothing
        except BadFile as error:
            raise Refused(f"{error}; nothing was replaced") from None
        if not folder.is_regular(out_dir / temp):
            raise Refused(f"its new {target} is gone (removed by hand?); nothing was replaced")
    for parent in sorted({(out_dir / target).parent for target in targets} | {out_dir}):
        if not os.access(parent, os.W_OK | os.X_OK):
            raise Refused(f"cannot write in {parent} (permission denied); nothing was replaced")
    try:
        folder.read_raw(out_dir)  # a manifest that cannot be read would fail the commit after the renames
    except (OSError, BadFile) as error:
        raise Refused(f"cannot read {out_dir / folder.MANIFEST}: {getattr(error, 'strerror', None) or error}; "
                      "nothing was replaced") from None  # fmt: skip
    behind = [relative(output.path, out_dir) for output in scene.with_formats_on_disk(out_dir).outputs(out_dir)
              if relative(output.path, out_dir) not in targets]  # fmt: skip
    if behind:
        raise Refused(f"another render wrote {behind[0]} while this one drew (another --format?); nothing was "
                      "replaced: render it again")  # fmt: skip


def finish(out_dir: Path, record: Path, moves: list, entries: dict, token: str) -> list[str]:
    """The renames and the manifest of one recorded commit, then its record gone; safe to repeat.

    The manifest takes only the entries that describe their files as they now are: a rename that failed
    leaves the old file and its old entry. Returns the targets that could not be replaced, each with why.
    """
    failed = []
    for temp, target in moves:
        if os.path.lexists(out_dir / temp):  # a move the killed commit had made already is not made twice
            try:
                replace(out_dir / temp, out_dir / target)
            except OSError as error:
                failed.append(f"{target} ({error.strerror})")
    true = {path: entry for path, entry in entries.items() if folder.describes(out_dir / path, entry)}
    folder.merge(out_dir, true, token)
    record.unlink(missing_ok=True)
    fsync_dir(record.parent)
    return failed


def is_own_move(temp: str, target: str, token: str | None = None) -> bool:
    """Whether a recorded move renames one of our temporary files (of `token`'s render) onto the output it was
    made for, inside the folder."""
    temp, target = Path(temp), Path(target)
    match = TEMP.fullmatch(temp.name)
    inside = not target.is_absolute() and ".." not in target.parts and "." not in target.parts
    same = bool(match) and temp.parent == target.parent and match["name"] == target.name
    return inside and same and (token is None or match["token"] == token)


def read_record(out_dir: Path, record: Path, is_output) -> tuple[str, list, dict]:
    """A record's scene, moves and entries, once it proves to be one commit() wrote: BadRecord otherwise.

    `is_output(target, scene)` says whether a scene of that name writes that file: a record may move only a
    temporary file of its own render onto an output of its own scene, never onto anyone else's file.
    """
    match = RECORD.fullmatch(record.name)
    if not match:
        raise BadRecord("not named as tp1viz names its records")
    try:
        data = json.loads(read_bytes(record, MAX_RECORD_BYTES).decode("utf-8"), parse_constant=not_json)
    except (OSError, BadFile, ValueError, RecursionError) as error:
        raise BadRecord(f"not a JSON record ({getattr(error, 'strerror', None) or error})") from None
    if not isinstance(data, dict) or sorted(data) != ["entries", "moves"]:
        raise BadRecord('not {"moves": [...], "entries": {...}}')
    moves, entries = data["moves"], data["entries"]
    pairs = isinstance(moves, list) and all(isinstance(m, list) and len(m) == 2 for m in moves)
    if not (pairs and moves and all(isinstance(p, str) for m in moves for p in m) and isinstance(entries, dict)):
        raise BadRecord("its moves are not pairs of paths")
    targets = [target for _, target in moves]
    if len(set(targets)) != len(targets) or set(entries) != set(targets):
        raise BadRecord("its entries are not those of its moves")
    for temp, target in moves:
        if not (is_own_move(temp, target, match["token"]) and is_output(target, match["scene"])):
            raise BadRecord(f"{temp!r} -> {target!r} is not a temporary file of its render onto {match['scene']}'s "
                            "output")  # fmt: skip
        if not folder.is_valid(target, entries[target]):
            raise BadRecord(f"its entry for {target} is not valid")
        try:
            check_path(out_dir, target, "file")
            check_path(out_dir, temp, "file")
        except BadFile as error:
            raise BadRecord(str(error)) from None
    return match["scene"], moves, entries


def not_json(name: str):
    raise ValueError(f"{name} is not JSON")


def roll_forward(out_dir: Path, token: str, is_output) -> tuple[list[str], list[str]]:
    """Finish every commit a killed render left (hold folder.locked): the scenes finished, and a line for each
    record that is not one tp1viz wrote (kept aside, nothing renamed) or that could not be finished whole."""
    out_dir = Path(out_dir)
    commits = out_dir / folder.COMMITS
    finished, notices = [], []
    for record in sorted(commits.iterdir()) if folder.is_dir(commits) else ():
        if record.name.startswith(".") or record.suffix != ".json":
            continue  # a record being written (a temporary file), or not a record at all
        try:
            scene, moves, entries = read_record(out_dir, record, is_output)
        except BadRecord as error:
            notices.append(set_aside(out_dir, record, str(error)))
            continue
        failed = finish(out_dir, record, moves, entries, token)
        finished.append(scene)
        if failed:
            notices.append(f"{scene}: the commit a killed render left could not replace {', '.join(failed)}; "
                           f"{folder.MANIFEST} says which files are new")  # fmt: skip
    return finished, notices


def set_aside(out_dir: Path, record: Path, why: str) -> str:
    """Move a record that no tp1viz wrote out of the way, under a name of its own; the line that says so."""
    check_path(out_dir, folder.REJECTED, "folder")
    aside = out_dir / folder.REJECTED / f"{record.name}.{secrets.token_hex(4)}"
    aside.parent.mkdir(exist_ok=True)
    os.replace(record, aside)  # the entry itself, whatever it is: a link is moved, never followed
    return (f"{relative(record, out_dir)} is not a commit tp1viz made ({why}); kept aside as "
            f"{relative(aside, out_dir)}, nothing renamed")  # fmt: skip
