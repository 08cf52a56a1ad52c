"""Numba kernels for the ``numba`` backend (imported only when the backend is loaded)."""
