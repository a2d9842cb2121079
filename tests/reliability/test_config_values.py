"""Values in duizhao.toml that pass the checks must not crash later (issue 31, class 5).

NaN and infinity, NUL in paths, deep nesting, keys of thousands of dotted parts:
one line naming the file, line and key, before anything runs. A byte-order mark
at the start is accepted. A user name or password in base_url is refused (it would
not be sent), and never printed: not by ``duizhao config``, not in any message.
"""

from __future__ import annotations

import pytest

from pipeline.core.config import MAX_KEY_PARTS, MAX_NESTING

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")

BAD_VALUES = {
    "nan": ("[engine]\nname = \"openai\"\ntimeout = nan\n", 3, "engine.timeout: must be a finite number, not nan"),
    "minus-inf": ("[engine]\ntemperature = -inf\n", 2, "engine.temperature: must be a finite number"),
    "inf-penalty": ("[engine]\nrepetition_penalty = +inf\n", 2, "engine.repetition_penalty: must be a finite number"),
    "nul-in-output": ('output = "out\\u0000put"\n', 1, "output: must be text without NUL characters"),
    "nul-in-glossary": ('glossary = ["glossary", "a\\u0000b.tsv"]\n', 1, "glossary: must be a path or a list of paths"),
    "nul-in-prompt": ('[engine]\nprompt = "p\\u0000.txt"\n', 2, "engine.prompt: must be text without NUL"),
    "nul-in-model": ('[engine]\nmodel = "\\u0000"\n', 2, "engine.model: must be text without NUL"),
    "deep-array": ("glossary = " + "[" * 300 + "]" * 300 + "\n", 1, "nested more than 16 deep"),
    "deep-inline-table": ("[engine]\nfamily = " + "{a = " * 400 + "1" + "}" * 400 + "\n", 2, "nested more than 16 deep"),
    "deep-on-a-later-line": ('# a comment with [[[[ in it\noutput = "[[[["\nvariant = ' + "[" * 40 + "\n", 3,
                             "nested more than 16 deep"),
    "thousands-of-dotted-parts": ("\n" + ".".join(f"k{n}" for n in range(5000)) + " = 1\n", 2,
                                  "a key of more than 16 dotted parts"),
    "dotted-table-header": ("[" + ".".join(["engine"] * 3000) + "]\nname = 'argos'\n", 1,
                            "a key of more than 16 dotted parts"),
    "quoted-dotted-parts": (".".join(['"a"'] * 2000) + " = 1\n", 1, "a key of more than 16 dotted parts"),
    "table-in-a-table": ("[engine.argos.more]\nx = 1\n", 1, "engine.argos: unknown key"),
    "huge-string-value": ('variant = "' + "s2t" * 60_000 + '"\n', 1, "variant: must be one of"),
    "base-url-not-a-url": ('[engine]\nbase_url = "http://[::1/v1"\n', 2, "engine.base_url: must be an http:// or https:// URL"),
    "base-url-bad-port": ('[engine]\nbase_url = "http://127.0.0.1:80a/v1"\n', 2, "engine.base_url: must be an http://"),
    "base-url-ftp": ('[engine]\nbase_url = "ftp://127.0.0.1/v1"\n', 2, "engine.base_url: must be an http://"),
}


@clean_error
@pytest.mark.parametrize(("text", "line", "message"), list(BAD_VALUES.values()), ids=list(BAD_VALUES))
@pytest.mark.parametrize("command", ["config", "run"])
def test_a_bad_value_is_one_line_naming_file_line_and_key(tmp_path, text, line, message, command):
    (tmp_path / "duizhao.toml").write_text(text, encoding="utf-8")
    (tmp_path / "doc.txt").write_text("台州很美。\n", encoding="utf-8")
    args = ("config",) if command == "config" else ("run", "doc.txt", "--offline")
    error = assert_clean_error(duizhao(*args, cwd=tmp_path, timeout=60), f"duizhao.toml:{line}: ", message)
    assert len(error) < 400  # the value is clipped, never a megabyte of it
    assert not (tmp_path / "output").exists()


