"""CuPy support: the emulated device (:mod:`impls.cupy.emulated`) and the reference's CuPy hooks."""
