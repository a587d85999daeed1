"""The project's tests read convkata's English (tests/project/test_i18n.py reads its Chinese): the
language is pinned here, for this process and every process the tests start, whatever the locale of
the machine running them. (The learner's kata tests, tests/katas, speak the learner's language.)"""
import os

from grader.core.i18n import set_language

os.environ["KATA_LANG"] = set_language("en")
