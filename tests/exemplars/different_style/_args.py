"""Argument helpers (not a kata)."""
from numbers import Integral


def _is_int(v):
    return isinstance(v, Integral) and not isinstance(v, bool)


def hw(value, what, lowest):
    """Normalise an int-or-pair argument into a tuple (h, w) of Python ints >= lowest."""
    if _is_int(value):
        h = w = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        h, w = (int(v) for v in value)
    else:
        raise ValueError(f"invalid {what}: {value!r} (want an int or two ints)")
    if min(h, w) < lowest:
        raise ValueError(f"invalid {what}: {value!r} (each entry must be at least {lowest})")
    return h, w
