"""Network summaries that don't depend on the learner's attribute names, a deterministic
initialisation that lets two independently written networks be compared number for number, and
the dry run that gives Lazy layers their shapes before any of that.

Layers are identified by what they are and when they run — their class, configuration and
parameter shapes, in the order the forward pass calls them — never by attribute names.
"""
from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable
from itertools import chain

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from grader.core.i18n import _, ngettext

from .judges import shape_text


def uninitialised_layers(module: nn.Module) -> list[str]:
    """``LazyConv2d (conv3)`` for each sub-module with a parameter or buffer that has no shape yet
    (a Lazy layer before its first forward pass)."""
    itself = _("the module itself")
    return [f"{type(m).__name__} ({name or itself})" for name, m in module.named_modules()
            if any(is_lazy(t) for t in chain(m.parameters(recurse=False), m.buffers(recurse=False)))]


def materialised(module: nn.Module, input_shape: tuple[int, ...]) -> nn.Module:
    """``module`` with its Lazy layers (``nn.LazyConv2d``, ``nn.LazyLinear``, ``nn.LazyBatchNorm2d``…)
    shaped, as d2l's ``apply_init`` does: a dry run, one forward pass on zeros of ``input_shape``
    (on the default device, so meta under ``torch.device("meta")``) under torch.no_grad in eval
    mode — no batch statistic moves, no dropout draws — each sub-module's mode restored after it.
    A module without Lazy layers is returned untouched: no forward pass, nothing drawn from the
    random generator. Raises ValueError when a Lazy layer is still unshaped (never called)."""
    if not uninitialised_layers(module):
        return module
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            module(torch.zeros(input_shape))
    finally:
        for m, training in modes:
            m.training = training
    unshaped = uninitialised_layers(module)
    if unshaped:
        # Translators: {layers} lists layers such as "LazyConv2d (conv3)"; {shape} is an input shape such as "(2, 3, 6, 6)"
        raise ValueError(ngettext(
            "{layers} never ran in a forward pass on an input {shape}: a Lazy layer takes its shapes from its first "
            "input, so it has none — a layer built but never used",
            "{layers} never ran in a forward pass on an input {shape}: a Lazy layer takes its shapes from its first "
            "input, so they have none — a layer built but never used",
            len(unshaped)).format(layers=", ".join(unshaped), shape=shape_text(input_shape)))
    return module


def _size(value):
    """3 for (3, 3), (3, 5) stays a pair."""
    if isinstance(value, tuple) and len(set(value)) == 1:
        return value[0]
    return value


