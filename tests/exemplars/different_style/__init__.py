"""Alternative implementation of the convkata katas with deliberately different internals."""
