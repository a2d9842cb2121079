"""The live review workspace (pipeline/serve/workspace.py) without a browser: edits
saved in place under a lock and refused when made from English changed meanwhile,
checks recomputed at once, approvals, flags resolved one, a code or a sentence at a
time, terms added or changed with the documents that contain them run again, and
approvals reused by another document."""

from __future__ import annotations

import json
import shutil
import stat
import threading
from pathlib import Path

import pytest

from fakes import FakeEngine
from pipeline.review.edits import edits_path, read_edits
from pipeline.review.memory import TranslationMemory
from pipeline.review.qa import review_counts
from pipeline.run import run
from pipeline.serve.workspace import Conflict, Workspace, WorkspaceError
from pipeline.terms.glossary import GlossaryError
from pipeline.translate.cache import TranslationCache

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "sources" / "taizhou.txt"


class Session:
    """A project folder (the seed, a second document sharing its first lines, the
    seed's glossary), a workspace on it, and the fake engine it uses."""

    def __init__(self, folder: Path, engine=None, extra: dict[str, str] | None = None):
        self.folder = folder
        sources = folder / "sources"
        sources.mkdir()
        shutil.copyfile(SEED, sources / "taizhou.txt")
        lines = SEED.read_text(encoding="utf-8").splitlines()
        (sources / "second.txt").write_text("\n".join(lines[:12]) + "\n\n本周的新句子在这里。\n", encoding="utf-8")
        for name, text in (extra or {}).items():
            (sources / name).write_text(text, encoding="utf-8")
        (folder / "glossary").mkdir()
        shutil.copyfile(REPO / "glossary" / "taizhou.tsv", folder / "glossary" / "taizhou.tsv")
        self.glossary = folder / "glossary" / "taizhou.tsv"
        self.engine = engine or FakeEngine()
        self.cache = TranslationCache(folder / "c.sqlite3")
        self.memory = TranslationMemory(folder / "m.sqlite3")
        self.workspace = Workspace([sources], folder / "out", lambda: self.engine, self.cache, [self.glossary],
                                   self.memory).start()
        self.source = sources / "taizhou.txt"
        self.edits = edits_path(self.source)

    def state(self, page: str = "taizhou.html") -> dict:
        return self.workspace.state(page)

    def close(self) -> None:
        self.workspace.close()
        self.memory.close()
        self.cache.close()


@pytest.fixture
def session(tmp_path):
    session = Session(tmp_path)
    yield session
    session.close()


def plain_sentence(state: dict) -> str:
    """A sentence with a number and no term, whose English the fake engine keeps the number of."""
    return next(sid for sid, v in state["sentences"].items() if "50万" not in v["source"] and "2023" in v["source"])


def flags_of(state: dict, sid: str) -> list[tuple[str, int]]:
    return [(f[0], f[3]) for where, _, flags, _ in state["review"] if where == sid for f in flags]


def to_do_of(state: dict, sid: str) -> list[str]:
    return [f[0] for where, _, flags, _ in state["review"] if where == sid for f in flags if f[1] != "info" and not f[3]]


def test_an_edit_is_saved_in_place_checked_at_once_and_survives_a_rerun(session):
    state = session.state()
    sid = plain_sentence(state)
    before = state["sentences"][sid]
    assert ("number-mismatch", 0) not in flags_of(state, sid)
    after = session.workspace.save("taizhou.html", sid, before["english"], "A year without its number.")
    assert ("number-mismatch", 0) in flags_of(after, sid)  # recomputed at once, in the answer
    gained = len(to_do_of(after, sid)) - len(to_do_of(state, sid))
    assert gained >= 1 and after["counts"]["to_do"] == state["counts"]["to_do"] + gained
    (row,) = read_edits(session.edits).values()
    assert (row.source, row.machine, row.english) == (before["source"], before["english"], "A year without its number.")
    assert stat.S_IMODE(session.edits.stat().st_mode) == 0o666 & ~_umask()
    fixed = session.workspace.save("taizhou.html", sid, "A year without its number.", "In 2023, a year.")
    assert ("number-mismatch", 0) not in flags_of(fixed, sid)
    session.workspace.flush()
    written = json.loads((session.folder / "out" / "taizhou.json").read_text(encoding="utf-8"))
    assert "In 2023, a year." in [s.get("translation") for b in written["blocks"] for s in b["sentences"]]
    document = run(session.source, session.folder / "rerun", lambda: session.engine, session.cache,
                   glossaries=[session.glossary]).document
    assert [s.translation for s in document.sentences() if s.text == before["source"]] == ["In 2023, a year."]
    # back to the machine's English: the row goes
    session.workspace.save("taizhou.html", sid, "In 2023, a year.", before["english"])
    assert read_edits(session.edits) == {}


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_save_from_english_changed_meanwhile_is_refused_and_changes_nothing(session):
    sid = plain_sentence(session.state())
    base = session.state()["sentences"][sid]["english"]
    session.workspace.save("taizhou.html", sid, base, "First tab's English.")
    text = session.edits.read_bytes()
    with pytest.raises(Conflict, match="changed meanwhile .* to \"First tab's English.\""):
        session.workspace.save("taizhou.html", sid, base, "Second tab's English.")
    with pytest.raises(Conflict):
        session.workspace.set_status("taizhou.html", sid, base, True)
    assert session.edits.read_bytes() == text


