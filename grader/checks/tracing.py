"""Which torch functions a piece of learner code calls, for the katas' rules."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.overrides import TorchFunctionMode, resolve_name

from grader.core.i18n import N_, _

#: Substrings of torch function names that the corr2d-family katas may not call, and why.
FORBIDDEN = {
    "conv": N_("torch's convolution does the work this kata asks you to write"),
    "unfold": N_("unfold (im2col or sliding windows) does the windowing this kata asks you to write"),
}


class _CallRecorder(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.names: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(resolve_name(func) or getattr(func, "__qualname__", repr(func)))
        return func(*args, **(kwargs or {}))


def torch_calls(call: Callable[[], Any]) -> list[str]:
    """Names of the torch functions that ``call`` calls directly, in call order."""
    with _CallRecorder() as recorder:
        call()
    return recorder.names


def forbidden_calls(names: list[str]) -> dict[str, str]:
    """The forbidden functions among ``names``, each with the reason it is forbidden (in the language
    convkata speaks)."""
    found = {}
    for name in names:
        for fragment, reason in FORBIDDEN.items():
            if fragment in name.rsplit(".", 1)[-1].lower():
                found.setdefault(name, _(reason))
    return found
