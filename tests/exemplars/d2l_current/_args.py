"""Argument checks the kata API asks for (the book's code takes its arguments on trust)."""


def pair(value, name, minimum):
    """An int or a pair of ints, each at least ``minimum``, as an (h, w) tuple."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or any(type(v) is not int for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return values
