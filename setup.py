"""convkata's build, as pyproject.toml declares it, with one step more: the message catalogues
(grader/locale/*/LC_MESSAGES/convkata.po) are compiled to the .mo files gettext reads, by Babel."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    """build_py (a wheel, an editable install) that first compiles every catalogue beside its .po."""

    def run(self):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(__file__).resolve().parent.glob("grader/locale/*/LC_MESSAGES/*.po")):
            with po.open("rb") as file:
                catalog = read_po(file)
            with po.with_suffix(".mo").open("wb") as file:
                write_mo(file, catalog)
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogues})
