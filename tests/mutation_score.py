"""The mutation score of each mutated module, from the results `mutmut run` left in mutants/: the table of
docs/pages/mutation.md. Run from the checkout's root: `.venv/bin/python tests/mutation_score.py`."""

import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py), as the table names them
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout", 24: "timeout",
          -24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}  # fmt: skip
COLUMNS = ("killed", "survived", "timeout", "no tests", "not checked", "other")


def tally(meta: Path) -> Counter:
    codes = json.loads(meta.read_text())["exit_code_by_key"].values()
    return Counter(STATUS.get(code, "other") for code in codes)


def row(name: str, counts: Counter) -> str:
    total = sum(counts.values())
    score = f"{100 * counts['killed'] / total:.1f}%" if total else "-"
    return f"| {name} | {total} | " + " | ".join(str(counts[column]) for column in COLUMNS) + f" | {score} |"


def main(folder: Path = Path("mutants")) -> int:
    metas = sorted(folder.glob("tp1viz/*.py.meta"))
    if not metas:
        print(f"no mutmut results in {folder}/: run `.venv/bin/mutmut run` first", file=sys.stderr)
        return 2
    print("| module | mutants | " + " | ".join(COLUMNS) + " | score (killed / mutants) |")
    print("|---|" + "---|" * (len(COLUMNS) + 2))
    every = Counter()
    for meta in metas:
        counts = tally(meta)
        every += counts
        print(row(meta.name.removesuffix(".meta"), counts))
    print(row("all six", every))
    return 0


if __name__ == "__main__":
    sys.exit(main())
