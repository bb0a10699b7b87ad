"""``python -m carerota`` and the ``carerota`` command: Ctrl-C exits 130 without a traceback, even
while the libraries are still being imported (pandas takes most of a second)."""

import sys


def run() -> None:
    try:
        from carerota.cli import main
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