@survives
@pytest.mark.parametrize("bom", ["\ufeff", "\ufeff\n"], ids=["bom", "bom-then-blank-line"])
def test_a_byte_order_mark_at_the_start_is_accepted(tmp_path, bom):
    (tmp_path / "duizhao.toml").write_text(f'{bom}variant = "s2tw"\n\n[engine]\nbeam_size = 3\n', encoding="utf-8")
    result = duizhao("config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "s2tw" in lines["variant"] and f"duizhao.toml:{1 + bom.count(chr(10))}" in lines["variant"]
    assert " 3 " in lines["engine.beam_size"]


@clean_error
@pytest.mark.parametrize("where", ["file", "option"])
@pytest.mark.parametrize("url", ["http://bob:hunter2@127.0.0.1:8080/v1", "https://hunter2@example.org/v1",
                                 "http://bob:hunter2@[::1]:8080"], ids=["user-password", "token-as-user", "ipv6"])
def test_a_password_in_base_url_is_refused_and_never_shown(tmp_path, where, url):
    args = ["config"]
    if where == "file":
        (tmp_path / "duizhao.toml").write_text(f'[engine]\nname = "openai"\nbase_url = "{url}"\n', encoding="utf-8")
    else:
        args += ["--engine", "openai", "--base-url", url]
    for command in (args, ["engines", *args[1:]]):
        result = duizhao(*command, cwd=tmp_path, timeout=60)
        error = assert_clean_error(result, "user name or password", "api_key_env")
        assert ("engine.base_url" if where == "file" else "--base-url") in error
        assert "hunter2" not in result.stdout + result.stderr and "***@" in error


@clean_error
def test_the_nesting_bound_is_what_refuses_nesting(tmp_path):
    """The stress case of the nesting bound: nesting tomllib parses well (it would
    go some hundreds deeper) is refused at :data:`MAX_NESTING` + 1, and the same
    file one level shallower gets as far as the key's own check."""
    deep = "glossary = " + "[" * (MAX_NESTING + 1) + '"g"' + "]" * (MAX_NESTING + 1) + "\n"
    (tmp_path / "duizhao.toml").write_text(deep, encoding="utf-8")
    assert_clean_error(duizhao("config", cwd=tmp_path), f"nested more than {MAX_NESTING} deep")
    shallower = "glossary = " + "[" * MAX_NESTING + '"g"' + "]" * MAX_NESTING + "\n"
    (tmp_path / "duizhao.toml").write_text(shallower, encoding="utf-8")
    assert_clean_error(duizhao("config", cwd=tmp_path), "glossary: must be a path or a list of paths")


@clean_error
def test_the_dotted_key_bound_is_what_refuses_long_keys(tmp_path):
    """The stress case of the dotted-key bound: a key of :data:`MAX_KEY_PARTS` + 1
    parts is refused before tomllib (whose work grows with their square), one of
    that many parts reaches the unknown-key check."""
    too_long = ".".join(f"k{n}" for n in range(MAX_KEY_PARTS + 1)) + " = 1\n"
    (tmp_path / "duizhao.toml").write_text(too_long, encoding="utf-8")
    assert_clean_error(duizhao("config", cwd=tmp_path), f"a key of more than {MAX_KEY_PARTS} dotted parts")
    (tmp_path / "duizhao.toml").write_text(".".join(f"k{n}" for n in range(MAX_KEY_PARTS)) + " = 1\n",
                                           encoding="utf-8")
    assert_clean_error(duizhao("config", cwd=tmp_path), "unknown table [k0]")


@survives
def test_strings_and_comments_that_look_nested_or_dotted_are_fine(tmp_path):
    (tmp_path / "duizhao.toml").write_text(
        '# [[[[[[[[[[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s\n'
        'output = "out/[[[[[[[[[[[[[[[[[[[[/a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r"\n'
        "glossary = ['''g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x\n[[[[[[[[[[[[[[[[[[[[''']\n", encoding="utf-8")
    result = duizhao("config", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "out/[[[[" in result.stdout
