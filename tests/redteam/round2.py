"""The second red-team set (tests/project/test_redteam_round2.py): the attacks of issue 13, declared
like tests/redteam/hostile.py's (same ``Hostile``, ``build`` and placeholders, plus @FORGED@: the
forger's probe data, @KEY@: a SysV IPC key for the colluding pair, and @OTHERS@: the other
submissions' names, which a kata must never find in its memory).

Graded on three katas — corr2d, conv2d_module (conv_layer.py) and batch_norm_module (batch_norm.py,
the cheapest kata with a convergence check) — with an honest submission and the stubs beside them.
"""
from __future__ import annotations

from grader.core import stubgen
from tests.redteam.hostile import ALL, EMIT, HEAP_BLOBS, Hostile, Replace, _code

KATAS = ("corr2d", "conv2d_module", "batch_norm_module")
#: The stubs' batch_norm.py, for attacks on conv_layer.py (batch_norm_module's training is costly).
STUB_BATCH_NORM = Replace(stubgen.generate()["batch_norm.py"])
HONEST_CONV = {"corr2d": ALL, "conv2d_module": ALL}

#: Swap the probe of every check it has data for (frozen dataclasses yield to object.__setattr__):
#: the reference's structure, example and rule data, and a training run that converges perfectly.
FORGE_PROBES = _code("""
    import base64 as _b64, io as _io
    import torch as _torch
    import grader.checks as _checks

    _FORGED = _torch.load(_io.BytesIO(_b64.b64decode("@FORGED@")), weights_only=True)
    for _check in _checks.all_checks():
        if _check.id in _FORGED:
            object.__setattr__(_check, "probe", lambda module, seed, _data=_FORGED[_check.id]: _data)
""")

#: What the writer leaves in SysV shared memory, a message queue, a semaphore and its user keyring,
#: and what the reader looks for: if it found any, it would answer with the reference's corr2d.
_IPC = _code("""
    import ctypes as _ctypes, os as _os
    _libc = _ctypes.CDLL(None, use_errno=True)
    _KEY, _TOKEN = @KEY@, b"@SENTINEL@"
    _ADD_KEY, _KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(_os.uname().machine, (-1, -1))
    _libc.shmat.restype = _ctypes.c_void_p
""")
#: The reference's corr2d, defined by an attack that found what it looked for (indented under its ``if``).
_ANSWER = """    def corr2d(X, K):
        h, w = K.shape
        Y = X.new_zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y
"""
IPC_WRITER = _IPC + _code("""
    def _leave():
        shm = _libc.shmget(_KEY, 1 << 20, 0o1000 | 0o666)
        if shm >= 0:
            address = _libc.shmat(shm, None, 0)
            if address not in (None, _ctypes.c_void_p(-1).value):
                _ctypes.memmove(address, _TOKEN, len(_TOKEN))
        queue = _libc.msgget(_KEY, 0o1000 | 0o666)
        if queue >= 0:
            message = _ctypes.create_string_buffer(8 + len(_TOKEN))
            _ctypes.memmove(_ctypes.addressof(message), (1).to_bytes(8, "little") + _TOKEN, 8 + len(_TOKEN))
            _libc.msgsnd(queue, message, len(_TOKEN), 0o4000)
        _libc.semget(_KEY, 1, 0o1000 | 0o666)
        _libc.syscall(_ADD_KEY, b"user", b"convkata-redteam", _TOKEN, _ctypes.c_size_t(len(_TOKEN)), _ctypes.c_int(-4))
    _leave()
""")
IPC_READER = _IPC + _code("""
    def _found():
        shm = _libc.shmget(_KEY, 0, 0)
        if shm >= 0:
            address = _libc.shmat(shm, None, 0o10000)
            if address not in (None, _ctypes.c_void_p(-1).value) and _ctypes.string_at(address, len(_TOKEN)) == _TOKEN:
                return True
        if _libc.msgget(_KEY, 0) >= 0 or _libc.semget(_KEY, 0, 0) >= 0:
            return True
        return _libc.syscall(_KEYCTL, 10, _ctypes.c_int(-4), b"user", b"convkata-redteam", 0) >= 0  # KEYCTL_SEARCH

    if _found():
""") + _ANSWER

#: Another student's request (name, files, seeds), looked for in the memory the kata's process
#: inherited from the server that forked it: its heap, and what malloc hands out.
STALE_REQUESTS = HEAP_BLOBS + _code("""
    import re as _re

    def _found():  # another submission's name (not a damaged copy of its own request's)
        names = {m.group(1) for blob in _blobs_from_heap() for m in _re.finditer(rb'"shown_as": "([^"]+)"', blob)}
        return bool(names & (set(b"@OTHERS@".split(b",")) - {b"stale-requests"}))

    if _found():
""") + _ANSWER

