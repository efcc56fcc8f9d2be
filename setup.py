"""Build script: compiles the Cython Monte Carlo kernels in mc_ext/ with OpenMP."""
import os
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

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

extensions = [
    Extension(
        f"mc_ext.{name}",
        [f"mc_ext/{name}.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=extra_compile,
        extra_link_args=omp_link,
    )
    for name in ("_ising", "_potts", "_xy")
]

setup(ext_modules=cythonize(extensions, compiler_directives=COMPILER_DIRECTIVES))
