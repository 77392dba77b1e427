"""``python -m benchmarks.run [--json out.json] [--only W1,W4] [--quick]``.

A thin entry point: the workloads are in :mod:`tinygrad_edu.bench`. It pins the BLAS
thread pools to one thread before NumPy loads (unless the caller set them), so that
hand NumPy, tinygrad_edu and PyTorch (``set_num_threads(1)``) all run on one core.
"""

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from tinygrad_edu.bench import main  # noqa: E402  (after the thread settings)

if __name__ == "__main__":
    sys.exit(main())
