"""The live review workspace: the documents of a review session in memory, and
every change a reviewer makes to them from the page.

:class:`Workspace` runs the documents once (:func:`pipeline.run.run_many`, through
the cache and the project translation memory) and keeps each as translated,
before its post-edits (:class:`Live`). Every change then goes through the same
steps a run takes, on that state:

- an edit, an approval or a resolved flag is one row of ``<stem>.edits.tsv``,
  written under :func:`pipeline.review.edits.locked_edits` after reading the file
  afresh, so two tabs or two reviewers never lose each other's rows; a change made
  from English the file no longer has is refused (:class:`Conflict`), never merged;
- the document's post-edits, checks, resolved flags and approvals are then applied
  again (:func:`Live.recompute`: :func:`~pipeline.review.edits.apply_edits`,
  :func:`~pipeline.review.qa.check_document`, ...), the approvals written into the
  translation memory, and the new state returned at once; the outputs (JSON, the
  reader, the library page) are written a moment later on a thread of their own;
- a glossary term added or changed runs again, at once, every document that
  contains it (:meth:`Workspace.add_term`, :meth:`Workspace.change_term`). For an
  NMT engine the sentences that gain a term need their masked text translated
  once: :meth:`Workspace.prepare_term` does that while the reviewer types the
  English, so the run itself makes no engine call; changing a term's English
  never needs one. An LLM gets the renderings in its prompt, so only the sentences
  with the term are translated again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.archive.jobs import Job, discover
from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document, Flag, Mark, Sentence
from pipeline.render.index import write_index
from pipeline.review.edits import (
    APPROVED,
    Edit,
    edit_key,
    edits_path,
    locked_edits,
    read_edits,
    write_edits,
)
from pipeline.review.memory import TranslationMemory
from pipeline.review.qa import review_counts
from pipeline.run import review_document, run_many, write_outputs
from pipeline.serve.watch import reuse_engine
from pipeline.terms.glossary import (
    Entry,
    Glossary,
    add_entry,
    annotate_terms,
    count_in,
    default_files,
    glossary_files,
    load_glossaries,
    set_rendering,
)
from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines.base import glossary_mode
from pipeline.translate.memory import document_name
from pipeline.translate.texts import Translator

#: Outputs of a workspace's documents: the document model and the reader.
FORMATS = ("json", "html")
#: Seconds of quiet after a change before its outputs are written.
WRITE_DELAY = 0.3


class WorkspaceError(DuizhaoError):
    """A request the workspace cannot carry out (unknown page or sentence, bad value)."""


class Conflict(WorkspaceError):
    """A change made from English that was changed meanwhile (another tab or reviewer)."""


@dataclass
class Base:
    """A sentence as translated, before post-edits and checks."""

    translation: str | None
    flags: list[Flag]
    marks: list[Mark]
    approved: bool
    memory: dict[str, Any] | None


@dataclass
class Live:
    """One document of the workspace: its job, its state as translated (``base``),
    its current state, and counters the page polls."""

    job: Job
    page: str
    document: Document
    base: list[Base] = field(default_factory=list)
    #: Bumped by every change; ``generation`` only when the document was run again.
    revision: int = 0
    generation: int = 0
    #: The memory's version when the document was last run or found up to date.
    memory_at: Any = None
    #: The memory's version when fuzzy matches were last looked up.
    fuzzy_at: Any = None
    fuzzy: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: The page's conversion into its other script, made on first need.
    conversion: Any = None

    @property
    def edits_file(self) -> Path:
        return edits_path(self.job.source)

    def sentence_ids(self) -> dict[str, tuple[int, Sentence]]:
        """``p12.3`` → (position in ``document.sentences()``, sentence)."""
        out, at = {}, 0
        for block in self.document.blocks:
            if not block.translatable:
                continue
            for number, sentence in enumerate(block.sentences, start=1):
                out[f"{block.id}.{number}"] = (at, sentence)
                at += 1
        return out

    def machine(self, index: int) -> str:
        return self.base[index].translation or ""

    def recompute(self, edits: dict[str, Edit]) -> None:
        """The document's post-edits, checks, resolved flags and approvals applied
        again to its state as translated: the steps of a run after translation."""
        for sentence, base in zip(self.document.sentences(), self.base):
            sentence.translation = base.translation
            sentence.flags = list(base.flags)
            sentence.translation_marks = list(base.marks)
            sentence.approved = base.approved
            sentence.memory = base.memory
            sentence.machine, sentence.edited, sentence.edited_against = None, False, None
        for block in self.document.blocks:
            block.flags = [replace(f, resolved=False) for f in block.flags]
        review_document(self.document, edits, self.edits_file, always=True)


class Workspace:
    """The documents of ``sources`` (files and folders), their outputs under
    ``output_dir``, translated with ``make_engine``'s engine through ``cache`` and
    ``memory`` (the project translation memory), with the glossaries in force; a
    source's outputs mirror its path under ``source_root`` (the project's source
    folder) as a run's do."""

    def __init__(self, sources: Sequence[str | Path], output_dir: str | Path, make_engine: Callable[[], Translator],
                 cache: TranslationCache, glossaries: Sequence[str | Path] | None, memory: TranslationMemory, *,
                 variant: str | None = None, report: Callable[[str], None] | None = None,
                 source_root: str | Path | None = None):
        self.output = Path(output_dir)
        self.jobs = discover(sources, self.output, (), variant, source_root=source_root)
        self.engine = reuse_engine(make_engine)
        self.cache = cache
        self.glossaries = None if glossaries is None else [str(g) for g in glossaries]
        self.memory = memory
        self.variant = variant
        self.report = report or (lambda line: None)
        #: One change at a time; the engine is used by one run at a time.
        self.lock = threading.RLock()
        self.engine_lock = threading.Lock()
        self.docs: dict[str, Live] = {}
        self._writer = _Writer(self)
        self._prepared: dict[str, threading.Thread] = {}

    # -- the documents -----------------------------------------------------------------

    def page_of(self, job: Job) -> str:
        """The reader page of ``job``, relative to the output folder (``2024/a.html``)."""
        out = Path(job.output_dir) / (job.source.stem + ".html")
        return out.relative_to(self.output).as_posix()

    def glossary_files(self) -> list[Path]:
        """The glossary files in force, in order (a term is added to one of these)."""
        return glossary_files(self.glossaries) if self.glossaries is not None else default_files()

    def start(self) -> Workspace:
        """Run every document (from the cache where it can) and keep them."""
        summary = self._run(self.jobs)
        if summary.failures:
            for failure in summary.failures:
                self.report(f"Error: {failure}")
        self._writer.start()
        return self

    def close(self) -> None:
        self._writer.stop()

    def _run(self, jobs: Sequence[Job]):
        """Run ``jobs`` through the pipeline (writing their outputs and the library
        page), keeping each document as translated and as finished."""
        translated: dict[str, list[Base]] = {}
        finished: dict[str, Document] = {}
        glossaries = self.glossaries

        def keep(document: Document) -> None:  # before the run's post-edits change it in place
            translated[document_name(document)] = _capture(document)

        def done(result) -> None:
            finished[document_name(result.document)] = result.document

        with self.engine_lock:
            summary = run_many(jobs, self.engine, self.cache, glossaries, formats=FORMATS, library=self.output,
                               memory=self.memory, on_translated=keep, on_document=done, parts=False)
        with self.lock:
            for job in jobs:
                document = finished.get(document_name(job.source))
                if document is None:
                    continue
                page = self.page_of(job)
                old = self.docs.get(page)
                live = Live(job, page, document, translated[document_name(job.source)])
                live.memory_at = self.memory.version()
                if old is not None:
                    live.revision, live.generation = old.revision + 1, old.generation + 1
                self.docs[page] = live
        return summary

    def live(self, page: str) -> Live:
        try:
            return self.docs[page]
        except KeyError:
            raise WorkspaceError(f"{page}: not a document of this workspace") from None

    def _sentence(self, live: Live, sid: str) -> tuple[int, Sentence]:
        found = live.sentence_ids().get(sid)
        if found is None:
            raise WorkspaceError(f"{live.page}: no sentence {sid} (reload the page)")
        return found

    def refresh(self, page: str) -> Live:
        """The document of ``page``, run again first when the translation memory
        gained approvals of its sentences since it was run (another document was
        approved meanwhile): exact matches are applied to changed documents before
        any engine call, and a document opened in the workspace is one."""
        from pipeline.translate.memory import memory_key

        with self.lock:
            live = self.live(page)
            version = self.memory.version()
            if version == live.memory_at:
                return live
            live.memory_at = version
            own = read_edits(live.edits_file)
            by_key = {memory_key(s): s for s in live.document.sentences()
                      if s.simplified.strip() and edit_key(s.text) not in own}
            found = self.memory.exact(sorted(by_key), document_name(live.document)) if by_key else {}
            newer = [key for key, matches in found.items() if by_key[key].memory is None
                     or (by_key[key].memory.get("document"), by_key[key].memory.get("date"))
                     != (matches[0].document, matches[0].date)]
            if not newer:
                return live
            self._run([live.job])
            return self.live(page)

    # -- state for the page --------------------------------------------------------------

    def state(self, page: str) -> dict[str, Any]:
        """What the live page shows of its document: each sentence's English and
        status, the review items, the counts and the fuzzy matches."""
        with self.lock:
            live = self.live(page)
            return self._state(live)

    def _state(self, live: Live) -> dict[str, Any]:
        from pipeline.render.reader.views import document_reviews

        reviews = document_reviews(live.document)
        conversion = self._conversion(live)
        counts = review_counts(live.document)
        sentences = {}
        approved = 0
        for sid, (index, sentence) in live.sentence_ids().items():
            approved += sentence.approved
            sentences[sid] = {
                "source": sentence.text,
                "english": sentence.translation or "",
                "machine": live.machine(index) if sentence.edited else (sentence.translation or ""),
                "edited": sentence.edited,
                "approved": sentence.approved,
                "memory": sentence.memory,
            }
        return {
            "file": live.page,
            "source": str(live.job.source),
            "revision": live.revision,
            "generation": live.generation,
            "sentences": sentences,
            "review": [r.data(conversion) for r in reviews],
            "counts": {"to_do": counts.to_do_total, "summary": counts.summary(), "errors": counts.errors,
                       "warnings": counts.warnings, "notes": counts.notes_total, "resolved": counts.resolved,
                       "codes": {**counts.to_do, **counts.notes}},
            "approved": approved,
            "total": len(sentences),
            "fuzzy": self._fuzzy(live),
            "glossaries": [str(p) for p in self.glossary_files()],
        }

    def _conversion(self, live: Live):
        """The page's conversion into its other script (review messages carry both),
        made once for each run of the document and kept: it remembers what it converted."""
        from pipeline.render.reader.chinese import Conversion

        if live.conversion is None:
            terms = {t.zh for s in live.document.sentences() for t in s.terms}
            live.conversion = Conversion(live.document.script, self.variant or "s2t", terms)
        return live.conversion

    def _fuzzy(self, live: Live) -> dict[str, list[dict[str, Any]]]:
        """Fuzzy matches of the sentences not approved, looked up again when the memory changed."""
        version = self.memory.version()
        if live.fuzzy_at != version:
            ids = live.sentence_ids()
            texts = {sid: s.simplified.strip() for sid, (_, s) in ids.items() if s.simplified.strip()}
            found = self.memory.fuzzy_many(list(texts.values()), document=document_name(live.document))
            live.fuzzy = {sid: [m.to_json() for m in found[text]] for sid, text in texts.items() if text in found}
            live.fuzzy_at = version
        ids = live.sentence_ids()
        return {sid: matches for sid, matches in live.fuzzy.items() if sid in ids and not ids[sid][1].approved}

    # -- changes ---------------------------------------------------------------------------

    def _change(self, live: Live, change: Callable[[dict[str, Edit]], None]) -> dict[str, Any]:
        """Read the edits file afresh under its lock, let ``change`` alter its rows,
        write it, and apply it again to the document."""
        path = live.edits_file
        with self.lock, locked_edits(path):
            edits = read_edits(path)
            change(edits)
            rows = {k: e for k, e in edits.items() if e.english or e.resolved or e.status}
            write_edits(path, rows.values(), str(live.job.source))
            live.recompute(rows)
            self.memory.sync(live.document)
            live.revision += 1
            state = self._state(live)
        self._writer.changed(live)
        return state

    def _current(self, live: Live, index: int, sentence: Sentence, edits: dict[str, Edit]) -> str:
        """The sentence's English as the edits file makes it now."""
        row = edits.get(edit_key(sentence.text))
        return row.english if row is not None and row.english else live.machine(index)

    def _check_base(self, live: Live, sid: str, index: int, sentence: Sentence, edits: dict[str, Edit],
                    base: str) -> str:
        current = self._current(live, index, sentence, edits)
        if base.strip() != current.strip():
            raise Conflict(f"{sid} was changed meanwhile (in another tab or by another reviewer) to {current!r}; "
                           "your text was not saved: reload to see the change, then edit again")
        return current

    def save(self, page: str, sid: str, base: str, english: str, approve: bool | None = None) -> dict[str, Any]:
        """Save ``english`` as sentence ``sid``'s post-edit (empty, or the machine's
        own English: no post-edit), made from ``base``; the sentence becomes a
        draft again unless ``approve``."""
        live = self.live(page)
        index, sentence = self._sentence(live, sid)
        text = " ".join(english.split())

        def change(edits: dict[str, Edit]) -> None:
            self._check_base(live, sid, index, sentence, edits, base)
            key = edit_key(sentence.text)
            machine = live.base[index].translation or ""
            old = edits.get(key)
            kept = old.resolved if old is not None and (old.english or old.machine) == (text or machine) else ()
            status = APPROVED if approve else ""
            if text and text != machine:
                edits[key] = Edit(key, machine, text, 0, kept, status)
            elif kept or status:
                edits[key] = Edit(key, machine, "", 0, kept, status)
            else:
                edits.pop(key, None)

        return self._change(live, change)

    def set_status(self, page: str, sid: str, base: str, approved: bool) -> dict[str, Any]:
        """Approve sentence ``sid``'s English (``base``, as the page shows it), or make it a draft again."""
        live = self.live(page)
        index, sentence = self._sentence(live, sid)

        def change(edits: dict[str, Edit]) -> None:
            current = self._check_base(live, sid, index, sentence, edits, base)
            key = edit_key(sentence.text)
            old = edits.get(key) or Edit(key, current, "", 0)
            machine = old.machine if old.english else current
            edits[key] = replace(old, machine=machine, status=APPROVED if approved else "")

        return self._change(live, change)

    def resolve(self, page: str, scope: str, *, where: str = "", code: str = "", resolved: bool = True) -> dict[str, Any]:
        """Mark flags resolved (or open again): ``scope`` ``flag`` (``code`` on the
        sentence or block ``where``), ``sentence`` (every flag there) or ``code``
        (every flag of ``code`` in the document)."""
        if scope not in ("flag", "sentence", "code"):
            raise WorkspaceError(f"scope {scope!r}: give flag, sentence or code")
        live = self.live(page)
        ids = live.sentence_ids()
        blocks = {b.id: b for b in live.document.blocks}
        targets: list[tuple[str, Any, list[str]]] = []  # (text, sentence or None, codes)
        if scope == "code":
            if not code:
                raise WorkspaceError("give the code whose flags to resolve")
            targets += [(b.text, None, [code]) for b in live.document.blocks if any(f.code == code for f in b.flags)]
            targets += [(s.text, s, [code]) for _, s in ids.values() if any(f.code == code for f in s.flags)]
        else:
            if where in ids:
                item, text, sentence = ids[where][1], ids[where][1].text, ids[where][1]
            elif where in blocks:
                item, text, sentence = blocks[where], blocks[where].text, None
            else:
                raise WorkspaceError(f"{page}: no sentence or block {where} (reload the page)")
            codes = [f.code for f in item.flags] if scope == "sentence" else [code]
            if not codes or not all(c in {f.code for f in item.flags} for c in codes):
                raise WorkspaceError(f"{where} has no such flag to resolve (reload the page)")
            targets.append((text, sentence, codes))

        def change(edits: dict[str, Edit]) -> None:
            for text, sentence, codes in targets:
                key = edit_key(text)
                english = (sentence.translation or "") if sentence is not None else ""
                old = edits.get(key) or Edit(key, english, "", 0)
                if sentence is not None and not old.english and old.machine != english:
                    old = replace(old, machine=english, resolved=())  # marks for other English lapse
                now = [c for c in old.resolved if c not in codes] + (list(dict.fromkeys(codes)) if resolved else [])
                edits[key] = replace(old, resolved=tuple(now))

        return self._change(live, change)

    # -- terms -------------------------------------------------------------------------------

    def _choose_file(self, file: str | None) -> Path:
        files = self.glossary_files()
        if not file:
            if files:
                return files[-1]
            folders = [Path(g) for g in (self.glossaries or ["glossary"])]
            return next((f for f in folders if f.suffix), folders[0] / "glossary.tsv")
        chosen = next((f for f in files if str(f) == file or f.resolve() == Path(file).resolve()), None)
        if chosen is None:
            raise WorkspaceError(f"{file}: not a glossary file of this workspace (choose one of "
                                 f"{', '.join(map(str, files)) or 'none: put a .tsv file in glossary/'})")
        return chosen

    def _containing(self, zh: str, variants: str = "") -> list[Live]:
        """The documents whose text contains the term ``zh`` (or a variant)."""
        probe = _probe(zh, variants)
        return [live for live in self.docs.values()
                if any(count_in(s.text, probe) for s in live.document.sentences())]

    def prepare_term(self, zh: str, variants: str = "") -> dict[str, Any]:
        """Before a term ``zh`` is added: for an NMT engine, translate at once (on a
        thread) the sentences that will hold it as a placeholder, whatever its
        English, so the run after the term is added makes no engine call."""
        zh = zh.strip()
        if not zh or "\t" in zh or "\n" in zh:
            raise WorkspaceError("select the Chinese of the term (one line, no tabs)")
        lives = self._containing(zh, variants)
        probe = _probe(zh, variants)
        sentences = sum(bool(count_in(s.text, probe)) for live in lives for s in live.document.sentences())
        key = f"{zh}\t{variants}"
        if lives and key not in self._prepared:
            thread = threading.Thread(target=self._prefetch, args=(zh, variants, lives), daemon=True,
                                      name="duizhao-prepare-term")
            self._prepared[key] = thread
            thread.start()
        return {"zh": zh, "documents": [live.page for live in lives], "sentences": sentences}

    def _prefetch(self, zh: str, variants: str, lives: list[Live]) -> None:
        from pipeline.translate.enforce import translate_with_glossary

        try:
            glossary = load_glossaries(self.glossary_files())
            probe = Entry(zh, "\u2060", "", tuple(v.strip() for v in variants.split("|") if v.strip()), "", 0)
            entries = [e for e in glossary.entries if all(f not in probe.forms() for f in e.forms())]
            trial = Glossary([*entries, probe])
            with self.engine_lock:
                engine = self.engine()
                if glossary_mode(engine) != "masked":
                    return  # an LLM is given the renderings: nothing to do before they are known
                copies = [_fresh_copy(live.document) for live in lives]
                for copy in copies:
                    annotate_terms(copy.sentences(), trial)
                translate_with_glossary(copies, engine, self.cache)
        except Exception as exc:  # the run after the term is added does it again and reports
            self.report(f"Warning: preparing the term {zh} failed: {exc}")

    def wait_prepared(self, zh: str, variants: str = "") -> None:
        """Wait until :meth:`prepare_term` of ``zh`` has done its translating."""
        thread = self._prepared.pop(f"{zh.strip()}\t{variants}", None)
        if thread is not None:
            thread.join()

    def add_term(self, zh: str, en: str, *, note: str = "", variants: str = "", file: str | None = None) -> dict[str, Any]:
        """Append the term to a glossary file of the workspace (validated as
        ``duizhao glossary add`` does) and run again every document that contains it."""
        target = self._choose_file(file)
        self.wait_prepared(zh, variants)
        with self.lock:
            ref = add_entry(zh, en, note=note, variants=variants, path=target)
            lives = self._containing(zh, variants)
            return self._rerun(lives, ref)

    def change_term(self, ref: str, zh: str, en: str) -> dict[str, Any]:
        """Change the English of the glossary entry ``ref`` (``file:line`` of term
        ``zh``) and run again every document that uses it."""
        file = ref.rpartition(":")[0]
        self._choose_file(file)
        with self.lock:
            ref = set_rendering(ref, zh, en)
            lives = [live for live in self.docs.values()
                     if any(t.entry == ref for s in live.document.sentences() for t in s.terms)]
            return self._rerun(lives, ref)

    def _rerun(self, lives: list[Live], ref: str) -> dict[str, Any]:
        started = time.perf_counter()
        summary = self._run([live.job for live in lives])
        if summary.failures:
            raise WorkspaceError("; ".join(str(f) for f in summary.failures))
        return {"entry": ref, "documents": [live.page for live in lives], "translated": summary.translated,
                "cached": summary.cached, "seconds": round(time.perf_counter() - started, 3)}

    # -- outputs ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the outputs of every change so far (before a page or the library is served)."""
        self._writer.flush()


