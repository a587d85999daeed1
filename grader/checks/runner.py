"""Run checks against an implementation: probe the implementation, probe the reference, judge.

Each check ends in one of four statuses: passed; failed (a judge's Mismatch, an exception from the
learner's code, or a module that does not import); pending (the learner's code still raises the
stub's NotImplementedError); skipped (the check does not apply here, e.g. no CUDA device).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import torch

from grader.checks import checks_of_kata
from grader.checks.base import FIXED_INPUT_KINDS, Check, Mismatch, plain
from grader.checks.probing import probe
from grader.core.diagnosis import explain, for_kata, match_text
from grader.core.implementation import CodeUnderTest, Implementation, load_implementation
from grader.core.manifest import Kata, Manifest
from grader.core.paths import SOLUTIONS_DIR
from grader.core.scoring import Status


@dataclass(frozen=True)
class CheckResult:
    check: Check
    status: Status
    message: str = ""
    mistakes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass
class KataResult:
    kata: Kata
    results: list[CheckResult] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def applicable(self) -> int:
        return len(self.results) - self.count(Status.SKIPPED)

    @property
    def status(self) -> Status:
        """done (passed) only when every applicable check passes; pending while any stub remains and
        nothing fails; failed otherwise."""
        if self.count(Status.FAILED):
            return Status.FAILED
        if self.count(Status.PENDING):
            return Status.PENDING
        return Status.PASSED

    @property
    def uncredited(self) -> bool:
        """Checks passed, but only on fixed inputs (see FIXED_INPUT_KINDS): they earn nothing yet."""
        passed = [r.check.kind for r in self.results if r.status is Status.PASSED]
        return bool(passed) and all(kind in FIXED_INPUT_KINDS for kind in passed)

    @property
    def score(self) -> float:
        """The kata's points, in proportion to the applicable checks passed — nothing when only
        checks on fixed inputs pass, which a hard-coded answer could do."""
        if not self.applicable or self.uncredited:
            return 0.0
        return self.kata.points * self.count(Status.PASSED) / self.applicable


class ReferenceFailure(RuntimeError):
    """The reference itself failed a probe: a bug in convkata, not in the learner's code."""


_REFERENCE_DATA: dict[tuple, object] = {}


class ReferenceJudge:
    """Judges probe data — recorded in this process or in a sandboxed child — against the
    reference's, on the inputs of one run's seed."""

    def __init__(self, seed: int, reference: Implementation | None = None, *, rerun: str = "--kata-seed={seed}"):
        self.seed = seed
        # The checks' tensors are small: a second intra-op thread only contends for the cores
        # (measured here: the reference's convergence checks 4-7x slower with 2 threads on 2 busy cores).
        torch.set_num_threads(1)
        self.reference = reference or load_implementation(SOLUTIONS_DIR)
        self.rerun = rerun

    def reproduce_hint(self) -> str:
        return f"(seed {self.seed}: rerun with {self.rerun.format(seed=self.seed)} to reproduce)"

    def reference_data(self, check: Check, module_name: str, seed: int):
        """The reference's probe data, computed once per process for a check and seed."""
        key = (self.reference.root, check.id, seed)
        if key not in _REFERENCE_DATA:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    _REFERENCE_DATA[key] = plain(check.probe(self.reference.module(module_name), seed))
            except Exception as exc:
                raise ReferenceFailure(f"the reference failed {check.id}: {exc!r}") from exc
        return _REFERENCE_DATA[key]

    def verdict(self, check: Check, module_name: str, probed: dict) -> CheckResult:
        """Judge what ``probe`` recorded (here, or in a sandboxed worker) against the reference's data."""
        outcome = probed.get("outcome")
        if outcome == "pending":
            return CheckResult(check, Status.PENDING, str(probed["message"]))
        if outcome == "import_error":
            return CheckResult(check, Status.FAILED, str(probed["message"]))
        if outcome == "error":
            error = str(probed["message"])
            return self.failure(check, f"your code raised an exception:\n{error}", match_text(error))
        if outcome != "data":
            return self.failure(check, str(probed.get("message") or "the check did not finish"), ())
        seed = check.seed_for(self.seed)
        want = self.reference_data(check, module_name, seed)
        notes = tuple(str(w) for w in probed.get("warnings", ()))
        try:
            check.judge(plain(probed["data"]), want, seed)
        except Mismatch as exc:
            return replace(self.failure(check, str(exc), exc.mistakes), warnings=notes)
        except Exception as exc:  # data a correct probe never produces (a forged or broken result)
            return self.failure(check, f"your code's results could not be judged ({type(exc).__name__}: {exc})", ())
        return CheckResult(check, Status.PASSED, warnings=notes)

    def failure(self, check: Check, message: str, mistakes) -> CheckResult:
        """A failed check: the message, the known mistakes of its kata it matches explained, the seed."""
        mistakes = for_kata(check.kata, mistakes)
        parts = [message, explain(mistakes), self.reproduce_hint()]
        return CheckResult(check, Status.FAILED, "\n".join(p for p in parts if p), mistakes)

    def prepare(self, kata: Kata) -> None:
        """Compute the reference's data for a kata ahead of time (watch mode keeps re-checks fast)."""
        for check in checks_of_kata(kata.id):
            if check.runnable:
                self.reference_data(check, kata.module, check.seed_for(self.seed))


class Runner(ReferenceJudge):
    """Runs the checks of one implementation in this process and judges them against the reference,
    with one seed for the run (``kata check``, the pytest plugin, notebooks)."""

    def __init__(self, impl: CodeUnderTest, seed: int, reference: Implementation | None = None, *,
                 rerun: str = "--kata-seed={seed}"):
        super().__init__(seed, reference, rerun=rerun)
        self.impl = impl

    def run(self, check: Check, module_name: str) -> CheckResult:
        """Probe the implementation in this process and judge the data."""
        if not check.runnable:
            return CheckResult(check, Status.SKIPPED, "needs a CUDA device")
        seed = check.seed_for(self.seed)
        if self.impl is self.reference:  # grading the reference: its data is computed once
            probed = {"outcome": "data", "data": self.reference_data(check, module_name, seed), "warnings": []}
        else:
            probed = probe(check, self.impl, module_name, seed)
        return self.verdict(check, module_name, probed)

    def run_kata(self, kata: Kata) -> KataResult:
        return KataResult(kata, [self.run(check, kata.module) for check in checks_of_kata(kata.id)])

    def run_all(self, manifest: Manifest) -> list[KataResult]:
        return [self.run_kata(kata) for kata in manifest]
