"""`python -m tp1viz` and the `tp1viz` command: Ctrl-C and SIGTERM are routed first, before anything slow loads."""

import sys

from . import signals

signals.install()


def main() -> None:
    try:
        from .cli import run
    except (MemoryError, ImportError, SystemError) as error:  # under a memory cap (ulimit -v) even the CLI's import
        sys.stderr.write(f"Error: cannot start: {type(error).__name__}: {error} (out of memory?)\n")
        sys.exit(1)
    run()


if __name__ == "__main__":
    main()