def test_saves_from_many_threads_at_once_lose_nothing(session):
    state = session.state()
    chosen = list(state["sentences"].items())[:24]
    errors = []

    def save(sid: str, value: dict) -> None:
        try:
            session.workspace.save("taizhou.html", sid, value["english"], f"Edited {sid}.")
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=item) for item in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = read_edits(session.edits)
    assert set(rows) == {v["source"] for _, v in chosen}  # every thread's row is there
    for sid, value in chosen:
        assert rows[value["source"]].english in {f"Edited {other}." for other, v in chosen
                                                  if v["source"] == value["source"]}


def test_approval_holds_for_the_english_approved_and_an_edit_makes_a_draft(session):
    state = session.state()
    sid = plain_sentence(state)
    english = state["sentences"][sid]["english"]
    approved = session.workspace.set_status("taizhou.html", sid, english, True)
    assert approved["sentences"][sid]["approved"] and approved["approved"] == state["approved"] + 1
    (row,) = read_edits(session.edits).values()
    assert (row.english, row.machine, row.status) == ("", english, "approved")
    assert session.memory.stats()["approved"] == 1
    edited = session.workspace.save("taizhou.html", sid, english, "New English 2023.")
    assert not edited["sentences"][sid]["approved"] and session.memory.stats()["approved"] == 0
    again = session.workspace.save("taizhou.html", sid, "New English 2023.", "Newer English 2023.", approve=True)
    assert again["sentences"][sid]["approved"] and again["sentences"][sid]["edited"]
    draft = session.workspace.set_status("taizhou.html", sid, "Newer English 2023.", False)
    assert not draft["sentences"][sid]["approved"] and draft["sentences"][sid]["english"] == "Newer English 2023."


def test_flags_are_resolved_one_a_whole_sentence_or_a_whole_code(session):
    state = session.state()
    counts = {code: n for code, n in state["counts"]["codes"].items()}
    code = max(counts, key=counts.get)  # the commonest code
    assert counts[code] > 2
    where = next(w for w, _, flags, _ in state["review"] if "." in w and any(f[0] == code for f in flags))
    one = session.workspace.resolve("taizhou.html", "flag", where=where, code=code)
    assert one["counts"]["resolved"] == 1 and (code, 1) in flags_of(one, where)
    several = next(w for w, _, flags, _ in state["review"] if "." in w and len(flags) > 1)
    whole = session.workspace.resolve("taizhou.html", "sentence", where=several)
    assert all(resolved for _, resolved in flags_of(whole, several))
    every = session.workspace.resolve("taizhou.html", "code", code=code)
    assert every["counts"]["codes"].get(code, 0) == 0
    assert all(f[3] for _, _, flags, _ in every["review"] for f in flags if f[0] == code)
    # the next run shows the same: one count everywhere
    document = run(session.source, None, lambda: session.engine, session.cache, glossaries=[session.glossary]).document
    assert review_counts(document).summary() == every["counts"]["summary"]
    reopened = session.workspace.resolve("taizhou.html", "flag", where=where, code=code, resolved=False)
    assert (code, 0) in flags_of(reopened, where)
    with pytest.raises(WorkspaceError, match="no such flag"):
        session.workspace.resolve("taizhou.html", "flag", where=where, code="no-such-code")


def test_adding_a_term_runs_again_the_documents_that_contain_it_with_no_engine_call(session):
    found = session.workspace.prepare_term("集装箱")
    assert found["documents"] == ["second.html", "taizhou.html"] and found["sentences"] > 2
    session.workspace.wait_prepared("集装箱")  # done while the reviewer types the English
    calls = len(session.engine.calls)
    result = session.workspace.add_term("集装箱", "container", note="*boxes*")
    assert len(session.engine.calls) == calls and result["translated"] == 0
    assert result["documents"] == ["second.html", "taizhou.html"]
    assert session.glossary.read_text(encoding="utf-8").endswith("集装箱\tcontainer\t*boxes*\t\n")
    written = json.loads((session.folder / "out" / "taizhou.json").read_text(encoding="utf-8"))
    holding = [s for b in written["blocks"] for s in b["sentences"] if "集装箱" in s["text"]]
    terms = [t for s in holding for t in s.get("terms", []) if t["zh"] == "集装箱"]
    assert holding and len(terms) >= len(holding)
    assert all(t["en"] == "container" and t["entry"] == result["entry"] for t in terms)
    english = [s["translation"] for b in written["blocks"] for s in b["sentences"] if "集装箱" in s["text"]]
    assert english and all("container" in e for e in english)
    assert session.state()["generation"] == 1  # the page knows to reload


