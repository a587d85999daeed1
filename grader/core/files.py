"""Removing folder trees that untrusted code may have written: any depth, any width, never raising.

``shutil.rmtree`` recurses (a 3000-level tree raises RecursionError) and builds paths longer than
PATH_MAX. ``remove_tree`` keeps both constant: it works through directory file descriptors, and
empties a subfolder by moving its children up into the top folder before removing it, so it never
goes deeper than one folder below the top.
"""
from __future__ import annotations

import errno
import itertools
import os
import secrets
import stat
from collections.abc import Callable

#: At most this many sweeps over the top folder; each one empties it unless something resists.
_MAX_SWEEPS = 64
#: At most this many entries moved up in one call (a tree is finite; this bounds a concurrent writer).
_MAX_MOVES = 1 << 24
#: Tries for a free name in the top folder before a child is left where it is.
_NAME_TRIES = 8
_USER_RWX = stat.S_IRWXU
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: The path's parent is only named in (``dir_fd=``), which O_PATH allows without read permission.
_OPEN_PARENT = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Remove ``path``: a folder tree (of any depth), a file or a symlink (never its target).

    Never raises: a missing path is nothing to do, and whatever cannot be removed (after folders
    without permissions are given them back) is left in place once a sweep makes no progress.
    """
    try:
        parent, name = os.path.split(os.path.abspath(os.fspath(path)))
        if not name:  # the root folder
            return
        parent_fd = os.open(parent, _OPEN_PARENT)
    except Exception:
        return
    try:
        _TreeRemover().remove(parent_fd, name)
    except Exception:  # clean-up must never become a failure of its own
        pass
    finally:
        os.close(parent_fd)


class _TreeRemover:
    """One ``remove_tree`` call: names for the entries it moves up, and its budget of moves."""

    def __init__(self) -> None:
        self.moved_name_prefix = f".remove_tree-{secrets.token_hex(4)}-"
        self.moved_name_numbers = itertools.count()
        self.moves_left = _MAX_MOVES
        self.is_root = os.geteuid() == 0

    def remove(self, parent_fd: int, name: str) -> None:
        """Remove the entry ``name`` of the folder ``parent_fd``, whatever it is."""
        mode = _mode_of(parent_fd, name)
        if mode is None:
            return
        if not stat.S_ISDIR(mode):
            _ignoring_errors(os.unlink, name, dir_fd=parent_fd)
            return
        self.give_user_rwx(parent_fd, name, mode)
        try:
            top_fd = os.open(name, _OPEN_FOLDER, dir_fd=parent_fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # replaced by a symlink or a file meanwhile
                _ignoring_errors(os.unlink, name, dir_fd=parent_fd)
            return
        try:
            for _ in range(_MAX_SWEEPS):
                if not self.sweep(top_fd):
                    break
        finally:
            os.close(top_fd)
        _ignoring_errors(os.rmdir, name, dir_fd=parent_fd)

    def sweep(self, top_fd: int) -> bool:
        """Remove what the top folder holds, moving the children of non-empty subfolders up into it
        (and removing those in turn); whether anything was removed or moved."""
        pending = _names_in(top_fd)
        progress = False
        while pending:
            name = pending.pop()
            mode = _mode_of(top_fd, name)
            if mode is None:
                continue
            if not stat.S_ISDIR(mode):
                progress |= _ignoring_errors(os.unlink, name, dir_fd=top_fd)
                continue
            if _ignoring_errors(os.rmdir, name, dir_fd=top_fd):
                progress = True
                continue
            moved = self.move_children_up(top_fd, name, mode)
            pending.extend(moved)
            progress |= bool(moved) | _ignoring_errors(os.rmdir, name, dir_fd=top_fd)
        return progress

    def move_children_up(self, top_fd: int, name: str, mode: int) -> list[str]:
        """Move the children of the subfolder ``name`` into the top folder; their new names."""
        self.give_user_rwx(top_fd, name, mode)
        try:
            folder_fd = os.open(name, _OPEN_FOLDER, dir_fd=top_fd)
        except OSError:
            return []
        moved = []
        try:
            for child in _names_in(folder_fd):
                if self.moves_left <= 0:
                    break
                child_mode = _mode_of(folder_fd, child)
                if child_mode is None:
                    continue
                if stat.S_ISDIR(child_mode):  # moving a folder to another parent needs write access to it
                    self.give_user_rwx(folder_fd, child, child_mode)
                new_name = self.move_up(folder_fd, child, top_fd)
                if new_name is not None:
                    moved.append(new_name)
        finally:
            os.close(folder_fd)
        return moved

    def move_up(self, folder_fd: int, child: str, top_fd: int) -> str | None:
        """Move ``child`` of ``folder_fd`` into the top folder under a new name; that name, or None."""
        for _ in range(_NAME_TRIES):
            new_name = f"{self.moved_name_prefix}{next(self.moved_name_numbers)}"
            try:
                os.rename(child, new_name, src_dir_fd=folder_fd, dst_dir_fd=top_fd)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
                    continue  # the name is taken in the top folder: try another
                return None
            self.moves_left -= 1
            return new_name
        return None

    def give_user_rwx(self, dir_fd: int, name: str, mode: int) -> None:
        """Let the user list, enter and change the folder ``name`` (root needs no permission)."""
        if self.is_root or mode & _USER_RWX == _USER_RWX:
            return
        new_mode = stat.S_IMODE(mode) | _USER_RWX
        try:
            os.chmod(name, new_mode, dir_fd=dir_fd, follow_symlinks=False)
        except NotImplementedError:  # no fchmodat(AT_SYMLINK_NOFOLLOW): chmod the folder opened as itself
            _chmod_through_o_path(dir_fd, name, new_mode)
        except OSError:
            pass


def _chmod_through_o_path(dir_fd: int, name: str, mode: int) -> None:
    try:
        fd = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return
    try:
        os.chmod(f"/proc/self/fd/{fd}", mode)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_of(dir_fd: int, name: str) -> int | None:
    """The entry's mode (a symlink's own), or None when it is gone or cannot be looked at."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return None


def _names_in(dir_fd: int) -> list[str]:
    try:
        with os.scandir(dir_fd) as entries:
            return [entry.name for entry in entries]
    except OSError:
        return []


def _ignoring_errors(remove: Callable[..., object], name: str, *, dir_fd: int) -> bool:
    """``remove(name, dir_fd=dir_fd)``; whether it succeeded."""
    try:
        remove(name, dir_fd=dir_fd)
    except OSError:
        return False
    return True