def _probe(zh: str, variants: str = "") -> Glossary:
    """A glossary of the one term ``zh`` (and its variants), to find where it occurs."""
    return Glossary([Entry(zh.strip(), "x", "", tuple(v.strip() for v in variants.split("|") if v.strip()), "", 0)])


def _capture(document: Document) -> list[Base]:
    """The document's sentences as translated (before post-edits and checks)."""
    return [Base(s.translation, list(s.flags), list(s.translation_marks), s.approved, s.memory)
            for s in document.sentences()]


def _fresh_copy(document: Document) -> Document:
    """The document's blocks and sentences as read (text and marks only), to be
    annotated with another glossary without touching the document."""
    blocks = [replace(b, sentences=[Sentence(s.text, s.simplified, marks=list(s.marks)) for s in b.sentences],
                      flags=[]) for b in document.blocks]
    return replace(document, blocks=blocks)


class _Writer:
    """Writes the outputs of changed documents on a thread of its own, a moment
    after the last change, so a save answers at once; :meth:`flush` waits for it."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.pending: dict[str, float] = {}
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.busy = False

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="duizhao-review-writer", daemon=True)
        self.thread.start()

    def changed(self, live: Live) -> None:
        with self.cond:
            self.pending[live.page] = time.monotonic()
            self.cond.notify_all()

    def flush(self) -> None:
        with self.cond:
            for page in self.pending:
                self.pending[page] = 0.0
            self.cond.notify_all()
            while (self.pending or self.busy) and self.thread is not None and self.thread.is_alive():
                self.cond.wait(0.05)

    def stop(self) -> None:
        self.flush()
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join()

    def _loop(self) -> None:
        while True:
            with self.cond:
                while not self.stopping and not self._due():
                    self.cond.wait(0.05)
                if self.stopping and not self.pending:
                    return
                due = [p for p, at in self.pending.items() if time.monotonic() - at >= WRITE_DELAY or at == 0.0]
                for page in due:
                    del self.pending[page]
                self.busy = True
            try:
                self._write(due)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()

    def _due(self) -> bool:
        now = time.monotonic()
        return any(at == 0.0 or now - at >= WRITE_DELAY for at in self.pending.values())

    def _write(self, pages: list[str]) -> None:
        workspace = self.workspace
        for page in pages:
            with workspace.lock:  # a copy made at once; the page is rendered from it without the lock
                live = workspace.docs.get(page)
                data = live.document.to_json() if live is not None else None
            if data is None:
                continue
            try:
                document = Document.from_json(data)
                write_outputs(document, live.job.output_dir, FORMATS, cache=workspace.cache, library=workspace.output,
                              variant=live.job.variant)
            except DuizhaoError as exc:
                workspace.report(f"Error: {exc}")
        try:
            write_index(workspace.output)
        except DuizhaoError as exc:
            workspace.report(f"Error: the library page was not rebuilt: {exc}")
