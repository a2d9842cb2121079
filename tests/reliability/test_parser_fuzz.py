"""Every parser, random and adversarial bytes in (issue 31, class 9).

Each parse boundary gets bytes that are random, or built from the pieces that
break parsers (deep nesting, long runs, NUL, lone surrogates' bytes, BOMs,
markup half-open, numbers out of range): it gives a result or its own one-line
error, never a traceback. Inputs are bounded (at most some hundred kilobytes),
so a parser whose work grew faster than its input would show here as a run
that does not end (the scaling itself is counted in test_linear_work.py).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import DuizhaoError

clean_error = pytest.mark.outcome("clean-error")

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def adversarial(pieces: list[bytes], max_repeat: int = 3000) -> st.SearchStrategy[bytes]:
    """Bytes made of ``pieces``, each repeated up to ``max_repeat`` times, mixed
    with random bytes: deep nesting, long runs and half-open markup by construction."""
    run = st.tuples(st.sampled_from(pieces), st.integers(1, max_repeat)).map(lambda p: p[0] * p[1])
    return st.one_of(
        st.binary(max_size=3000),
        st.lists(st.one_of(run, st.binary(max_size=40)), max_size=8).map(b"".join),
    )


COMMON = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\r", b"\n", b"\t", b"\\", b"#", b"\xe5\x8f\xb0",
          b"\x1b[2J", b"\xe2\x80\xae", b"9" * 30, b"-" * 5]


def in_file(data: bytes, name: str):
    """``data`` written to a fresh file ``name``; yields its path."""
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / name
    path.write_bytes(data)
    return folder, path


def one_line(error: DuizhaoError) -> None:
    message = str(error)
    assert message and "Traceback" not in message
    first = message.splitlines()[0]
    assert len(first) < 2000, first[:200]


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"> ", b"- ", b"  ", b"1. ", b"[", b"](", b"*", b"_", b"`", b"```\n", b"<div>",
                             b"---\n", b"| a |", b"\n\n", b"\xe3\x80\x82", b"[^1]", b"::: tip\n", b"{#x}",
                             b"\xe2\x9f\xa6T0\xe2\x9f\xa7", b"\x8b\xa8"]),
       st.sampled_from(["doc.txt", "doc.md"]))
def test_sources(data, name):
    from pipeline.core.errors import SourceError
    from pipeline.read import load_document

    folder, path = in_file(data, name)
    with folder:
        try:
            document = load_document(path)
        except SourceError as exc:
            one_line(exc)
            return
    assert all(isinstance(s.text, str) and s.text for s in document.sentences())


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"zh\ten\tnote\tvariants\n", b"zh\ten\n", b"\xe5\x8f\xb0\xe5\xb7\x9e\tTaizhou\n",
                             b"|", b"=", b"\xe2\x9f\xa6", b"\t\t\t\t", b"en\tzh\n"]))
def test_glossaries(data):
    from pipeline.terms.glossary import GlossaryError, load_glossaries

    folder, path = in_file(data, "g.tsv")
    with folder:
        try:
            glossary = load_glossaries([path])
        except GlossaryError as exc:
            assert exc.problems and all(problem.startswith(str(path)) for problem in exc.problems)
            return
    assert all(entry.zh and entry.en for entry in glossary.entries)


TBX_PIECES = [b"<tbx>", b"<martif>", b"<text><body>", b"<conceptEntry>", b"<termEntry>", b"</conceptEntry>",
              b'<langSec xml:lang="zh">', b'<langSet lang="en">', b"<termSec><term>", b"</term></termSec>",
              b'<descrip type="definition">', b"<note>", b"</note>", b"<!-- x -->", b"<![CDATA[x]]>", b"&amp;",
              b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', b"&a;", b"<a>", b"</a>", b"<?xml version='1.0'?>"]


@clean_error
@FUZZ
@given(adversarial(COMMON + TBX_PIECES), st.sampled_from(["t.tbx", "t.csv"]))
def test_termbases(data, name):
    from pipeline.terms.termbase import TermbaseError, read_termbase

    if name.endswith(".csv") and not data.startswith(b"zh"):
        data = b"zh,en,note,variants\n" + data
    folder, path = in_file(data, name)
    with folder:
        try:
            terms, skipped = read_termbase(path)
        except TermbaseError as exc:
            one_line(exc)
            return
    assert all(term.zh and term.en for term in terms)


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"source\tmachine\tenglish\tresolved\n", b"source\tmachine\tenglish\n",
                             b"# duizhao edits for ", b"\\t", b"\\n", b"\\udcff", b"\\#", b"\t\t", b"\\u"]))
def test_edits_files(data):
    from pipeline.review.edits import EditsError, read_edits

    folder, path = in_file(data, "doc.edits.tsv")
    with folder:
        try:
            edits = read_edits(path)
        except EditsError as exc:
            assert str(exc).startswith((str(path), "invalid edits file:"))
            return
    assert all(key == edit.source and key for key, edit in edits.items())


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"<tmx>", b"<body>", b"<tu>", b"</tu>", b'<tuv xml:lang="zh">', b'<tuv lang="en">',
                             b"<seg>", b"</seg>", b"<bpt>", b"zh\ten\n", b"\xe5\x8f\xb0\tTai\n", b"<a>"]),
       st.sampled_from(["ref.tmx", "ref.tsv"]))
def test_references(data, name):
    from pipeline.review.evaluate import ReferenceFileError, read_reference

    folder, path = in_file(data, name)
    with folder:
        try:
            pairs = read_reference(path)
        except ReferenceFileError as exc:
            one_line(exc)
            return
    assert pairs and all(zh and en for zh, en in pairs)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
VALID_DOCUMENT = {
    "schema_version": 1, "source": "doc.md", "encoding": "utf-8", "script": "simplified",
    "blocks": [
        {"id": "p1", "kind": "title", "text": "台州", "lines": [1], "level": 1,
         "sentences": [{"text": "台州", "translation": "Taizhou",
                        "terms": [{"zh": "台州", "en": "Taizhou", "start": 0, "end": 2, "entry": "g.tsv:2"}]}],
         "flags": []},
        {"id": "p2", "kind": "table", "text": "台州 | 很美", "lines": [3, 4, 5],
         "table": {"header": 1, "align": ["", "left"], "rows": [[[1], [2]]]},
         "sentences": [{"text": "台州", "translation": "Taizhou"},
                       {"text": "很美", "translation": "beautiful", "marks": [{"kind": "strong", "start": 0, "end": 2}],
                        "flags": [{"code": "untranslated", "message": "m", "severity": "warning"}]}],
         "flags": [{"code": "joined", "message": "j", "severity": "info"}]},
    ],
    "dropped": [], "signature": '{"engine": "fake"}', "stats": {"sentences": 3, "translated": 3, "cached": 0},
    "glossary": [{"file": "g.tsv", "sha256": "", "entries": 1}],
    "edits": {"file": "doc.edits.tsv", "applied": 0, "orphaned": [{"source": "杭州", "english": "x", "line": 2}]},
}


def _paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*prefix, key))


PLACES = list(_paths(VALID_DOCUMENT))[1:]


@st.composite
def documents(draw) -> bytes:
    """A valid document JSON with a few places replaced by any JSON value, or
    nested past any parser's recursion, or not JSON at all."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(adversarial(COMMON + [b"[", b"{", b'{"a":', b"]", b"}", b'"\\ud800"', b"1e999"]))
    document = json.loads(json.dumps(VALID_DOCUMENT))
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(PLACES))
        target = document
        try:
            for key in place[:-1]:
                target = target[key]
            target[place[-1]] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    if choice == 1:
        text = text.replace('"dropped": []', '"dropped": ' + "[" * 5000 + "]" * 5000)
    return text.encode("utf-8", "surrogatepass")


