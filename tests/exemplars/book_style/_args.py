"""Small argument helper (not a kata)."""


def to_pair(value, name, minimum):
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        pair = (value, value)
    else:
        try:
            pair = tuple(value)
        except TypeError:
            raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}") from None
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if pair[0] < minimum or pair[1] < minimum:
        raise ValueError(f"{name}: every entry must be >= {minimum}, got {value!r}")
    return pair
