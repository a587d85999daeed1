"""The sandbox's wire format: what a slot server sends the grader, and how the grader reads it.

Between the grader and a slot server: a JSON header line when the slot is ready; then one JSON
line per request, and per reply a JSON header line followed by ``header["bytes"]`` bytes of the
child's frames. A frame is a 4-byte big-endian length, then a ``torch.save`` archive of one
event (``send_frame``): ``started``, ``imported``, one ``check`` per probe, ``done``. The child
runs the submission, so the grader reads frames as forged until proven otherwise
(``decode_frames``): ``torch.load(weights_only=True)``, which runs no code, and only after the
archive's shape is checked.
"""
from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field

#: The child's frames may not add up to more than this (a probe's data is small: the reference's
#: largest kata, resnet18, sends about 80 KB).
MAX_OUTPUT_BYTES = 16 << 20
_FRAME_HEADER = struct.Struct(">I")


@dataclass
class KataRun:
    """What came back from one kata's child: its events, in order, and how it ended."""

    events: list[dict] = field(default_factory=list)
    #: finished | timeout (its CPU time limit) | hang (the wall-clock guard, while hardly computing) |
    #: output_limit | refused (a frame the grader would not read)
    ending: str = "finished"
    exit_status: int | None = None
    seconds: float = 0.0
    #: The CPU time of the kata's whole process tree.
    cpu_seconds: float = 0.0

    @property
    def imported(self) -> bool:
        return any(e.get("event") == "imported" for e in self.events)

    def probed(self) -> dict[str, object]:
        """Check id → what its probe recorded, for every check the child reported."""
        return {str(e.get("id")): e.get("probed") for e in self.events if e.get("event") == "check"}


@dataclass
class KataReply:
    """A kata's child's reply as a slot relays it: the child's frames, not yet read, and how the run
    ended. Reading them (``run``) needs torch and is done where the run is judged: a cluster's worker
    relays a reply as it came, without importing torch or reading what the submission sent."""

    frames: bytes
    ending: str
    exit_status: int | None
    seconds: float
    cpu_seconds: float

    def run(self) -> KataRun:
        """The run: its frames read (``decode_frames``), ``refused`` if one is not what a child sends."""
        events, refused = decode_frames(self.frames)
        return KataRun(events, "refused" if refused else self.ending, self.exit_status, self.seconds, self.cpu_seconds)


def decode_frames(data: bytes) -> tuple[list[dict], bool]:
    """The child's frames, loaded with ``weights_only=True``, and whether a frame was refused (a
    refused frame ends the list).

    The child runs the submission, so every byte here may be forged: a frame counts only when
    it is what ``send_frame`` writes (an uncompressed ``torch.save`` archive with a small
    pickle) holding an event of the shape ``grader.sandbox.child`` sends, with plain probe data within
    ``_FrameBudget`` — no zip or pickle bomb, no structure that is cheap to send but costly to
    walk, no malformed event to crash or stall the judges."""
    import torch

    events, offset, budget = [], 0, _FrameBudget()
    while offset + _FRAME_HEADER.size <= len(data):
        (length,) = _FRAME_HEADER.unpack_from(data, offset)
        offset += _FRAME_HEADER.size
        if offset + length > len(data):
            return events, True
        frame = data[offset:offset + length]
        if not _stored_archive(frame):
            return events, True
        try:
            event = torch.load(io.BytesIO(frame), weights_only=True)
        except Exception:
            return events, True
        offset += length
        if not _valid_event(event, budget) or not _in_order(event, events):
            return events, True
        events.append(event)
    return events, offset != len(data)


#: The most a frame's pickle may hold (the reference's largest is about 5 KB).
MAX_PICKLE_BYTES = 1 << 20
_EVENTS = {"started", "imported", "check", "done"}
_OUTCOMES = {"data", "pending", "error", "import_error", "not_own"}


