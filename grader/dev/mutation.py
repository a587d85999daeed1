"""The mutation score: how many catalogued mistakes the checks catch, and name.

    python -m grader.dev.mutation [--seed N]

Applies every mistake of catalogue.toml to a copy of the reference, runs its kata's checks, and
prints one row per mistake and the score; exits 1 unless every mistake is caught and named.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.checks import checks_of_kata
from grader.checks.runner import KataResult, Runner, Status
from grader.core.diagnosis import known
from grader.core.implementation import load_implementation
from grader.core.manifest import load_manifest
from grader.dev.catalogue import Mistake, load_mistakes


@dataclass(frozen=True)
class Verdict:
    mistake: Mistake
    result: KataResult

    @property
    def caught(self) -> bool:
        return self.result.status is Status.FAILED

    @property
    def named(self) -> bool:
        """Some failing check names the mistake's diagnosis."""
        return any(self.mistake.diagnosis in r.mistakes and known(self.mistake.diagnosis).name in r.message
                   for r in self.result.results if r.status is Status.FAILED)


def score_line(verdicts: list[Verdict]) -> str:
    caught, named, total = sum(v.caught for v in verdicts), sum(v.named for v in verdicts), len(verdicts)
    return (f"mutation score: {caught}/{total} caught ({100 * caught / total:.0f}%), "
            f"{named}/{total} named ({100 * named / total:.0f}%)")


def judge_mistake(mistake: Mistake, workdir: Path, seed: int) -> tuple[Verdict, Runner]:
    """Run the mistake's kata on the reference with the mistake applied. The convergence checks
    (seconds each) run only when the others do not already catch and name it, or when it is a
    mistake that only training shows."""
    runner = Runner(load_implementation(mistake.apply(workdir / mistake.id)), seed)
    kata = load_manifest().get(mistake.kata)
    checks = checks_of_kata(kata.id)
    results = [runner.run(check, kata.module) for check in checks if check.kind != "training"]
    verdict = Verdict(mistake, KataResult(kata, results))
    if mistake.only_in_training or not (verdict.caught and verdict.named):
        training = [runner.run(check, kata.module) for check in checks if check.kind == "training"]
        verdict = Verdict(mistake, KataResult(kata, results + training))
    return verdict, runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.dev.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="seed for the checks' inputs (default: random)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    mistakes = load_mistakes()
    with tempfile.TemporaryDirectory() as workdir:
        verdicts = [judge_mistake(m, Path(workdir), seed)[0] for m in mistakes]
    for v in verdicts:
        mark = "named" if v.named else "caught" if v.caught else "MISSED"
        print(f"{mark:6}  {v.mistake.kata:20} {v.mistake.id:38} {v.mistake.description}")
    print(f"{score_line(verdicts)} — seed {seed}")
    return 0 if all(v.caught and v.named for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
