"""remove_tree: folder trees that sandboxed code wrote, of any depth, removed without raising."""
import os
import stat
import tempfile
import traceback
from pathlib import Path

import pytest

from grader.core.files import remove_tree

NOBODY = 65534
#: A memory file system, where thousands of folders are made and removed in a blink (a disk's journal
#: takes a millisecond or more for each under load).
MEMORY_FILE_SYSTEM = Path("/dev/shm")


@pytest.fixture
def scratch(tmp_path):
    """A new folder that any user can reach, in memory when the machine has a memory file system."""
    parent = MEMORY_FILE_SYSTEM if os.access(MEMORY_FILE_SYSTEM, os.W_OK | os.X_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="remove-tree-test-", dir=parent))
    yield folder
    remove_tree(folder)
    assert not folder.exists()


def make_deep_tree(root: Path, depth: int) -> None:
    """``root/d/d/…/d/leaf.txt``, ``depth`` folders deep: a path longer than PATH_MAX, so it is built
    through folder descriptors, one level at a time."""
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            deeper = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = deeper
        leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
        os.close(leaf)
    finally:
        os.close(fd)


def test_a_tree_deeper_than_path_max_and_the_recursion_limit_is_removed(scratch):
    make_deep_tree(scratch / "deep", 3000)
    assert len("/d" * 3000) > os.pathconf("/", "PC_PATH_MAX")
    remove_tree(scratch / "deep")
    assert list(scratch.iterdir()) == []


def test_a_wide_and_deep_tree_is_removed(scratch):
    for branch in range(20):
        folder = scratch / "wide" / f"b{branch}" / "x" / "y"
        folder.mkdir(parents=True)
        for leaf in range(10):
            (folder / f"f{leaf}").write_text("x")
            (folder.parent / f"g{leaf}").mkdir()
    remove_tree(str(scratch / "wide"))
    assert list(scratch.iterdir()) == []


def test_symlinks_inside_are_removed_never_their_targets(tmp_path):
    outside = tmp_path / "outside"
    (outside / "kept").mkdir(parents=True)
    (outside / "kept" / "file.txt").write_text("keep me")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    os.symlink(outside, tree / "to_folder")
    os.symlink(outside / "kept" / "file.txt", tree / "sub" / "to_file")
    os.symlink(tmp_path / "nowhere", tree / "dangling")
    remove_tree(tree)
    assert not tree.exists()
    assert (outside / "kept" / "file.txt").read_text() == "keep me"
    link = tmp_path / "link"
    os.symlink(outside, link)
    remove_tree(link)  # the path itself a symlink to a folder: the link goes, the folder stays
    assert not os.path.lexists(link) and (outside / "kept" / "file.txt").exists()


def test_a_missing_path_is_nothing_to_do_and_a_file_is_removed(tmp_path):
    remove_tree(tmp_path / "missing")
    remove_tree(tmp_path / "missing" / "deeper")
    (tmp_path / "file.txt").write_text("x")
    remove_tree(tmp_path / "file.txt")
    assert list(tmp_path.iterdir()) == []


def remove_folders_without_permissions(base: Path) -> None:
    tree = base / "tree"
    (tree / "a" / "b" / "c").mkdir(parents=True)
    (tree / "a" / "b" / "c" / "file.txt").write_text("x")
    (tree / "a" / "b" / "c").chmod(0)
    (tree / "a" / "b").chmod(stat.S_IRUSR | stat.S_IXUSR)  # readable, not writable
    (tree / "a").chmod(stat.S_IWUSR)  # writable, neither listable nor enterable
    tree.chmod(stat.S_IRUSR | stat.S_IXUSR)
    remove_tree(tree)
    assert not tree.exists()
    # What cannot be removed (its folder is read-only, and not ours to change) is left, quietly.
    locked = base / "locked"
    (locked / "tree" / "sub").mkdir(parents=True)
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    remove_tree(locked / "tree")
    if os.geteuid() != 0:
        assert list((locked / "tree").iterdir()) == []
    locked.chmod(stat.S_IRWXU)


def run_without_root_permissions(function, base: Path) -> None:
    """``function(base)`` as a user whom permissions bind: this one, or (when root) a forked child
    that has become nobody."""
    if os.geteuid() != 0:
        function(base)
        return
    os.chown(base, NOBODY, NOBODY)
    pid = os.fork()
    if pid == 0:
        exit_code = 1
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            function(base)
            exit_code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(exit_code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_folders_without_permissions_are_removed_and_what_resists_is_left_without_raising(scratch):
    if os.geteuid() == 0 and any(not parent.stat().st_mode & stat.S_IXOTH for parent in scratch.parents):
        pytest.skip(f"{scratch} cannot be reached by an unprivileged user")
    run_without_root_permissions(remove_folders_without_permissions, scratch)
