"""Run checks against an implementation: probe the implementation, probe the reference, judge.

Each check ends in one of four statuses: passed; failed (a judge's Mismatch, an exception from the
learner's code, or a module that does not import); pending (the learner's code still raises the
stub's NotImplementedError); skipped (the check does not apply here, e.g. no CUDA device).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import torch

from grader.checks import checks_of_kata
from grader.checks.base import CREDITED_BESIDE_KINDS, VALUE_KINDS, Check, Mismatch, plain
from grader.checks.judges import and_list
from grader.checks.probing import probe
from grader.checks.reference import reference_data, reference_implementation
from grader.core.diagnosis import explain, for_kata, match_text
from grader.core.i18n import _
from grader.core.implementation import CodeUnderTest, Implementation
from grader.core.manifest import Kata, Manifest, load_manifest
from grader.core.scoring import Status
from grader.core.stubgen import stub_said
from grader.core.text import clip, clip_all


@dataclass(frozen=True)
class CheckResult:
    check: Check
    status: Status
    message: str = ""
    mistakes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: A failed check's pictures (the judge's Mismatch.figures: plain-data dicts that
    #: grader.grading.pictures renders as HTML); never in a grading record, never compared.
    figures: tuple[dict, ...] = field(default=(), compare=False, repr=False)


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

    def _passed_kinds(self) -> list[str]:
        return [r.check.kind for r in self.results if r.status is Status.PASSED]

    @property
    def solved_on_seeded_values(self) -> bool:
        """Whether a check of VALUE_KINDS passed: values computed on secret-seeded inputs."""
        return any(kind in VALUE_KINDS for kind in self._passed_kinds())

    @property
    def uncredited(self) -> bool:
        """Checks of CREDITED_BESIDE_KINDS passed, but no check of VALUE_KINDS: they earn nothing yet."""
        return not self.solved_on_seeded_values and any(k in CREDITED_BESIDE_KINDS for k in self._passed_kinds())

    @property
    def credited(self) -> int:
        """The passed checks that earn points: all of them once a VALUE_KINDS check passes, else the
        seeded ones only (what a right-shaped wrong answer computes honestly)."""
        kinds = self._passed_kinds()
        if self.solved_on_seeded_values:
            return len(kinds)
        return sum(kind not in CREDITED_BESIDE_KINDS for kind in kinds)

    @property
    def score(self) -> float:
        """The kata's points, in proportion to the applicable checks credited (see ``credited``):
        forging what a submission could forge earns nothing without solving the kata."""
        if not self.applicable:
            return 0.0
        return self.kata.points * self.credited / self.applicable


#: What a verdict keeps of text the submission controls (its errors, the judges' account of its data,
#: its warnings): with the explanations added, a check's record stays near 2 KB, a submission's under 256 KB.
MAX_MESSAGE_BYTES, MAX_WARNINGS, MAX_WARNING_BYTES = 1000, 4, 150


def _learners(message) -> str:
    """A message built from the submission's data, bounded (see MAX_MESSAGE_BYTES)."""
    return clip(message if isinstance(message, str) else "", MAX_MESSAGE_BYTES)


def _borrowed_note(kata_id: str, borrowed: tuple[str, ...]) -> str:
    """Which library functions the kata's code calls, and where the learner's own are."""
    manifest = load_manifest()
    required = manifest.required_symbols(kata_id)
    # Translators: {symbol} is a function the learner writes, {file} the file it is in ("corr2d in conv_layer.py")
    own = [_("{symbol} in {file}").format(symbol=symbol, file=f"{kata.module}.py") for kata in manifest
           for symbol in kata.symbols if symbol in required and any(re.search(rf"\b{symbol}\b", b) for b in borrowed)]
    calls = ", ".join(borrowed)
    if not own:
        # Translators: {calls} are library functions such as "d2l.corr2d (d2l.torch.corr2d)"
        return _("Your {kata} calls {calls}, not your own code.").format(kata=kata_id, calls=calls)
    # Translators: {own} names the learner's functions, such as "corr2d in conv_layer.py"
    return _("Your {kata} calls {calls}, not your own {own}.").format(kata=kata_id, calls=calls, own=and_list(own))


