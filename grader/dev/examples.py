"""Generate the sample class in examples/class/ from examples/class.toml (see its header).

    python -m grader.dev.examples [--check]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import stubgen
from grader.core.paths import REPO_ROOT, SOLUTIONS_DIR
from grader.dev.catalogue import load_mistakes

SPEC = REPO_ROOT / "examples" / "class.toml"
CLASS_DIR = REPO_ROOT / "examples" / "class"


@dataclass(frozen=True)
class Student:
    id: str
    description: str
    base: str
    stubs: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()
    append: dict[str, str] = field(default_factory=dict)


def load_students() -> list[Student]:
    entries = tomllib.loads(SPEC.read_text(encoding="utf-8"))["student"]
    return [Student(e["id"], e["description"], e["base"], tuple(e.get("stubs", ())), tuple(e.get("mistakes", ())),
                    dict(e.get("append", {}))) for e in entries]


def files_of(student: Student) -> dict[str, str]:
    """The student's files: name → text."""
    stubs = stubgen.generate()
    if student.base == "solutions":
        files = {name: stubgen.strip_markers((SOLUTIONS_DIR / name).read_text(encoding="utf-8")) for name in stubs}
    elif student.base == "exercises":
        files = dict(stubs)
    else:
        raise ValueError(f"student {student.id}: base must be solutions or exercises, not {student.base!r}")
    for module in student.stubs:
        files[f"{module}.py"] = stubs[f"{module}.py"]
    mistakes = {m.id: m for m in load_mistakes()}
    for mistake_id in student.mistakes:
        mistake = mistakes[mistake_id]
        name = f"{mistake.module}.py"
        files[name] = mistake.applied_to(files[name])
    for module, code in student.append.items():
        files[f"{module}.py"] += code
    return files


def generate() -> dict[Path, str]:
    """Every file of the sample class, by its path relative to examples/class/."""
    return {Path(student.id) / name: text for student in load_students() for name, text in files_of(student).items()}


def out_of_sync() -> list[str]:
    """The sample class's files that differ from a fresh generation (missing, stale, or extra)."""
    return stubgen.stale_files({path.as_posix(): text for path, text in generate().items()}, CLASS_DIR)


def write() -> int:
    shutil.rmtree(CLASS_DIR, ignore_errors=True)
    files = generate()
    for path, text in files.items():
        (CLASS_DIR / path).parent.mkdir(parents=True, exist_ok=True)
        (CLASS_DIR / path).write_text(text, encoding="utf-8")
    return len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.dev.examples", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether examples/class/ is up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_sync()
        print(f"examples/class/ is out of sync: {', '.join(stale)}. Run `make examples`." if stale
              else "examples/class/ is in sync")
        return 1 if stale else 0
    print(f"wrote {write()} files to {CLASS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
