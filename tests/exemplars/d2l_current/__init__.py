"""Alternative implementation of the convkata katas, as d2l 1.0 (the book's current edition) writes
them: Lazy layers, and d2l 1.0's Residual."""