def _conv_padding(layer: nn.Conv2d):
    """Padding per side; padding='same' with odd kernels is the symmetric padding it stands for."""
    if layer.padding == "same" and all((d * (k - 1)) % 2 == 0 for d, k in zip(layer.dilation, layer.kernel_size)):
        return tuple(d * (k - 1) // 2 for d, k in zip(layer.dilation, layer.kernel_size))
    return layer.padding


def _batch_norm_config(layer) -> str:
    """num_features, and whatever differs from the defaults that ResNet's batch norms use."""
    changed = [f"{name}={getattr(layer, name)}" for name, default in
               (("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True))
               if getattr(layer, name) != default]
    return ", ".join([str(layer.num_features)] + changed)


#: How torch's standard layers are shown: what defines what they compute, compactly.
LAYER_CONFIG = {
    nn.Conv2d: lambda m: f"{m.in_channels}, {m.out_channels}, k={_size(m.kernel_size)}, s={_size(m.stride)}, "
                         f"p={_size(_conv_padding(m))}",
    nn.Linear: lambda m: f"{m.in_features}, {m.out_features}",
    nn.BatchNorm2d: lambda m: _batch_norm_config(m),
    nn.BatchNorm1d: lambda m: _batch_norm_config(m),
    nn.MaxPool2d: lambda m: f"k={_size(m.kernel_size)}, s={_size(m.stride)}, p={_size(m.padding)}",
    nn.AvgPool2d: lambda m: f"k={_size(m.kernel_size)}, s={_size(m.stride)}, p={_size(m.padding)}",
    nn.AdaptiveAvgPool2d: lambda m: f"{_size(m.output_size)}",
    nn.AdaptiveMaxPool2d: lambda m: f"{_size(m.output_size)}",
    nn.Dropout: lambda m: f"p={m.p}",
}


def describe_layer(module: nn.Module) -> str:
    """``Conv2d(3, 6, k=3, s=2, p=1)``, ``ReLU``, or for a layer of the learner's own: its class
    name and parameter shapes."""
    name = type(module).__name__
    for kind, config in LAYER_CONFIG.items():
        if isinstance(module, kind):
            return f"{name}({config(module)})"
    shapes = [tuple(p.shape) for _, p in sorted(module.named_parameters(recurse=False))]
    return f"{name}{shapes}" if shapes else name


def owns_parameters(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False))


def called_layers(module: nn.Module, *inputs: torch.Tensor) -> list[nn.Module]:
    """The leaf layers and parameter-owning modules of ``module``, in the order a forward pass on
    ``inputs`` first calls them; those never called follow in registration order."""
    candidates = [m for m in module.modules() if not any(True for _ in m.children()) or owns_parameters(m)]
    order: list[nn.Module] = []
    seen: set[int] = set()

    def record(layer, _args, _output):
        if id(layer) not in seen:
            seen.add(id(layer))
            order.append(layer)

    handles = [m.register_forward_hook(record) for m in candidates]
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return order + [m for m in candidates if id(m) not in seen]


def layer_kinds(net: nn.Module, layers: Iterable[nn.Module]) -> dict[str, int]:
    """How many of each kind of layer a forward pass calls (``layers``: ``called_layers``), and how
    many modules of each class ``net`` holds that are not torch's: their forward may call ReLU or
    pooling as functions, which no layer count sees, so a kind the reference has more of is a
    missing layer only when the two networks hold the same classes of their own."""
    own = Counter(type(m).__name__ for m in net.modules() if not type(m).__module__.startswith("torch."))
    return dict(Counter(type(layer).__name__ for layer in layers) + own)


def parameter_layers(layers: Iterable[nn.Module]) -> list[str]:
    """Descriptions of the layers that own parameters."""
    return [describe_layer(m) for m in layers if owns_parameters(m)]


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def deterministic_init(module: nn.Module, *inputs: torch.Tensor, seed: int) -> list[nn.Module]:
    """Give every parameter values drawn from ``seed`` and the parameter's identity — its shape
    and its rank among same-shaped layers in call order — so that two networks with the same
    layers get the same weights, whatever the learner named them. Returns the layers in call order."""
    rank: Counter = Counter()
    layers = called_layers(module, *inputs)
    for layer in layers:
        parameters = sorted(layer.named_parameters(recurse=False))
        if not parameters:
            continue
        signature = tuple(tuple(p.shape) for _, p in parameters)
        key = f"{seed}:{signature}:{rank[signature]}"
        rank[signature] += 1
        generator = torch.Generator().manual_seed(zlib.crc32(key.encode()))
        for name, parameter in parameters:
            values = torch.rand(parameter.shape, generator=generator, dtype=torch.float64)
            if name in ("bias", "beta"):  # shifts: centred, so that ReLUs see both signs
                values = values - 0.5
            elif parameter.dim() >= 2 and parameter.shape[0] > 1:  # weights: unit variance through the layer
                values = (2 * values - 1) * math.sqrt(3 / parameter[0].numel())
            else:  # scales (batch norm's weight or gamma): positive, of order one
                values = 0.5 + values
            parameter.copy_(values.to(parameter.dtype))
    return layers


def set_dropout_eval(module: nn.Module) -> None:
    """Switch off dropout (and only dropout) so that a training-mode forward is deterministic."""
    for layer in module.modules():
        if isinstance(layer, nn.modules.dropout._DropoutNd):
            layer.eval()


def block_layout(children: Iterable[nn.Module], x: torch.Tensor) -> list[list]:
    """[describe_layer(child) or class name, output shape] for each child applied in turn, like the
    book's ``for layer in net: X = layer(X); print(...)``."""
    layout = []
    for child in children:
        x = child(x)
        label = describe_layer(child) if not any(True for _ in child.children()) else type(child).__name__
        layout.append([label, list(x.shape)])
    return layout
