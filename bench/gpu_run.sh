#!/usr/bin/env bash
# bench/gpu_train.py on a bare CUDA (or TPU) host that has JAX and no network.
#
# 1. Here, with the package index reachable, fetch the wheels Keras and the build need into .whl/
#    (for the host's Python, 3.12 by default; optree is compiled, so its manylinux wheel):
#        bash bench/gpu_run.sh --prepare [PYTHON_VERSION]
# 2. Copy the checkout with .whl/ to the host (or carry it), then there, from the checkout's root:
#        bash bench/gpu_run.sh [gpu_train.py flags, e.g. --seeds 5 --out /tmp/out]
#    It installs the wheels into /tmp/betavae_site (nothing else is touched), compiles mc_ext in place
#    with the host's compiler and Cython, and runs the benchmark on Keras's JAX backend. TensorFlow is
#    not needed there: the loss is closed-form keras.ops, the data are sampled in memory by mc_ext.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=(keras==3.15.1 namex==0.1.0 optree==0.20.0 setuptools==84.2.1)
if [ "${1:-}" = "--prepare" ]; then
  version="${2:-3.12}"
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  python3 -m pip download --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "${WHEELS[@]}"
  ls .whl
  exit 0
fi
python=${PYTHON:-python3}
"$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/betavae_site .whl/*.whl
export PYTHONPATH="${EXTRA_PATH:-}/tmp/betavae_site:$PWD" KERAS_BACKEND=jax PYTHONUNBUFFERED=1
"$python" setup.py -q build_ext --inplace > /tmp/betavae_build.log 2>&1 || { tail -20 /tmp/betavae_build.log; exit 1; }
"$python" -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
exec "$python" bench/gpu_train.py --backend=jax "$@"
