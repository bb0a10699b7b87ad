"""``python -m carerota`` and the ``carerota`` command: Ctrl-C exits 130 without a traceback, even
while the libraries are still being imported (pandas takes most of a second). The C allocator is
tuned first (``carerota.memory``), and numpy's BLAS kept to one thread: the command runs once and exits."""

import os
import sys

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")  # read by OpenBLAS, in this order


def one_blas_thread(environ=os.environ) -> bool:
    """numpy's OpenBLAS starts a thread per core when numpy is imported, which spins for about a tenth
    of a second of CPU: on two cores, time taken from reading the rota. carerota does no linear
    algebra worth a thread, so it asks for none, unless the user set a thread count. Inherited by the
    batch's and planner's processes. Returns whether it was set."""
    if any(name in environ for name in BLAS_THREADS):
        return False
    environ["OPENBLAS_NUM_THREADS"] = "1"
    return True


def run() -> None:
    from carerota.memory import keep_freed_memory

    keep_freed_memory()
    one_blas_thread()
    try:
        from carerota.cli import main
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
