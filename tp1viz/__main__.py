"""`python -m tp1viz` and the `tp1viz` command: Ctrl-C and SIGTERM are routed first, before anything slow loads."""

from . import signals

signals.install()


def main() -> None:
    from .cli import run

    run()


if __name__ == "__main__":
    main()
