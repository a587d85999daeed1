"""convkata in Chinese: the language a run speaks, the catalogue complete and in sync with the
sources, and a learner's diagnosis Chinese from end to end."""
import ast
import io
import os
import re
import string
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from grader.core import i18n
from grader.core.i18n import LanguageError, _, catalogue_path, locale_language, resolve_language, speaking
from grader.core.paths import REPO_ROOT
from grader.dev.messages import extract_toml

#: The corr2d of the Chinese learner's notes on d2l-zh 6.2 (the book's, with their comments), as they
#: wrote it: its output is float32 whatever X is.
NOTES_CORR2D = '''\
def corr2d(X, K):  # X 为输入  K为核矩阵
    # X 为输入  K为核矩阵
    h, w = K.shape  # 核矩阵的行数和列数
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))  # X.shape[0]为输入高
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()  # 图片的小方块区域与卷积核做点积

    return Y
'''


# ---- which language ----------------------------------------------------------------------------

@pytest.mark.parametrize("option, environ, expected", [
    (None, {}, "en"),
    ("zh", {"KATA_LANG": "en", "LANG": "en_US.UTF-8"}, "zh"),
    ("zh_CN.UTF-8", {}, "zh"),
    ("zh-Hans", {}, "zh"),
    (None, {"KATA_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    (None, {"KATA_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, {"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "C.UTF-8"}, "zh"),
    (None, {"LANG": "fr_FR.UTF-8"}, "en"),  # a locale convkata does not speak: English
    (None, {"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),  # gettext's LANGUAGE list first
    (None, {"LANGUAGE": "fr:zh", "LANG": "en_US.UTF-8"}, "zh"),
    (None, {"LANGUAGE": "zh_CN", "LANG": "C.UTF-8"}, "en"),  # ... except in the C locale, as gettext does
    (None, {"LANGUAGE": "zh_CN"}, "en"),
])
def test_the_language_comes_from_the_option_then_kata_lang_then_the_locale(option, environ, expected):
    assert resolve_language(option, environ) == expected


@pytest.mark.parametrize("option, environ, source", [
    ("fr", {}, "--lang"),
    (None, {"KATA_LANG": "klingon"}, "KATA_LANG"),
])
def test_a_language_asked_for_by_name_that_convkata_does_not_speak_is_an_error(option, environ, source):
    with pytest.raises(LanguageError) as error:
        resolve_language(option, environ)
    assert str(error.value).startswith(f"{source}: convkata does not speak")
    assert "en (English)" in str(error.value) and "zh (" in str(error.value)


def test_locale_language_is_none_for_an_unset_locale():
    assert locale_language({}) is None


def test_speaking_restores_the_language_and_kata_lang_it_found(monkeypatch):
    monkeypatch.setenv("KATA_LANG", "en")
    with speaking("zh", export=True) as code:
        assert (code, i18n.language(), os.environ["KATA_LANG"]) == ("zh", "zh", "zh")
    assert (i18n.language(), os.environ["KATA_LANG"]) == ("en", "en")


def test_kata_refuses_a_language_it_does_not_speak_before_anything_else(capsys):
    from grader.cli import main

    assert main(["status", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.startswith("kata: --lang: convkata does not speak 'fr'")


# ---- the catalogue -----------------------------------------------------------------------------

@cache
def extracted() -> dict[str, tuple[str, ...]]:
    """Every message the sources mark for translation (babel.cfg, as `make messages` reads it), with its
    plural, and where it comes from."""
    with open(REPO_ROOT / "babel.cfg", encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str, tuple[str, ...]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(REPO_ROOT, method_map, options_map):
        messages = (message,) if isinstance(message, str) else tuple(message)
        found.setdefault(messages[0], (*messages[1:], filename))
    return found


@cache
def chinese():
    with catalogue_path("zh").open("rb") as file:
        return read_po(file)


def fields(text: str) -> tuple[set[str], list[str]]:
    """The placeholders of a message: its str.format fields (a set: a translation may use one twice),
    and its printf-style conversions (in order: they are filled in by position unless named)."""
    braces = {f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
              for _, name, spec, conversion in string.Formatter().parse(text) if name is not None}
    percents = re.findall(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgeEx%]", text)
    return braces, [p for p in percents if p != "%%"]


def test_the_sources_mark_the_manifests_and_the_known_mistakes_texts():
    messages = extracted()
    from grader.core.diagnosis import known_mistakes
    from grader.core.manifest import load_manifest

    for kata in load_manifest():
        assert kata.source_title in messages and all(hint in messages for hint in kata.source_hints), kata.id
    for mistake in known_mistakes().values():
        assert {mistake.source_name, mistake.source_why, mistake.source_hint} <= set(messages), mistake.id


def test_the_toml_extractor_gives_each_text_its_line_and_its_entry():
    toml = b'[[kata]]\nid = "a"\ntitle = "A \\"quoted\\" title"\nhints = [\n    "one",\n    "two",\n]\n'
    found = list(extract_toml(io.BytesIO(toml), [], [], {"table": "kata", "fields": "title hints"}))
    assert found == [(3, None, 'A "quoted" title', ["kata a: title"]), (5, None, "one", ["kata a: hints"]),
                     (6, None, "two", ["kata a: hints"])]


def test_every_message_has_a_chinese_translation_that_keeps_its_placeholders():
    catalogue = chinese()
    missing, fuzzy, dropped = [], [], []
    for msgid, (*plural, _where) in extracted().items():
        entry = catalogue.get(msgid)
        strings = () if entry is None else (entry.string,) if isinstance(entry.string, str) else entry.string
        if entry is None or not all(strings):
            missing.append(msgid)
        elif entry.fuzzy:
            fuzzy.append(msgid)
        else:
            dropped += [(msgid, text) for text in strings if fields(text) != fields(plural[0] if plural else msgid)
                        and fields(text) != fields(msgid)]
    assert not missing, f"{len(missing)} messages have no Chinese translation (`make messages`, then translate " \
                        f"them in {catalogue_path('zh').relative_to(REPO_ROOT)}): {missing[:10]}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:10]}"
    assert not dropped, f"translations that drop or change a placeholder: {dropped[:10]}"


def test_the_catalogue_holds_no_message_the_sources_no_longer_have():
    stale = [m.id for m in chinese() if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in extracted()]
    assert not stale, f"`make messages` removes these from the catalogue: {stale[:10]}"


#: ``kata`` and its commands, as help texts and diagnoses name them (words, but not English prose).
KATA_COMMAND = re.compile(r"\bkata(?: (?:status|check|hint|watch|reset|solution|bench|grade|train|gradescope|nbgrader"
                          r"|dev|build))+")


def english_prose(text: str) -> list[str]:
    """Runs of three or more English words in ``text``, in the same stretch between Chinese characters
    or punctuation: code, identifiers, numbers, placeholders and ``kata`` commands aside (a word is
    letters only, maybe followed by a comma or a full stop)."""
    text = KATA_COMMAND.sub(" ", re.sub(r"`[^`]*`|\{[^{}]*\}", " ", text))
    runs = []
    for stretch in re.split(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text):
        run = []
        for token in stretch.split() + [""]:
            if re.fullmatch(r"[A-Za-z][a-z]+[,.;:]?|a|I", token):
                run.append(token)
                continue
            if len(run) >= 3:
                runs.append(" ".join(run))
            run = []
    return runs


def test_english_prose_finds_sentences_and_leaves_code_alone():
    assert english_prose("用 X.new_zeros(...) 或 torch.zeros(..., dtype=X.dtype) 创建输出") == []
    assert english_prose("形状为 (4, 7) 的 float64 输入，得到 torch.float32") == []
    assert english_prose("提示：the output has the wrong shape。") == ["the output has the wrong shape"]
    assert english_prose("用 Gradescope、Classroom 时（nbgrader 的 gradebook）") == []  # separate words
    assert english_prose("运行 kata gradescope build 之后") == []


def test_no_chinese_translation_keeps_an_english_sentence():
    left = {m.id: m.string for m in chinese() if m.id and english_prose(str(m.string))}
    assert not left, f"translations with English prose left in them: {list(left.items())[:5]}"


def test_a_catalogue_changed_since_it_was_compiled_is_read_from_its_po(tmp_path, monkeypatch):
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "convkata.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; '
                  'plural=0;\\n"\n\nmsgid "pending"\nmsgstr "未开始"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._translations.cache_clear()
    try:
        with speaking("zh"):
            assert _("pending") == "未开始"
    finally:
        i18n._translations.cache_clear()


# ---- end to end --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def notes_impl(tmp_path_factory) -> Path:
    """exercises/ with the notes' corr2d in conv_layer.py."""
    root = tmp_path_factory.mktemp("notes") / "impl"
    import shutil

    shutil.copytree(REPO_ROOT / "exercises", root, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "conv_layer.py"
    source = path.read_text(encoding="utf-8")
    stub = re.search(r"def corr2d\(.*?\n(?=\n\n)", source, re.S).group(0)
    path.write_text(source.replace(stub, NOTES_CORR2D.rstrip()), encoding="utf-8")
    return root


def kata(*args: str, language: str = "zh", cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "KATA_LANG": language, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def test_kata_check_explains_the_notes_float32_corr2d_in_chinese_citing_d2l_zh(notes_impl):
    run = kata("check", "corr2d", "--impl", str(notes_impl), "--seed", "1")
    out = run.stdout
    assert run.returncode == 1, run.stderr
    from grader.core.diagnosis import known

    mistake = known("output_ignores_dtype")
    translations = {m.id: m.string for m in chinese()}
    assert "d2l-zh 6.2" in out.splitlines()[0] and "7.2" not in out
    assert translations[mistake.source_name] in out and translations[mistake.source_hint] in out
    assert "--seed=1" in out  # the rerun line keeps its command
    assert not [line for line in out.splitlines() if english_prose(line)], out


def test_kata_status_lists_d2l_zh_titles_and_sections(notes_impl):
    run = kata("status", "--lang", "zh", "--impl", str(notes_impl), language="en")
    assert run.returncode == 0, run.stderr
    rows = {line.split()[1]: line for line in run.stdout.splitlines() if line[:1].isdigit()}
    translations = {m.id: m.string for m in chinese()}
    from grader.core.manifest import load_manifest

    for kata_ in load_manifest():
        assert translations[kata_.source_title] in rows[kata_.id], kata_.id
        assert f" {dict(kata_.sections)['zh']} " in rows[kata_.id], kata_.id
    assert not [line for line in run.stdout.splitlines() if english_prose(line)], run.stdout


# ---- the sources -------------------------------------------------------------------------------

SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
          ast.DictComp, ast.GeneratorExp)


def _own_nodes(scope: ast.AST):
    """The nodes of ``scope`` outside the scopes nested in it."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def test_no_scope_that_calls_the_translation_function_binds_underscore_too():
    """``for _ in …`` or ``a, _ = …`` in a function that calls ``_("…")`` makes ``_`` a local name there:
    the call fails (or calls what was bound) wherever it runs."""
    clashes = []
    for path in sorted((REPO_ROOT / "grader").rglob("*.py")):
        for scope in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(scope, SCOPES):
                continue
            nodes = list(_own_nodes(scope))
            binds = [n.lineno for n in nodes if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
            reach = ast.walk(scope) if isinstance(scope, ast.Module) else nodes  # a module's `_` is its functions'
            calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_" for n in reach)
            if binds and calls:
                clashes.append(f"{path.relative_to(REPO_ROOT)}:{binds[0]}")
    assert not clashes, f"rename the throwaway `_` (e.g. `_unused`) where the scope also translates: {clashes}"


# ---- notebooks and stubs -----------------------------------------------------------------------

def markdown_of(notebook) -> list[str]:
    return [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


def test_a_stub_in_chinese_has_the_docstrings_the_header_and_the_message_in_chinese_citing_d2l_zh():
    from grader.core.stubgen import generate

    english, chinese_ = generate()["conv_layer.py"], generate(language="zh")["conv_layer.py"]
    translations = {m.id: m.string for m in chinese()}
    doc = ast.get_docstring(next(n for n in ast.parse(english).body if getattr(n, "name", "") == "corr2d"))
    in_chinese = next(n for n in ast.parse(chinese_).body if getattr(n, "name", "") == "corr2d")
    assert ast.get_docstring(in_chinese) == translations[doc]
    assert 'raise NotImplementedError("corr2d: ' in chinese_ and "d2l-zh 6.2" in chinese_ and "d2l 7.2" not in chinese_
    assert [n.lineno for n in ast.parse(chinese_).body] == [n.lineno for n in ast.parse(english).body]
    assert not [line for line in chinese_.splitlines() if line.lstrip().startswith("#") and english_prose(line)]


def test_docstrings_translated_keeps_a_learners_own_docstring_and_the_code():
    from grader.core.docstrings import docstrings_translated

    source = 'def f(x):\n    """My own notes."""\n    return x\n'
    with speaking("zh"):
        assert docstrings_translated(source) == source


def test_kata_notebooks_in_chinese_speak_it_in_their_texts_docstrings_and_cells(tmp_path, notes_impl):
    import shutil

    from grader.cli import main

    exercises = tmp_path / "exercises"
    shutil.copytree(notes_impl, exercises)
    assert main(["notebooks", str(tmp_path / "nb"), "--impl", str(exercises), "--katas", "corr2d,pool2d",
                 "--lang", "zh"]) == 0
    import json

    notebook = json.loads((tmp_path / "nb" / "conv_layer.ipynb").read_text(encoding="utf-8"))
    texts = markdown_of(notebook)
    assert texts[0].startswith("# d2l-zh 6.2") and "d2l-zh 6.2" in texts[1]
    assert not [text for text in texts if english_prose(text)], texts
    setup = next(c["source"] for c in notebook["cells"] if c.get("metadata", {}).get("convkata", {}).get("role") == "setup")
    assert "language='zh'" in setup
    code = next(c["source"] for c in notebook["cells"] if c.get("metadata", {}).get("convkata", {}).get("role") == "code")
    assert "Y = torch.zeros((X.shape[0] - h + 1" in code  # the learner's own code, as the file has it
    assert ast.get_docstring(ast.parse(code).body[0]) is None or not english_prose(ast.get_docstring(ast.parse(code).body[0]))


def test_an_nbgrader_course_in_chinese_speaks_it_and_its_test_cells_ask_for_it(tmp_path):
    import nbformat

    from grader.cli import main

    assert main(["nbgrader", "build", str(tmp_path / "course"), "--assignment", "cnn", "--katas",
                 "corr2d,conv2d_module,vgg_block", "--lang", "zh"]) == 0
    written = sorted((tmp_path / "course" / "source" / "cnn").glob("*.ipynb"))
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in written}
    assert set(notebooks) == {"conv_layer", "vgg"}
    for name, notebook in notebooks.items():
        texts = markdown_of(notebook)
        assert not [text for text in texts if english_prose(text)], (name, texts)
        assert "d2l-zh" in texts[0] or "d2l-zh" in texts[1]
        tests = [c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert tests and all(t.rstrip().endswith(", language='zh')") for t in tests)
        solutions = [c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        docstrings = [ast.get_docstring(node) for s in solutions for node in ast.parse(s).body]
        assert docstrings and not [d for d in docstrings if d and english_prose(d)]
    assert "7.2" in markdown_of(notebooks["vgg"])[1]  # VGG is d2l-zh's 7.2 (the English edition's 8.2)


def test_no_message_is_marked_inside_an_f_string():
    """Babel does not read f-strings on Python 3.11: a ``_("…")`` inside one never reaches the catalogue."""
    hidden = []
    for path in sorted((REPO_ROOT / "grader").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                hidden += [f"{path.relative_to(REPO_ROOT)}:{call.lineno}" for call in ast.walk(node)
                           if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                           and call.func.id in ("_", "N_", "ngettext") and call.args
                           and isinstance(call.args[0], ast.Constant)]
    assert not hidden, f"move these messages out of their f-strings: {hidden}"


def test_a_stubs_message_is_said_in_the_readers_language_whichever_language_the_stub_was_written_in():
    from grader.core.stubgen import stub_said

    english, chinese_ = "pool2d: implement pool2d (d2l 7.5)", "pool2d: " + {m.id: m.string for m in chinese()}[
        "implement {name} ({citation})"].format(name="pool2d", citation="d2l-zh 6.5")
    with speaking("zh"):
        assert stub_said(english) == stub_said(chinese_) == chinese_
    assert stub_said(chinese_) == english
    assert stub_said("pool2d: my own reminder") == "pool2d: my own reminder"


def test_kata_grade_writes_chinese_feedback_and_regrades_a_record_of_another_language(tmp_path, notes_impl):
    out = tmp_path / "grades"
    args = ("grade", str(notes_impl), "--katas", "corr2d,pool2d", "--out", str(out), "--no-gradebook", "-j", "1")
    run = kata(*args, "--lang", "zh", language="en")
    assert run.returncode == 0, run.stderr
    import json

    results = json.loads((out / "gradescope" / notes_impl.name / "results.json").read_text(encoding="utf-8"))
    texts = [results["output"], *(t["name"] for t in results["tests"]), *(t["output"] for t in results["tests"])]
    assert not [text for text in texts if english_prose(text)], texts
    assert "d2l-zh 6.2" in results["tests"][0]["output"] and "d2l-zh 6.5" in results["tests"][1]["output"]
    assert [t["status"] for t in results["tests"]] == ["failed", "failed"]  # Gradescope's words stay Gradescope's
    again = kata(*args, language="en")  # the same submission, read in English: graded again, not skipped
    assert again.returncode == 0 and "already graded" not in again.stdout, again.stdout
    results = json.loads((out / "gradescope" / notes_impl.name / "results.json").read_text(encoding="utf-8"))
    assert "d2l 7.2" in results["tests"][0]["output"] and "known mistake" in results["tests"][0]["output"]


#: What a diagnosis quotes rather than says: an exception's own message (the learner's code's, or
#: PyTorch's), and a line of the learner's source.
QUOTED = re.compile(r"\b\w*(Error|Exception|Warning)\b: .*$|^\s*(raise|return|File) .*$")


def test_every_kata_diagnoses_its_catalogued_mistakes_in_chinese(tmp_path, kata_seed):
    """One catalogued mistake of every kata, judged in Chinese: no English sentence left in what the
    learner reads, besides the exception messages and source lines it quotes."""
    from grader.checks.runner import Status
    from grader.dev.catalogue import load_mistakes
    from grader.dev.mutation import judge_mistake

    first = {}
    for mistake in load_mistakes():
        first.setdefault(mistake.kata, mistake)
    left = []
    with speaking("zh"):
        for mistake in first.values():
            verdict, _runner = judge_mistake(mistake, tmp_path, kata_seed)
            assert verdict.caught and verdict.named, mistake.id
            left += [(mistake.id, line) for result in verdict.result.results if result.status is not Status.PASSED
                     for line in result.message.splitlines() if english_prose(QUOTED.sub("", line))]
    assert not left, left


def test_kata_translate_puts_the_instructions_in_chinese_and_back_keeping_the_learners_code(tmp_path, notes_impl, capsys):
    import shutil

    from grader.cli import main

    exercises = tmp_path / "exercises"
    shutil.copytree(notes_impl, exercises)
    before = {path.name: path.read_text(encoding="utf-8") for path in exercises.glob("*.py")}
    assert main(["translate", "--impl", str(exercises), "--lang", "zh"]) == 0
    source = (exercises / "conv_layer.py").read_text(encoding="utf-8")
    assert NOTES_CORR2D.rstrip() in source  # the learner's code, comments and all
    translations = {m.id: m.string for m in chinese()}
    conv2d = next(n for n in ast.parse(source).body if getattr(n, "name", "") == "Conv2D")
    english = next(n for n in ast.parse(before["conv_layer.py"]).body if getattr(n, "name", "") == "Conv2D")
    assert ast.get_docstring(conv2d) == translations[ast.get_docstring(english)]
    assert 'raise NotImplementedError("edge_detection: ' + translations["implement {name} ({citation})"].format(
        name="detect_vertical_edges", citation="d2l-zh 6.2") + '")' in source
    assert len(list((tmp_path / ".kata" / "backups").rglob("*.py"))) == len(before)
    assert main(["translate", "--impl", str(exercises), "--lang", "en"]) == 0
    assert {path.name: path.read_text(encoding="utf-8") for path in exercises.glob("*.py")} == before
    capsys.readouterr()
    assert main(["translate", "--impl", "solutions"]) == 2
    assert "convkata's own" in capsys.readouterr().err


def test_a_gradescope_autograder_built_in_chinese_grades_in_chinese():
    import json

    from grader.integrations.gradescope import run_autograder_script

    with speaking("zh"):
        script = run_autograder_script(["corr2d"])
    assert "\nexport KATA_LANG=zh " in script
    failure = json.loads(re.search(r"echo '(\{.*\})'", script).group(1))["output"]
    assert failure == {m.id: m.string for m in chinese()}["The autograder could not start; please tell your instructor."]
    assert "\nexport KATA_LANG=en " in run_autograder_script()
