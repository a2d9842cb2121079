"""A prompt template is data, not code (issue 31, class 1).

A project's ``prompt`` file travels with it like a document. Whatever it holds,
``duizhao engines`` and ``duizhao run`` never run code of its, never read another
file for it, never hang on it: each hostile template is one line naming the
file (and line), and nothing the template asked for happens.
"""

from __future__ import annotations

import os

import pytest

from pipeline.translate.engines.prompt import MAX_PROMPT_CHARS, MAX_TEMPLATE_BYTES, PromptTemplate

from .conftest import assert_clean_error, duizhao

clean_error = pytest.mark.outcome("clean-error")
survives = pytest.mark.outcome("survives")

#: Each payload would create the file ``pwned`` in the project if it ran.
ESCAPES = {
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].system('touch pwned') }}",
    "class-walk": "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
                  "{{ c(['touch', 'pwned']) }}{% endif %}{% endfor %}",
    "attr-filter": "{{ (text|attr('__class__')|attr('__mro__'))[1].__subclasses__() }}",
    "format-walk": "{{ '{0.__class__.__init__.__globals__}'.format(text) }}",
    "self-reference": "{{ self._TemplateReference__context.environment }}",
    "namespace-global": "{% set ns = namespace(x=1) %}{{ ns.__init__.__globals__ }}",
    "mutate-terms": "{{ terms.append({'zh': 'x', 'en': 'y'}) or terms.clear() }}",
}
#: Statements that would reach other files, and the line they are on.
OTHER_FILES = {
    "include-passwd": ("Text:\n{% include '/etc/passwd' %}\n{{ text }}", 2, "include"),
    "import": ("{% import 'duizhao.toml' as settings %}{{ text }}", 1, "import"),
    "from-import": ("{{ text }}\n\n{% from 'duizhao.toml' import x %}", 3, "from ... import"),
    "extends": ("{% extends '/etc/hostname' %}", 1, "extends"),
}


@pytest.fixture
def llm_project(tmp_path):
    """A project whose engine is openai, at a port nothing listens on: a template
    is loaded, and refused, before any request is made."""
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "doc.txt").write_text("台州港口很大。\n", encoding="utf-8")
    (tmp_path / "duizhao.toml").write_text(
        '[engine]\nname = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\nprompt = "prompt.txt"\n',
        encoding="utf-8")
    return tmp_path


@clean_error
@pytest.mark.parametrize("payload", list(ESCAPES.values()), ids=list(ESCAPES))
def test_a_template_cannot_reach_python(llm_project, payload):
    prompt = llm_project / "prompt.txt"
    prompt.write_text(f"Translate:\n{payload}\n{{{{ text }}}}\n", encoding="utf-8")
    for args in (("engines",), ("run", "sources/doc.txt")):
        result = duizhao(*args, cwd=llm_project, timeout=60)
        assert "Traceback" not in result.stderr + result.stdout
        assert result.returncode == 1
        assert f"{prompt}:2: " in result.stdout + result.stderr
    assert not (llm_project / "pwned").exists()
    assert not (llm_project / "output").exists()


@clean_error
@pytest.mark.parametrize(("template", "line", "statement"), list(OTHER_FILES.values()), ids=list(OTHER_FILES))
def test_a_template_reaches_no_other_file(llm_project, template, line, statement):
    prompt = llm_project / "prompt.txt"
    prompt.write_text(template, encoding="utf-8")
    result = duizhao("run", "sources/doc.txt", cwd=llm_project, timeout=60)
    error = assert_clean_error(result, f"{prompt}:{line}: {{% {statement} %}} is not allowed")
    assert "root:" not in result.stdout + result.stderr  # nothing of /etc/passwd shown
    assert "remove prompt from duizhao.toml" in error


