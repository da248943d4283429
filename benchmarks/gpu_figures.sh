#!/usr/bin/env bash
# The course's GPU figures in one run, on a machine with a CUDA GPU (nothing here needs a network):
#   bash benchmarks/gpu_figures.sh OUTDIR [NOTEBOOK ...]
# Writes into OUTDIR: the GPU's description, the CUDA-only tests, the Triton kernels against PyTorch
# (FlashAttention-2 vs SDPA, softmax bandwidth), the training step against HF Llama with its MFU, a
# short `course train --preset gpu` run with its MFU, and the named notebooks executed on the GPU.
set -uo pipefail
out=${1:?usage: bash benchmarks/gpu_figures.sh OUTDIR [NOTEBOOK ...]}
shift
mkdir -p "$out"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
course() { python3 -c 'import sys; from course_lib.tools.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
step() { echo "=== $1 ($(date -u +%T))"; }

step gpu; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$out/gpu.txt"
python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)' | tee -a "$out/gpu.txt"
step "cuda tests"
python3 -m pytest -q -o addopts="" -p no:cacheprovider -m cuda tests/test_kernels.py \
    tests/test_kernels_flash_attention.py tests/assignments/a2/test_flash_attention.py 2>&1 | tee "$out/cuda_tests.txt"
step kernels; python3 benchmarks/kernels.py 2>&1 | tee "$out/kernels.txt"
step "training step"; python3 benchmarks/training.py 2>&1 | tee "$out/training.txt"
step "course train"; course train --preset gpu --steps 300 --no-progress --out /tmp/gpu-run 2>&1 | tee "$out/train_gpu.txt"
if [ $# -gt 0 ]; then
    step notebooks
    # Executed top to bottom on the GPU; a failing cell is recorded in the copy (not raised) so that
    # every later cell still runs and the error can be read.
    python3 - "$out" "$@" <<'PY' 2>&1 | tee "$out/notebooks.txt"
import sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
out = Path(sys.argv[1])
for path in map(Path, sys.argv[2:]):
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    errors = [(i, o["ename"], o["evalue"][:300]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    print(f"{path}: {time.perf_counter() - start:.1f} s, errors: {errors or 'none'}")
    nbformat.write(nb, out / path.name)
PY
fi
step done