class _FrameBudget:
    """What one kata's frames may add up to when walked: values and characters of strings (every
    visit counts, so shared references cannot multiply the work or a judge's account of them),
    nesting depth, and tensor bytes (by shape, so a zero-stride view of one number cannot stand
    for gigabytes)."""

    VALUES = 100_000
    DEPTH = 64
    CHARACTERS = 4 << 20

    def __init__(self):
        self.values = self.VALUES
        self.tensor_bytes = MAX_OUTPUT_BYTES
        self.characters = self.CHARACTERS

    def plain(self, value, depth: int = 0) -> bool:
        import torch

        self.values -= 1
        if self.values < 0 or depth > self.DEPTH:
            return False
        kind = type(value)
        if kind is str:  # one string referenced many times counts each time, as the judges would read it
            self.characters -= len(value)
            return self.characters >= 0
        if value is None or kind in (bool, int, float):
            return True
        if kind in (list, tuple):
            return all(self.plain(v, depth + 1) for v in value)
        if kind is dict:
            return all(type(k) is str and self.plain(v, depth + 1) for k, v in value.items())
        if kind is torch.Tensor:
            try:
                if value.layout != torch.strided or value.device.type != "cpu" or value.is_quantized or value.is_nested:
                    return False
                self.tensor_bytes -= value.numel() * value.element_size()
            except Exception:  # a tensor torch itself cannot describe is no probe data
                return False
            return self.tensor_bytes >= 0
        return False


def _stored_archive(frame: bytes) -> bool:
    """Whether ``frame`` is a zip archive as ``torch.save`` writes it: every member stored
    uncompressed (no deflate bomb), the pickle no larger than MAX_PICKLE_BYTES."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(frame)) as archive:
            members = archive.infolist()
    except Exception:
        return False
    return bool(members) and all(
        m.compress_type == zipfile.ZIP_STORED and m.file_size == m.compress_size
        and not (m.filename.endswith(".pkl") and m.file_size > MAX_PICKLE_BYTES) for m in members)


def _valid_event(event, budget: _FrameBudget) -> bool:
    """Whether ``event`` has the shape of an event ``grader.sandbox.child`` sends, with plain probe
    data. Any value of any type may arrive here: every field's type is checked before its value is
    used, and anything unforeseen refuses the frame rather than raising."""
    try:
        return _event_shape(event, budget)
    except Exception:
        return False


def _event_shape(event, budget: _FrameBudget) -> bool:
    if type(event) is not dict or not all(type(k) is str for k in event):
        return False
    name = event.get("event")
    if type(name) is not str or name not in _EVENTS:
        return False
    if name != "check":
        return set(event) == {"event"}
    probed = event.get("probed")
    if set(event) != {"event", "id", "probed"} or type(event["id"]) is not str or len(event["id"]) > 200:
        return False
    if type(probed) is not dict or not all(type(k) is str for k in probed):
        return False
    outcome = probed.get("outcome")
    if type(outcome) is not str:
        return False
    borrowed = probed.get("borrowed", [])  # data and errors may name what the module borrowed
    if type(borrowed) is not list or not all(type(b) is str for b in borrowed) or not budget.plain(borrowed):
        return False
    fields = set(probed) - {"borrowed"} if outcome in ("data", "error") else set(probed)
    if outcome == "data":
        warnings = probed.get("warnings")
        return (fields == {"outcome", "data", "warnings"} and type(warnings) is list
                and all(type(w) is str for w in warnings) and budget.plain(warnings) and budget.plain(probed["data"]))
    return outcome in _OUTCOMES and fields == {"outcome", "message"} and type(probed["message"]) is str


#: The most check events one kata sends (the largest kata has 8 checks; ``kata bench`` adds a few).
MAX_CHECK_EVENTS = 64


def _in_order(event: dict, earlier: list[dict]) -> bool:
    """Whether ``event`` may follow ``earlier``: started, imported and done once each, and at most
    MAX_CHECK_EVENTS checks — a flood of valid frames costs the grader nothing more."""
    name = event["event"]
    if name == "check":
        return sum(e["event"] == "check" for e in earlier) < MAX_CHECK_EVENTS
    return all(e["event"] != name for e in earlier)


def send_frame(fd: int, event: dict) -> None:
    """Write one event as a frame (what ``decode_frames`` reads back)."""
    import torch

    buffer = io.BytesIO()
    torch.save(event, buffer)
    data = buffer.getvalue()
    view = memoryview(_FRAME_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]
