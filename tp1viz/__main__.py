"""`python -m tp1viz` and the `tp1viz` command: Ctrl-C and SIGTERM are routed first, before anything slow loads."""

import os
import sys

# numpy's BLAS starts a thread pool in every process, its buffers reserved up front: tp1viz's arrays are small, and
# under a memory cap (ulimit -v 200000) that reservation alone failed with OpenBLAS's own message.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import signals  # noqa: E402 -- after the environment a library reads when it loads

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
