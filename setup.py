"""Build script: compiles the Cython Monte Carlo kernels in mc_ext/ with OpenMP, and ships flags/ in the package."""

import glob
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}

if sys.platform == "darwin":  # Apple clang needs libomp and -Xpreprocessor.
    omp_compile, omp_link = ["-Xpreprocessor", "-fopenmp"], ["-lomp"]
elif sys.platform == "win32":
    omp_compile, omp_link = ["/openmp"], []
else:
    omp_compile, omp_link = ["-fopenmp"], ["-fopenmp"]

extra_compile = ["-O3"] + omp_compile if sys.platform != "win32" else ["/O2"] + omp_compile
if os.environ.get("MC_EXT_NATIVE") == "1":  # opt-in: code tuned to the build machine
    extra_compile.append("-march=native")

# Every private kernel mc_ext/_*.pyx is one extension module.
extensions = [
    Extension(
        f"mc_ext.{os.path.basename(path)[:-4]}",
        [path],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=extra_compile,
        extra_link_args=omp_link,
    )
    for path in sorted(glob.glob("mc_ext/_*.pyx"))
]

# flags/ and each of its subdirectories (data/, train/, repro/) as data-only packages.
FLAG_PACKAGES = ["betavae_tf.flags"] + [
    f"betavae_tf.flags.{d}" for d in sorted(os.listdir("flags")) if os.path.isdir(os.path.join("flags", d))
]

setup(
    # The repository's flags/ directory ships inside the package as betavae_tf/flags,
    # so an installed wheel finds the flagfiles without a clone.
    packages=find_packages(include=["betavae_tf", "betavae_tf.*", "mc_ext"]) + FLAG_PACKAGES,
    package_dir={"betavae_tf.flags": "flags"},
    package_data={**{p: ["*.flags"] for p in FLAG_PACKAGES}, "betavae_tf": ["py.typed"], "mc_ext": ["*.pyx", "*.pxd"]},
    exclude_package_data={"mc_ext": ["*.c"]},
    ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES),
)
