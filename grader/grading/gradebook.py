"""Gradebook URLs, checked before any grading starts (this module does not load torch)."""


def check_database_url(url: str) -> None:
    """ValueError unless ``url`` is an SQLAlchemy URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"--db {url!r} is not an SQLAlchemy URL (e.g. sqlite:///gradebook.db): {exc}") from None
