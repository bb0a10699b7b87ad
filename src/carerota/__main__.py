"""``python -m carerota`` and the ``carerota`` command: Ctrl-C exits 130 without a traceback, even
while the libraries are still being imported (pandas takes most of a second). The C allocator is
tuned first (``carerota.memory``): the command runs once and exits."""

import sys


def run() -> None:
    from carerota.memory import keep_freed_memory

    keep_freed_memory()
    try:
        from carerota.cli import main
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