class ReferenceJudge:
    """Judges probe data — recorded in this process or in a sandboxed child — against the
    reference's, on the inputs of one run's seed."""

    def __init__(self, seed: int, reference: Implementation | None = None, *, rerun: str = "--kata-seed={seed}"):
        #: The run's seed. A batch judges each submission on a seed of its own (``verdict``'s
        #: ``seed``) except for the convergence checks, whose costly reference runs are shared.
        self.seed = seed
        # The checks' tensors are small: a second intra-op thread only contends for the cores
        # (measured here: the reference's convergence checks 4-7x slower with 2 threads on 2 busy cores).
        torch.set_num_threads(1)
        self.reference = reference or reference_implementation()
        self.rerun = rerun

    def reproduce_hint(self, seed: int | None = None) -> str:
        seed = self.seed if seed is None else seed
        # Translators: {rerun} is what reproduces the run, such as "--seed=5" or "kata.check(…, seed=5)"
        return _("(seed {seed}: rerun with {rerun} to reproduce)").format(seed=seed, rerun=self.rerun.format(seed=seed))

    def inputs_seed(self, check: Check, seed: int | None = None) -> int:
        """The seed of ``check``'s inputs: drawn from ``seed`` (a submission's; default the run's),
        except for a convergence check, which trains on the run's (see Check.trains)."""
        return check.seed_for(self.seed if seed is None or check.trains else seed)

    def reference_data(self, check: Check, module_name: str, seed: int):
        """The reference's probe data, computed once per process for a check and seed."""
        return reference_data(check, module_name, seed, self.reference)

    def verdict(self, check: Check, module_name: str, probed: dict, seed: int | None = None,
                want=None) -> CheckResult:
        """Judge what ``probe`` recorded (here, or in a sandboxed worker) on ``seed``'s inputs (default:
        the run's) against the reference's data: ``want`` if given (computed by a cluster's worker on
        the same inputs), else computed here. Whatever ``probed`` holds, this returns a verdict: the
        submission wrote it."""
        outcome = probed.get("outcome")
        message = _learners(probed.get("message"))
        borrowed = probed.get("borrowed")
        borrowed = clip_all(borrowed if isinstance(borrowed, list) else (), MAX_WARNINGS, MAX_WARNING_BYTES)
        if outcome == "pending":
            return CheckResult(check, Status.PENDING, stub_said(message))
        if outcome == "import_error":
            return CheckResult(check, Status.FAILED, message)
        if outcome == "not_own":
            return self.failure(check, message, ("imported_answer",), seed)
        if outcome == "error":
            # Translators: {error} is the learner's traceback
            return self.failure(check, _("your code raised an exception:\n{error}").format(error=message), match_text(message),
                                seed, borrowed)
        if outcome != "data":
            return self.failure(check, message or _("the check did not finish"), (), seed)
        inputs = self.inputs_seed(check, seed)
        want = self.reference_data(check, module_name, inputs) if want is None else want
        notes = clip_all(probed.get("warnings") or (), MAX_WARNINGS, MAX_WARNING_BYTES)
        try:
            check.judge(plain(probed["data"]), want, inputs)
        except Mismatch as exc:
            return replace(self.failure(check, _learners(str(exc)), exc.mistakes, seed, borrowed), warnings=notes,
                           figures=exc.figures)
        except Exception as exc:  # data a correct probe never produces (a forged or broken result)
            # Translators: {error} is an exception, such as "KeyError: 'out'"
            return self.failure(check, _learners(_("your code's results could not be judged ({error})").format(
                error=f"{type(exc).__name__}: {exc}")), (), seed)
        return CheckResult(check, Status.PASSED, warnings=notes)

    def failure(self, check: Check, message: str, mistakes, seed: int | None = None,
                borrowed: tuple[str, ...] = ()) -> CheckResult:
        """A failed check: the message, the known mistakes of its kata it matches explained, the
        seed that reproduces it (``seed``, default the run's). When the kata's code ``borrowed`` a
        library's version of an earlier kata's function, that is the mistake named: the others'
        hints would point into the library's code."""
        if borrowed:
            message += "\n" + _borrowed_note(check.kata, borrowed)
            mistakes = ("borrowed_requirement",)
        mistakes = for_kata(check.kata, mistakes)
        parts = [message, explain(mistakes), self.reproduce_hint(seed)]
        return CheckResult(check, Status.FAILED, "\n".join(p for p in parts if p), mistakes)

    @staticmethod
    def skipped(check: Check) -> CheckResult:
        """The result of a check this machine cannot run (a CUDA check without a CUDA device)."""
        return CheckResult(check, Status.SKIPPED, _("needs a CUDA device"))

    def prepare(self, kata: Kata) -> None:
        """Compute the reference's data for a kata ahead of time (watch mode keeps re-checks fast)."""
        for check in checks_of_kata(kata.id):
            if check.runnable:
                self.reference_data(check, kata.module, self.inputs_seed(check))


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
            return self.skipped(check)
        seed = self.inputs_seed(check)
        if self.impl is self.reference:  # grading the reference: its data is computed once
            probed = {"outcome": "data", "data": self.reference_data(check, module_name, seed), "warnings": []}
        else:
            manifest = load_manifest()
            probed = probe(check, self.impl, module_name, seed, manifest.get(check.kata).symbols,
                           manifest.required_symbols(check.kata))
        return self.verdict(check, module_name, probed)

    def run_kata(self, kata: Kata) -> KataResult:
        return KataResult(kata, [self.run(check, kata.module) for check in checks_of_kata(kata.id)])

    def run_all(self, manifest: Manifest) -> list[KataResult]:
        return [self.run_kata(kata) for kata in manifest]