@clean_error
@FUZZ
@given(documents())
def test_document_json_and_rendering_it(data):
    """What ``duizhao render`` does: read the JSON, then write every format. A file
    that is read is rendered without a failure; one that is not is one line."""
    from pipeline.core.model import DocumentJSONError, read_document_json
    from pipeline.render.formats import FORMATS, write_formats

    folder, path = in_file(data, "doc.json")
    with folder:
        try:
            document = read_document_json(path)
        except DocumentJSONError as exc:
            one_line(exc)
            return
        written = write_formats(document, Path(folder.name) / "out", list(FORMATS))
        for output in written:  # a text is UTF-8, a Word file or a book a whole zip
            if zipfile.is_zipfile(output):
                with zipfile.ZipFile(output) as archive:
                    assert archive.testzip() is None
            else:
                assert output.read_bytes().decode("utf-8")


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"[engine]\n", b"[[engine]]\n", b'name = "openai"\n', b"timeout = nan\n",
                             b"a.b.c.", b"[", b"{x = ", b"]", b"}", b'"', b"'''", b'"""', b"= 1\n",
                             b"output = ", b"glossary = [", b'base_url = "http://u:p@h/"\n', b"\\u0000"]))
def test_project_files(data):
    from pipeline.core.config import ConfigError, load_config

    folder, path = in_file(data, "duizhao.toml")
    with folder:
        try:
            config = load_config(start=path.parent, environ={})
        except ConfigError as exc:
            one_line(exc)
            return
    assert config.project_file == path and config.describe()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def packages(draw) -> bytes:
    """Random bytes, or zip archives holding a package's files with random content
    (metadata.json nested deep, of the wrong types, or not JSON)."""
    if draw(st.booleans()):
        return draw(adversarial(COMMON + [b"PK\x03\x04", b"PK\x05\x06", b"PK\x01\x02"]))
    metadata = draw(st.one_of(
        st.just(b'{"from_code": "zh", "to_code": "en"}'),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.integers(1, 50_000).map(lambda n: b"[" * n + b"]" * n),
        st.binary(max_size=200)))
    names = draw(st.lists(st.sampled_from(["pkg/metadata.json", "pkg/model/model.bin", "pkg/sentencepiece.model",
                                           "pkg/model/config.json", "../evil", "/abs", "other/x"]), max_size=5,
                          unique=True))
    return _zip({name: (metadata if name.endswith("metadata.json") else draw(st.binary(max_size=300)))
                 for name in ["pkg/metadata.json", *names]})