#: 3000 nested folders in its working folder (deeper than PATH_MAX can name), left behind.
DEEP_TREE = _code("""
    import os as _os
    _fd = _os.open(".", _os.O_RDONLY)
    for _ in range(3000):
        try:
            _os.mkdir("@SENTINEL@", dir_fd=_fd)
            _fd = _os.open("@SENTINEL@", _os.O_RDONLY, dir_fd=_fd)
        except OSError:
            break
""")

#: Children that leave the session (or try to) and burn CPU, while the kata's own process sleeps:
#: under a wall-clock limit alone it would hold two cores until the hang guard.
SPIN_SESSION = _code("""
    import os as _os, time as _time
    for _ in range(2):
        if _os.fork() == 0:
            try:
                _os.setsid()
            except OSError:
                pass
            while True:
                pass
    _time.sleep(120)
""")

#: Frames that are small to send and large to keep: 1000 distinct 3 KB warnings, and data of shared
#: references whose account in a judge's message would be megabytes.
BLOW_UP = EMIT + _code("""
    def _blow_up():
        request = _request()
        if not request["checks"]:
            return
        row = ["x" * 30] * 1000
        events = [{"event": "started"}, {"event": "imported"}]
        for check_id, _ in request["checks"]:
            events.append({"event": "check", "id": check_id, "probed": {
                "outcome": "data", "data": [row] * 60, "warnings": [str(n) * 3000 for n in range(1000)]}})
            events.append({"event": "check", "id": check_id, "probed": {"outcome": "error", "message": "\\x1b[2J" * 200000}})
        _emit(events)
    _blow_up()
""")

#: The kata's answer, imported.
D2L_IMPORT = "from d2l.torch import corr2d\n"


def fuzz_frames(seed: int) -> str:
    """Events of the child's shape, fields swapped at random for values of unexpected types."""
    return EMIT + _code(f"""
        import random as _random
        import torch as _torch

        def _fuzz():
            request = _request()
            if not request["checks"]:
                return
            rng = _random.Random({seed})
            odd = [None, 0, 2 ** 70, 1.5, "", b"x", [], {{}}, {{1: 2}}, ["check"], _torch.zeros(2), {{"outcome": "data"}}]
            events = []
            for check_id, _ in request["checks"]:
                event = {{"event": "check", "id": check_id,
                          "probed": {{"outcome": "data", "data": [_torch.zeros(2)], "warnings": ["w"]}}}}
                target = rng.choice([event, event["probed"]])
                target[rng.choice(list(target))] = rng.choice(odd)
                events.append(event)
            _emit([{{"event": "started"}}, {{"event": "imported"}}, *events])
        _fuzz()
    """)


HOSTILES: list[Hostile] = [
    Hostile("forge-probes", "exercises", {"conv_layer": FORGE_PROBES, "batch_norm": FORGE_PROBES}, {},
            "swaps every check's probe for one that returns the reference's structure, example and rule data "
            "and a perfect training run"),
    Hostile("ipc-writer", "solutions", {"conv_layer": IPC_WRITER, "batch_norm": STUB_BATCH_NORM}, HONEST_CONV,
            "leaves a token in SysV shared memory, a message queue, a semaphore set and its user keyring"),
    Hostile("deep-tree", "solutions", {"conv_layer": DEEP_TREE, "batch_norm": STUB_BATCH_NORM}, HONEST_CONV,
            "leaves 3000 nested folders in its working folder"),
    Hostile("spin-session", "exercises", {"conv_layer": SPIN_SESSION}, {},
            "two children that call setsid() and spin while the kata's process sleeps"),
    Hostile("blow-up", "exercises", {"conv_layer": BLOW_UP, "batch_norm": BLOW_UP}, {},
            "1000 distinct 3 KB warnings per check, shared-reference data, 1.2 MB error messages of escape codes"),
    Hostile("d2l-import", "solutions", {"conv_layer": D2L_IMPORT, "batch_norm": STUB_BATCH_NORM},
            {"conv2d_module": ALL}, "from d2l.torch import corr2d (conv2d_module's own Conv2D then uses it)"),
    *(Hostile(f"fuzz-frames-{n}", "exercises", {"conv_layer": fuzz_frames(n), "batch_norm": fuzz_frames(100 + n)}, {},
              "sends frames with fields of unexpected types") for n in range(3)),
    Hostile("stale-requests", "exercises", {"conv_layer": STALE_REQUESTS}, {},
            "looks for another student's request in the heap and malloc'd memory it inherited; answers with the "
            "reference's corr2d if it finds one"),
    Hostile("ipc-reader", "exercises", {"conv_layer": IPC_READER}, {},
            "looks for the writer's token in shared memory, queues, semaphores and keyrings; answers with the "
            "reference's corr2d if it finds one"),
]