@clean_error
@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "too-large"])
def test_only_a_regular_file_of_bounded_size_is_read(llm_project, kind):
    """A FIFO would block a plain read for ever, /dev/zero never ends, a folder is
    not a template, a large file is not one either: each is one line, at once."""
    prompt = llm_project / "prompt.txt"
    if kind == "fifo":
        os.mkfifo(prompt)
    elif kind == "device":
        prompt.symlink_to("/dev/zero")
    elif kind == "folder":
        prompt.mkdir()
    else:
        prompt.write_text("{{ text }}\n" + "#" * MAX_TEMPLATE_BYTES, encoding="utf-8")
    result = duizhao("engines", cwd=llm_project, timeout=60)  # a hang fails here
    assert "Traceback" not in result.stderr + result.stdout and result.returncode == 1
    expected = "more than the" if kind == "too-large" else "not a regular file"
    assert f"{prompt}: " in result.stdout and expected in result.stdout, result.stdout


@clean_error
@pytest.mark.parametrize("template", [
    "{{ text * 100000 * 100000 }}",
    "{{ 10 ** 10 ** 10 }}",
    "{{ text|center(999999999) }}",
    "{{ '%0999999999d' % 1 }}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% for x in terms recursive %}{{ loop(terms) }}{% endfor %}",
], ids=["repeat", "power", "huge-argument", "percent-format", "exponential-macro", "recursive-loop"])
def test_a_template_cannot_exhaust_memory_or_time(tmp_path, template):
    """What a template may build is bounded: each of these would take gigabytes
    or never end; each is refused when loaded or rendered."""
    from pipeline.translate.engines.base import EngineError, Request

    prompt = tmp_path / "prompt.txt"
    prompt.write_text(template, encoding="utf-8")
    with pytest.raises(EngineError, match=rf"^{prompt}:1: "):
        PromptTemplate.load(prompt).render(Request("台州。", (("台州", "Taizhou"),), (), ()))


@survives
def test_the_shipped_prompt_and_a_plain_template_of_ones_own_still_work(tmp_path):
    from pipeline.translate.engines.base import Request
    from pipeline.translate.engines.openai import DEFAULT_PROMPT

    request = Request("台州很美。", (("台州", "Taizhou"),), (("⟦T0⟧", "Taizhou"),), ("上一句。",))
    shipped = PromptTemplate.load(DEFAULT_PROMPT).render(request)
    assert "台州 → \"Taizhou\"" in shipped and "⟦T0⟧ = \"Taizhou\"" in shipped and "上一句。" in shipped
    mine = tmp_path / "prompt.txt"
    mine.write_text("{% set lang = target_language|upper %}{{ lang }}: {{ text|trim }}"
                    "{% for t in terms %} [{{ loop.index }}. {{ t.zh }}={{ t.en }}]{% endfor %}"
                    "{{ ' (' ~ context|length ~ ')' if context }}", encoding="utf-8")
    assert PromptTemplate.load(mine).render(request) == "ENGLISH: 台州很美。 [1. 台州=Taizhou] (1)"


@clean_error
def test_a_prompt_longer_than_the_bound_is_refused(tmp_path):
    """The stress case of the prompt's bound: a template that repeats the text
    past :data:`MAX_PROMPT_CHARS` (without the bound, it renders a prompt of
    that size and the test fails)."""
    from pipeline.translate.engines.base import EngineError, Request

    prompt = tmp_path / "prompt.txt"
    prompt.write_text("{% for t in context %}{% for u in context %}{{ text }}{% endfor %}{% endfor %}",
                      encoding="utf-8")
    template = PromptTemplate.load(prompt)
    text = "台" * 1000
    fits = Request(text, (), (), ("x",) * 10)
    assert len(template.render(fits)) == 100 * 1000
    too_long = Request(text, (), (), ("x",) * (int((MAX_PROMPT_CHARS / 1000) ** 0.5) + 2))
    with pytest.raises(EngineError, match="more than 262,144 characters"):
        template.render(too_long)
