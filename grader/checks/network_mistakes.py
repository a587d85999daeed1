"""Which known mistakes (grader/core/mistakes.toml) a network's probe data show. A mistake is named
only when the difference is exactly that mistake and no simpler explanation covers it: a wrong class
count — the same kinds of layers, an output that differs in its class count alone — before anything
about the layers' settings, "wrong order" only for the same layers in another order, a missing
layer kind only when nothing else is missing or extra."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

#: Layer kinds whose absence is a known mistake.
MISSING_KIND = {"ReLU": "missing_relu", "MaxPool2d": "missing_pooling", "AvgPool2d": "missing_pooling",
                "AdaptiveAvgPool2d": "missing_pooling", "BatchNorm2d": "missing_batch_norm"}


def wrong_class_count(got_kinds: dict, want_kinds: dict, got_shape: Sequence[int] | None,
                      want_shape: Sequence[int]) -> bool:
    """Whether a network that calls the same kinds of layers as the reference, as many of each,
    outputs (n, other classes) where (n, classes) is expected. (Without its global pooling, NiN
    outputs (n, classes · h · w): a layer kind is missing there, not a class count.)"""
    return (got_kinds == want_kinds and got_shape is not None and len(want_shape) == 2 and len(got_shape) == 2
            and got_shape[0] == want_shape[0] and got_shape[1] != want_shape[1])


def missing_kinds(got_kinds: dict, want_kinds: dict) -> list[str]:
    """Known mistakes for the layer kinds the learner's network calls fewer of than the reference,
    when those are the only kinds whose counts differ (a missing block lacks a batch norm too, but
    is no missing batch norm)."""
    differ = {kind for kind in {**got_kinds, **want_kinds} if got_kinds.get(kind, 0) != want_kinds.get(kind, 0)}
    fewer = {kind for kind in differ if kind in MISSING_KIND and got_kinds.get(kind, 0) < want_kinds.get(kind, 0)}
    return [mistake for kind, mistake in MISSING_KIND.items() if kind in fewer] if fewer == differ else []


def _kind_and_size(description: str) -> tuple[str, list[str]]:
    """``("Conv2d", ["3", "6"])`` for ``Conv2d(3, 6, k=3, s=1, p=1)``: the numbers before any setting."""
    kind, _, config = description.partition("(")
    return kind, [part for part in config.rstrip(")").split(", ") if "=" not in part]


def _same_size(first: str, second: str) -> bool:
    """Two different layer descriptions of one kind and size: only their settings differ."""
    return first != second and _kind_and_size(first) == _kind_and_size(second)


def _one_by_one(description: str) -> bool:
    return description.startswith("Conv2d") and ", k=1, " in description


def structure_mistakes(kwargs: dict, got: dict, want: dict) -> list[str]:
    """Known mistakes that explain how a structure probe's data (output, layers with parameters,
    every layer in call order, the layout of a sequence) differ from the reference's, for a network
    built with ``kwargs``."""
    if wrong_class_count(got["kinds"], want["kinds"], got["out"].get("shape"), want["out"]["shape"]):
        return ["num_classes_ignored"]
    found = missing_kinds(got["kinds"], want["kinds"])
    missing = Counter(want["param_layers"]) - Counter(got["param_layers"])
    extra = Counter(got["param_layers"]) - Counter(want["param_layers"])
    if any(_same_size(m, e) and _one_by_one(m) and not _one_by_one(e) for m in missing for e in extra):
        found.append("nin_1x1_kernel_size")
    stride_lost = [layer for layer in missing if ", s=2," in layer and layer.replace(", s=2,", ", s=1,") in extra]
    if stride_lost and all(_one_by_one(layer) for layer in stride_lost):  # the main path kept its stride
        found.append("shortcut_without_stride")
    if not missing and any(_one_by_one(layer) for layer in extra):
        found.append("shortcut_always_built")
    if not found and any(_same_size(m, e) for m in missing for e in extra):
        found.append("layer_settings_differ")
    if got["order"] != want["order"] and Counter(got["order"]) == Counter(want["order"]):
        found.append("layers_out_of_order")
    if kwargs.get("first_block") and got["layout"] and any(
            g[1][2:] == [s // 2 for s in w[1][2:]] and w[1][2] > 1 for g, w in zip(got["layout"], want["layout"])):
        found.append("first_stage_halved")
    return found


def output_mistakes(got_kinds: dict, want_kinds: dict, got_shape: Sequence[int] | None,
                    want_shape: Sequence[int]) -> list[str]:
    """Known mistakes that explain a network's different output: a wrong class count alone, or
    missing layer kinds."""
    if wrong_class_count(got_kinds, want_kinds, got_shape, want_shape):
        return ["num_classes_ignored"]
    return missing_kinds(got_kinds, want_kinds)
