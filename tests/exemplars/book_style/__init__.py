"""Alternative implementation of the convkata katas, written the way the d2l book writes them."""
