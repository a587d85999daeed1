"""Where the project's files are: everything is relative to the repository root."""
import hashlib
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = REPO_ROOT / "katas.toml"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
EXERCISES_DIR = REPO_ROOT / "exercises"
#: Learner state that is not code: backups of replaced files (and, later, hint levels).
STATE_DIR = REPO_ROOT / ".kata"
BACKUP_DIR = STATE_DIR / "backups"

#: Names that ``--impl`` accepts besides a path.
NAMED_IMPLEMENTATIONS = {"solutions": SOLUTIONS_DIR, "exercises": EXERCISES_DIR}


def resolve_impl(spec: str | Path) -> Path:
    """``exercises``, ``solutions`` or a path to a folder laid out like ``exercises/``."""
    path = NAMED_IMPLEMENTATIONS.get(str(spec), Path(spec))
    return Path(path).expanduser().resolve()


def sources_digest(paths: Iterable[Path]) -> str:
    """A digest of project files (each one's path from the repository root and its bytes) and of
    torch's version: what a version of the checks or of the probing is made of."""
    from importlib import metadata

    digest = hashlib.sha256(metadata.version("torch").encode())
    for path in sorted(paths):
        digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