@clean_error
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_argos_packages(data):
    from pipeline.translate.packages import PackageError, install_from_file, installed_packages

    folder, path = in_file(data, "p.argosmodel")
    with folder:
        root = Path(folder.name) / "packages"
        root.mkdir()
        try:
            install_from_file(path, root=root)
        except PackageError as exc:
            one_line(exc)
        assert installed_packages(root) == []  # nothing half-installed, no random package accepted


@clean_error
@FUZZ
@given(st.one_of(JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                 adversarial(COMMON + [b"[", b"{", b'{"from_code": ', b'"links": [', b"]", b"}"])))
def test_package_metadata_settings_and_index_copies(data):
    """An installed package's metadata.json, Argos's settings.json and its copy of
    the index: another program's files, read and never trusted."""
    from pipeline.translate import packages

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "packages" / "pkg").mkdir(parents=True)
        (root / "packages" / "pkg" / "metadata.json").write_bytes(data)
        (root / "config" / "argos-translate").mkdir(parents=True)
        (root / "config" / "argos-translate" / "settings.json").write_bytes(data)
        (root / "data" / "argos-translate").mkdir(parents=True)
        (root / "data" / "argos-translate" / "index.json").write_bytes(data)
        saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "ARGOS_PACKAGES_DIR")}
        os.environ.update(XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "data"))
        os.environ.pop("ARGOS_PACKAGES_DIR", None)
        try:
            found = packages.installed_packages(root / "packages")
            assert all(isinstance(p.from_code, str) for p in found)
            assert isinstance(packages.packages_dir(), Path)
            assert "download it" in packages.where_to_download("zh", "en")
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@clean_error
@FUZZ
@given(st.one_of(documents(), JSON_VALUES.map(lambda v: json.dumps(v).encode())),
       adversarial(COMMON + [b'{"version": 1, "rows": {', b'"doc.json": {"stamp": [', b'"row": {', b"]", b"}"]))
def test_the_library_memo_and_json_files_in_the_output_folder(document, memo):
    from pipeline.render.index import MEMO_NAME, write_index

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "doc.json").write_bytes(document)
        (root / MEMO_NAME).write_bytes(memo)
        warnings: list[str] = []
        page = write_index(root, warn=warnings.append)
        assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert len(warnings) <= 2
        json.loads((root / MEMO_NAME).read_text(encoding="utf-8"))  # rebuilt whole


@clean_error
@FUZZ
@given(adversarial(COMMON + [b"{{", b"}}", b"{%", b"%}", b"{#", b"#}", b" for x in terms ", b" endfor ",
                             b" if ", b" endif ", b"text", b".__class__", b"|attr('__class__')", b" include ",
                             b" import ", b" macro ", b" set x = ", b"(", b")", b"[", b"]", b"*", b"**", b"~"]))
def test_prompt_templates(data):
    from pipeline.translate.engines.base import EngineError, Request
    from pipeline.translate.engines.prompt import MAX_PROMPT_CHARS, PromptTemplate

    folder, path = in_file(data, "prompt.txt")
    with folder:
        try:
            prompt = PromptTemplate.load(path).render(Request("台州。", (("台州", "Taizhou"),), (), ("上句。",)))
        except EngineError as exc:
            one_line(exc)
            return
    assert len(prompt) <= MAX_PROMPT_CHARS


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``duizhao serve``'s server on a folder holding pages, one named in GBK
    bytes, and a link that loops."""
    from pipeline.serve.server import ReaderServer

    folder = tmp_path_factory.mktemp("served")
    (folder / "doc.html").write_text("<!DOCTYPE html><body><p>台州</p></body>\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"\xb2\xe2.html"), "w", encoding="utf-8") as handle:
        handle.write("<!DOCTYPE html><body>GBK</body>\n")
    (folder / "loop").symlink_to("loop")
    with ReaderServer(folder, port=0, header_timeout=5.0) as server:
        yield server


@clean_error
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=12).map(lambda b: "".join(f"%{c:02X}" for c in b)),
                          st.sampled_from(["..", ".", "/", "loop", "doc.html", "%B2%E2.html", "%00", "%2e%2e",
                                           "__duizhao/version?file=", "?", "&file=", "%ED%A0%80", "\\", "x" * 300])),
                max_size=6).map("/".join))
def test_requests_to_the_reader_server(served, path):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        connection.request("GET", "/" + path.lstrip("/"))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (200, 400, 403, 404), response.status
    if response.getheader("Content-Type", "").startswith("text/html"):
        body.decode("utf-8")