def test_a_terms_english_changed_from_the_page_needs_no_engine_call(session):
    entry = next(t for b in session.workspace.live("taizhou.html").document.blocks for s in b.sentences
                 for t in s.terms if t.zh == "台州")
    calls = len(session.engine.calls)
    result = session.workspace.change_term(entry.entry, "台州", "Taizhou City")
    assert len(session.engine.calls) == calls and set(result["documents"]) == {"second.html", "taizhou.html"}
    text = session.glossary.read_text(encoding="utf-8")
    assert "台州\tTaizhou City\t" in text and "\n台州\tTaizhou\t" not in text
    english = session.state()["sentences"]["p1.1"]["english"]
    assert english.startswith("Taizhou City")
    with pytest.raises(GlossaryError, match="no longer the entry"):
        session.workspace.change_term(entry.entry, "大麦屿港", "Port")


@pytest.mark.parametrize("zh, en, problem", [
    ("台州", "Taizhou", "already there"),
    ("新词", "a\tb", "a tab, a line break"),
    ("新词", "⟦T0⟧", "brackets"),
    ("新词", " ", "both ZH and EN"),
], ids=["duplicate", "tab", "placeholder", "empty"])
def test_a_term_is_validated_as_glossary_add_validates_it(session, zh, en, problem):
    before = session.glossary.read_bytes()
    with pytest.raises(GlossaryError, match=problem):
        session.workspace.add_term(zh, en)
    assert session.glossary.read_bytes() == before
    with pytest.raises(WorkspaceError, match="not a glossary file of this workspace"):
        session.workspace.add_term("新词", "new word", file=str(session.folder / "elsewhere.tsv"))


def test_a_second_document_reuses_the_approvals_of_the_first_when_opened(session):
    first = session.state()
    for sid, value in first["sentences"].items():
        session.workspace.set_status("taizhou.html", sid, value["english"], True)
    calls = len(session.engine.calls)
    session.workspace.refresh("second.html")
    second = session.state("second.html")
    assert len(session.engine.calls) == calls  # no engine call: every shared sentence from the memory
    shared = [v for v in second["sentences"].values() if v["memory"]]
    assert len(shared) == second["total"] - 1 and second["approved"] == second["total"] - 1
    assert all(v["memory"]["document"].endswith("taizhou.txt") for v in shared)
    new = [v for v in second["sentences"].values() if not v["memory"]]
    assert [v["source"] for v in new] == ["本周的新句子在这里。"]


def test_for_an_llm_adding_a_term_asks_again_only_the_sentences_that_have_it(tmp_path):
    from pipeline.testing.llm import FakeLLM
    from pipeline.translate.engines.openai import OpenAIEngine

    with FakeLLM() as llm:
        session = Session(tmp_path, engine=OpenAIEngine(base_url=llm.url, model="test-model"))
        try:
            before = len(llm.chat_requests)
            holding = {v["source"] for v in session.state()["sentences"].values() if "集装箱" in v["source"]} | {
                v["source"] for v in session.state("second.html")["sentences"].values() if "集装箱" in v["source"]}
            found = session.workspace.prepare_term("集装箱")
            session.workspace.wait_prepared("集装箱")
            assert len(llm.chat_requests) == before  # nothing to do before the English is known
            result = session.workspace.add_term("集装箱", "container")
            asked = {r.text for r in llm.chat_requests[before:]}
            assert asked == holding and result["translated"] == len(holding) and found["sentences"] >= len(holding)
            english = [v["english"] for v in session.state()["sentences"].values() if "集装箱" in v["source"]]
            assert english and all("container" in e for e in english)
        finally:
            session.close()


def test_a_document_reviewed_alone_has_the_page_its_folder_run_writes(tmp_path):
    """sources/2024/new.txt reviewed by itself is 2024/new.html, as `duizhao run` and
    the folder run write it, never a second page of the same source."""
    from pipeline.archive import discover

    (tmp_path / "sources" / "2024").mkdir(parents=True)
    new = tmp_path / "sources" / "2024" / "new.txt"
    new.write_text("台州港口很大。\n", encoding="utf-8")
    out = tmp_path / "out"
    with TranslationCache(tmp_path / "c.sqlite3") as cache, TranslationMemory(tmp_path / "m.sqlite3") as memory:
        alone = Workspace([new], out, FakeEngine, cache, [], memory, source_root=tmp_path / "sources").start()
        try:
            assert list(alone.docs) == ["2024/new.html"]
            assert alone.state("2024/new.html")["total"] == 1
        finally:
            alone.close()
    folder_run = discover([tmp_path / "sources"], out, source_root=tmp_path / "sources")
    assert [job.output_dir for job in folder_run] == [out / "2024"]
