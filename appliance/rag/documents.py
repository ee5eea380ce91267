"""Collections and documents: the ingestion path, deletion and crash recovery.

Ingestion of one file is atomic as seen by retrieval. Its steps are:

1. load, pseudonymise and chunk the file (nothing written yet);
2. seal the original file into the blob folder under a new document key, and
   record the document as ``pending`` with its sealed chunks (one transaction);
3. embed the chunks and write their vectors to Chroma;
4. mark it ``ready`` and delete the version it replaces (one transaction);
5. delete the replaced version's vectors.

Steps 3-5 run for several files of one ingestion call at once (an
:class:`_EmbeddingPool`): their chunks are embedded together, so the embedder's
length-sorted batches pad short documents' chunks against each other's rather
than one small batch per file. The pool is flushed every ``pool_chunks`` chunks,
and before a file that has the same name or content as a pooled one, so
"unchanged", "duplicate" and "replaced" are judged as if each file were
ingested alone. A file that fails fails in steps 1-2, alone, before anything of
it is pooled.

A collection's vectors live in the vector space of its embedder
(:func:`vector_space`). :meth:`DocumentLibrary.reembed` moves a collection to
another embedder: it embeds every ready document's sealed chunks into the new
space, document by document (a killed run continues where it stopped), then
switches the collection over in one transaction and drops the old space, so
a question is never compared with vectors of another embedder.

Retrieval only sees chunks of ``ready`` documents, so a process killed at any
step leaves nothing half-visible. The next process to take the ingestion lock
rolls back pending documents and removes vectors, sealed files and keys that
belong to no document.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from appliance.crypto.keyring import SUPERSEDED
from appliance.embeddings import DEFAULT_EMBEDDER, Embedder, check_embedder_name
from appliance.errors import CollectionNotFound, DocumentError
from appliance.files import crash_point, ensure_private_dir, sha256_file
from appliance.ingest import SUPPORTED_SUFFIXES, Attachment, chunk_document, load_document
from appliance.ingest.chunker import ChunkDraft
from appliance.privacy import PiiBlocked
from appliance.rag.identifiers import SUBJECT_SCOPE
from appliance.rag.privacy import PrivacyGate
from appliance.rag.spaces import embedder_of, space_of, spaces_of, vector_space
from appliance.store.database import Database
from appliance.store.schema import Chunk, Collection, Document, DocumentStatus, Identifier
from appliance.store.vault import (
    DOCUMENT_SCOPE,
    ORIGINAL_SCOPE,
    DocumentInfo,
    DocumentVault,
    extraction_of,
)
from appliance.store.vectors import VectorIndex

# Chroma wants names that start and end with a letter or digit.
log = logging.getLogger(__name__)

COLLECTION_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
DEFAULT_COLLECTION = "default"
# Chunks of several files embedded in one call at most (plus the last file's own):
# enough for length-sorted batches of 32 to pad little, small enough to keep the
# pool's texts and vectors a few MB (bench/RESULTS.md, ingestion batching).
POOL_CHUNKS = 256


@dataclass(frozen=True)
class IngestResult:
    path: Path
    status: str  # "added", "replaced", "unchanged", "duplicate", "skipped", "failed"
    document_id: str | None = None
    chunks: int = 0
    pages: int | None = None
    error: str | None = None
    ocr_pages: tuple[int, ...] = ()  # pages whose text was read by OCR
    pages_without_text: tuple[int, ...] = ()  # pages on which no text was found

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def extraction_note(self) -> str:
        """What staff should know about how the text was read, e.g.
        "pages 2-3 read by OCR; no text found on page 4" ("" when nothing)."""
        notes = []
        if self.ocr_pages:
            notes.append(f"{_pages_label(self.ocr_pages)} read by OCR")
        if self.pages_without_text:
            notes.append(f"no text found on {_pages_label(self.pages_without_text)}")
        return "; ".join(notes)


def _unique_name(name: str, seen: set[str]) -> str:
    """``name``, or "name (2).ext" when a mail carries two attachments of one name."""
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    candidate, n = name, 1
    while candidate.lower() in seen:
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"
    seen.add(candidate.lower())
    return candidate


def _pages_label(pages: tuple[int, ...]) -> str:
    """ "page 2", "pages 2-3", "pages 1, 4-6" """
    runs: list[str] = []
    ordered = sorted(set(pages))
    start = prev = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    word = "page" if len(ordered) == 1 else "pages"
    return f"{word} {', '.join(runs)}"


@dataclass(frozen=True)
class ReembedResult:
    """What :meth:`DocumentLibrary.reembed` did: documents embedded now, documents
    found done by an earlier (interrupted) run, chunks embedded now."""

    collection: str
    before: str  # the embedder the collection had
    after: str  # the embedder it has now
    embedded: int
    resumed: int
    chunks: int

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def as_json(self) -> dict[str, object]:
        return {
            "collection": self.collection,
            "before": self.before,
            "after": self.after,
            "documents_embedded": self.embedded,
            "documents_already_done": self.resumed,
            "chunks_embedded": self.chunks,
        }


def validate_collection_name(name: str) -> str:
    if not COLLECTION_NAME.match(name):
        raise DocumentError(
            f"invalid collection name {name!r}: use 1-63 lower-case letters, digits, '-' or '_', "
            "starting and ending with a letter or digit."
        )
    return name


def expand_paths(paths: list[Path]) -> Iterator[tuple[Path, DocumentError | None]]:
    """Files named, and supported files under folders named (recursively).

    Unreadable folders and symlink loops become per-path errors, not crashes.
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            yield path, DocumentError(f"{path}: file not found.")
            continue
        except OSError as exc:  # ELOOP for a symlink loop, EACCES...
            yield path, DocumentError(f"{path}: cannot be opened ({exc.strerror}).")
            continue
        if not path.is_dir():
            yield path, None
            continue
        seen.add((st.st_dev, st.st_ino))
        yield from _walk(path, seen)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, DocumentError | None]]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield folder, DocumentError(f"{folder}: folder cannot be read ({exc.strerror}).")
        return
    for entry in entries:
        if entry.is_dir():
            try:
                st = entry.stat()
            except OSError as exc:
                yield entry, DocumentError(f"{entry}: cannot be opened ({exc.strerror}).")
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue  # a symlink back up the tree
            seen.add(key)
            yield from _walk(entry, seen)
        elif entry.suffix.lower() in SUPPORTED_SUFFIXES:
            # Problems with a supported file (a dangling link...) are reported
            # when it is loaded; files of other types are skipped silently.
            yield entry, None


class DocumentLibrary:
    def __init__(
        self,
        db: Database,
        index: VectorIndex,
        vault: DocumentVault,
        privacy: PrivacyGate,
        embedder: Callable[[], Embedder],
        lock_path: Path,
        *,
        max_bytes: int,
        chunk_chars: int,
        overlap_chars: int,
        pool_chunks: int = POOL_CHUNKS,
        embedder_named: Callable[[str], Embedder] | None = None,
        default_embedder: str = DEFAULT_EMBEDDER,
    ) -> None:
        self.db = db
        self.index = index
        self.vault = vault
        self.privacy = privacy
        self._embedder = embedder
        self._embedder_named = embedder_named
        self.default_embedder = check_embedder_name(default_embedder)
        self._lock_path = lock_path
        self.max_bytes = max_bytes
        self.chunk_chars = chunk_chars
        self.overlap_chars = overlap_chars
        # Chunks of one ingestion call embedded together; 1 embeds file by file.
        self.pool_chunks = pool_chunks

    def embedder_for(self, col: Collection) -> Embedder:
        """The embedder of ``col`` (loaded on first use)."""
        return self.embedder_named(embedder_of(col))

    def embedder_named(self, name: str) -> Embedder:
        """The embedder ``name`` (:class:`ModelError` if unknown or not installed)."""
        check_embedder_name(name)
        if self._embedder_named is not None:
            return self._embedder_named(name)
        default = self._embedder()
        if default.name != name:
            raise DocumentError(f"the embedder {name!r} is not available here.")
        return default

    # -- collections ---------------------------------------------------------

    def has_collection(self, name: str) -> bool:
        """Whether a collection of that name exists."""
        with self.db.session() as s:
            return s.scalar(select(Collection.id).where(Collection.name == name)) is not None

    def ensure_collection(self, name: str, policy: str | None = None) -> Collection:
        """The collection, created (bound to ``policy``, default "default") if new."""
        validate_collection_name(name)
        if policy is not None:
            self.privacy.policy(policy)  # must exist and be valid before it is bound
        try:
            with self.db.session() as s:
                col = s.scalar(select(Collection).where(Collection.name == name))
                if col is None:
                    col = Collection(
                        name=name, policy=policy or "default", embedder=self.default_embedder
                    )
                    s.add(col)
                    s.flush()
                elif policy is not None and policy != col.policy:
                    raise DocumentError(
                        f"collection {name!r} is bound to policy {col.policy!r}; change it with "
                        f"`appliance collections set-policy {name} {policy}`."
                    )
                return col
        except IntegrityError:  # another process created it a moment ago
            with self.db.session() as s:
                return s.scalars(select(Collection).where(Collection.name == name)).one()

    def update_collection(self, name: str, **changes: object) -> Collection:
        """Set purpose, data_subjects, retention_days or legal_hold."""
        allowed = {"purpose", "data_subjects", "retention_days", "legal_hold"}
        if set(changes) - allowed:
            raise DocumentError(f"cannot change {sorted(set(changes) - allowed)} of a collection.")
        col = self.get_collection(name)
        if changes:
            with self.db.session() as s:
                s.execute(update(Collection).where(Collection.id == col.id).values(**changes))
        return self.get_collection(name)

    def set_policy(self, name: str, policy: str) -> tuple[str, int]:
        """Bind collection ``name`` to ``policy``; returns (previous policy, documents held)."""
        self.privacy.policy(policy)
        col = self.get_collection(name)
        with self.db.session() as s:
            s.execute(update(Collection).where(Collection.id == col.id).values(policy=policy))
            held = s.scalar(select(func.count(Document.id)).where(Document.collection_id == col.id))
        return col.policy, held or 0

    def get_collection(self, name: str) -> Collection:
        with self.db.session() as s:
            col = s.scalar(select(Collection).where(Collection.name == name))
        if col is None:
            raise CollectionNotFound(
                f"no collection named {name!r}; ingest documents into it first "
                f"(`appliance ingest PATH --collection {name}`)."
            )
        return col

    def collections(self) -> list[tuple[Collection, int]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Collection, func.count(Document.id))
                .outerjoin(
                    Document,
                    (Document.collection_id == Collection.id)
                    & (Document.status == DocumentStatus.READY),
                )
                .group_by(Collection.id)
                .order_by(Collection.name)
            ).all()
        return [(c, n) for c, n in rows]

    def documents(self, collection: str) -> list[DocumentInfo]:
        col = self.get_collection(collection)
        with self.db.session() as s:
            rows = s.scalars(
                select(Document).where(
                    Document.collection_id == col.id, Document.status == DocumentStatus.READY
                )
            ).all()
        return sorted((self.vault.open_document(d) for d in rows), key=lambda d: d.source)

    def has_document(self, document_id: str) -> bool:
        with self.db.session() as s:
            return s.get(Document, document_id) is not None

    def document_count(self) -> int:
        with self.db.session() as s:
            return (
                s.scalar(
                    select(func.count(Document.id)).where(Document.status == DocumentStatus.READY)
                )
                or 0
            )

    # -- ingestion -----------------------------------------------------------

    @contextmanager
    def exclusive(self, blocking: bool = True) -> Iterator[bool]:
        """One ingester per data directory; recovery runs under the same lock.

        Yields whether the lock was taken (always True when blocking).
        """
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(
        self,
        paths: list[Path],
        collection: str = DEFAULT_COLLECTION,
        on_result: Callable[[IngestResult], None] | None = None,
        names: Mapping[Path, str] | None = None,
    ) -> list[IngestResult]:
        """Ingest files and folders; one result per file (and per e-mail attachment),
        in input order. A file that fails fails alone; nothing of it is stored.

        ``on_result`` is called with each result in that order once the file is
        stored or has failed (files embedded together are reported together).
        ``names``: the source name to record for a path (an uploaded file's own
        name, not the spool file's); by default the resolved path.

        Raises DocumentError for a bad collection name. A store or model failure
        propagates; files not yet marked ready are rolled back by the next recovery.
        """
        col = self.ensure_collection(collection)
        pool = _EmbeddingPool(self, col, on_result, self.pool_chunks)
        with self.exclusive():
            self.index.check()  # a Chroma server that refuses: fail before writing anything
            self._recover_locked()
            try:
                for path, error in expand_paths(paths):
                    if error is not None:
                        pool.add(IngestResult(path, "failed", error=str(error)))
                        continue
                    attachments: list[Attachment] = []
                    name = (names or {}).get(path)
                    item = self._ingest_guarded(path, col, name, None, attachments, pool)
                    pool.add(item)
                    if isinstance(item, _Pending) and attachments:
                        for attached in self._ingest_attachments(
                            item.result, attachments, col, pool
                        ):
                            pool.add(attached)
            except Exception:
                pool.flush()  # files prepared before the error are still stored
                raise
            pool.flush()
        return pool.results

    def _ingest_guarded(
        self,
        path: Path,
        col: Collection,
        name: str | None,
        parent_id: str | None,
        attachments: list[Attachment],
        pool: _EmbeddingPool,
    ) -> IngestResult | _Pending:
        """One file; whatever is wrong with it fails it alone."""
        try:
            return self._ingest_one(path, col, name, parent_id, attachments, pool)
        except DocumentError as exc:
            return IngestResult(path, "failed", error=str(exc))
        except PiiBlocked as exc:  # the policy refuses this file, not the batch
            return IngestResult(path, "failed", error=str(exc))

    def _ingest_attachments(
        self,
        mail: IngestResult,
        attachments: list[Attachment],
        col: Collection,
        pool: _EmbeddingPool,
    ) -> Iterator[IngestResult | _Pending]:
        """An e-mail's attachments, each a document of its own linked to the mail
        (``parent_id``) and named "<mail> > <attachment>". Each is written to a
        private spool folder in the data directory only while it is read, then
        sealed like any upload."""
        with self.db.session() as s:
            doc = s.get(Document, mail.document_id)
        mail_source = self.vault.open_document(doc).source if doc is not None else str(mail.path)
        spool = self._lock_path.parent / "incoming"
        ensure_private_dir(spool)
        folder = Path(tempfile.mkdtemp(dir=spool))
        try:
            seen: set[str] = set()
            for index, attachment in enumerate(attachments, start=1):
                name = _unique_name(attachment.name, seen)
                target = folder / str(index) / name
                target.parent.mkdir(mode=0o700)
                with target.open("xb") as out:
                    out.write(attachment.data)
                source = f"{mail_source} > {name}"
                if target.suffix.lower() not in SUPPORTED_SUFFIXES:
                    yield IngestResult(
                        Path(source),
                        "skipped",
                        error=f"a type that is not ingested: {target.suffix or 'no extension'}",
                    )
                    continue
                nested: list[Attachment] = []  # attachments of attached mails: one level
                item = self._ingest_guarded(target, col, source, mail.document_id, nested, pool)
                if isinstance(item, _Pending):  # its result is reported under its source
                    yield replace(item, result=replace(item.result, path=Path(source)))
                    continue
                error = item.error.replace(str(target), source) if item.error else None
                yield replace(item, path=Path(source), error=error)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _ingest_one(
        self,
        path: Path,
        col: Collection,
        name: str | None,
        parent_id: str | None,
        attachments: list[Attachment],
        pool: _EmbeddingPool,
    ) -> IngestResult | _Pending:
        """Steps 1-2: the file loaded, pseudonymised, chunked, sealed and recorded as
        ``pending`` (its chunks then wait in ``pool`` for their vectors); or the
        result of a file that is unchanged or a duplicate. Raises DocumentError or
        PiiBlocked for a file that cannot be ingested, before anything is written."""
        try:
            before = sha256_file(path)
        except OSError:
            before = None  # load_document names the problem
        document = load_document(path, max_bytes=self.max_bytes)
        attachments.extend(document.attachments)
        content_sha = sha256_file(path)
        if before != content_sha:
            raise DocumentError(f"{path}: the file changed while it was read; try again.")
        source = name or str(path.resolve())
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DocumentError(
                f"{source!r}: the file name is not valid UTF-8; rename the file."
            ) from exc
        source_mac = self.vault.source_mac(source)
        content_mac = self.vault.content_mac(content_sha)
        if pool.holds(source_mac, content_mac):
            # The same name or content is still pending: store it first, so this file
            # is judged unchanged, a duplicate or a replacement as if ingested alone.
            pool.flush()
        with self.db.session() as s:
            same_path = s.scalar(
                select(Document).where(
                    Document.collection_id == col.id,
                    Document.source_mac == source_mac,
                    Document.status == DocumentStatus.READY,
                )
            )
            if same_path is not None and same_path.content_mac == content_mac:
                return IngestResult(
                    path,
                    "unchanged",
                    same_path.id,
                    same_path.chunk_count,
                    same_path.page_count,
                    **extraction_of(same_path),
                )
            # A changed file is always re-ingested, even if it now equals another.
            twin = (
                None
                if same_path is not None
                else s.scalar(
                    select(Document).where(
                        Document.collection_id == col.id,
                        Document.content_mac == content_mac,
                        Document.status == DocumentStatus.READY,
                    )
                )
            )
            if twin is not None:
                return IngestResult(
                    path,
                    "duplicate",
                    twin.id,
                    twin.chunk_count,
                    twin.page_count,
                    error=f"same content as {self.vault.open_document(twin).source}",
                    **extraction_of(twin),
                )
        ocr_pages, pages_without_text = document.ocr_pages, document.pages_without_text
        extraction = {
            "ocr_pages": ocr_pages,
            "pages_without_text": pages_without_text,
            "encoding": document.encoding,
        }
        # Personal data is pseudonymised before chunking and embedding (collection policy).
        protected = self.privacy.protect_document(document, self.privacy.policy(col.policy))
        document = protected.document
        embedder = self.embedder_for(col)
        # Cut by the embedder's own tokenizer, so no passage is embedded truncated.
        drafts = chunk_document(
            document,
            chunk_chars=self.chunk_chars,
            overlap_chars=self.overlap_chars,
            count_tokens=embedder.token_count,
            max_tokens=embedder.max_tokens,
        )
        doc_id = uuid.uuid4().hex
        chunk_ids = [f"{doc_id}:{d.ordinal}" for d in drafts]
        sealed_fields = self.vault.seal_document(col.id, doc_id, source, document.title)
        sealed_chunks = [
            self.vault.seal_chunk(col.id, doc_id, cid, d.section, d.text)
            for cid, d in zip(chunk_ids, drafts, strict=True)
        ]
        self.vault.store_original(col.id, doc_id, path)
        identifiers = self.privacy.registry.register(protected.scope)
        crash_point("after-blob")
        with self.db.session() as s:
            s.add(
                Document(
                    id=doc_id,
                    collection_id=col.id,
                    source_mac=source_mac,
                    content_mac=content_mac,
                    kind=document.kind,
                    policy_name=protected.policy.name,
                    policy_digest=protected.policy.digest,
                    pii_counts=json.dumps(protected.counts),
                    extraction=json.dumps(extraction),
                    parent_id=parent_id,
                    **sealed_fields,
                    size_bytes=path.stat().st_size,
                    page_count=document.page_count,
                    chunk_count=len(drafts),
                    status=DocumentStatus.PENDING,
                )
            )
            s.flush()
            s.add_all(
                Chunk(
                    id=cid,
                    document_id=doc_id,
                    ordinal=d.ordinal,
                    page=d.page,
                    **sealed,
                )
                for cid, d, sealed in zip(chunk_ids, drafts, sealed_chunks, strict=True)
            )
            s.flush()
            self.privacy.registry.record_document(
                s,
                doc_id,
                identifiers,
                ((cid, d.text) for cid, d in zip(chunk_ids, drafts, strict=True)),
            )
        crash_point("after-pending")
        replaces = same_path.id if same_path is not None else None
        return _Pending(
            IngestResult(
                path,
                "replaced" if replaces else "added",
                doc_id,
                len(drafts),
                document.page_count,
                ocr_pages=tuple(ocr_pages),
                pages_without_text=tuple(pages_without_text),
            ),
            source_mac=source_mac,
            content_mac=content_mac,
            chunk_ids=chunk_ids,
            texts=[d.context_text(document.title) for d in drafts],
            metadatas=[
                {"document_id": doc_id, "page": d.page if d.page is not None else -1}
                for d in drafts
            ],
            replaces=replaces,
        )

    def _make_ready(self, col: Collection, pending: list[_Pending]) -> None:
        """Steps 3-5 for files recorded as pending: their chunks embedded in one call
        (the embedder sorts them by length across files), their vectors written, the
        files marked ready and the versions they replace deleted (one transaction)."""
        ids = [cid for p in pending for cid in p.chunk_ids]
        vectors = self.embedder_for(col).embed([text for p in pending for text in p.texts])
        self.index.add(space_of(col), ids, vectors, [m for p in pending for m in p.metadatas])
        crash_point("after-vectors")
        ready = [p.result.document_id for p in pending]
        replaced = [p.replaces for p in pending if p.replaces]
        with self.db.session() as s:
            s.execute(
                update(Document).where(Document.id.in_(ready)).values(status=DocumentStatus.READY)
            )
            if replaced:
                s.execute(delete(Chunk).where(Chunk.document_id.in_(replaced)))
                s.execute(delete(Document).where(Document.id.in_(replaced)))
            s.execute(
                update(Collection)
                .where(Collection.id == col.id)
                .values(revision=Collection.revision + 1)
            )
        crash_point("after-ready")
        for old in replaced:
            with self.db.session() as s:
                children = list(s.scalars(select(Document.id).where(Document.parent_id == old)))
            for child in children:  # the old version's attachments; the new one brings its own
                self.delete_document_locked(child, SUPERSEDED)
            for space in spaces_of(self.get_collection(col.name)):
                self.index.delete_document(space, old)
            self.vault.destroy(old, SUPERSEDED)
        if replaced:
            self.privacy.registry.drop_orphan_identifiers(SUPERSEDED)

    # -- deletion and recovery -----------------------------------------------

    def delete_document(
        self, document_id: str, reason: str = "deleted", *, attachments: bool = True
    ) -> DocumentInfo:
        """Delete a document everywhere and shred its keys: it cannot come back, and a
        restored older backup loses it again. ``attachments``: an e-mail's attached
        documents go with it (not for erasure, which judges each document alone)."""
        with self.exclusive():
            self.index.check()  # a Chroma server that refuses: fail before deleting anything
            return self.delete_document_locked(document_id, reason, attachments=attachments)

    def delete_document_locked(
        self, document_id: str, reason: str, *, attachments: bool = True
    ) -> DocumentInfo:
        """:meth:`delete_document` for a caller that holds :meth:`exclusive` already."""
        with self.db.session() as s:
            doc = s.get(Document, document_id)
            if doc is None:
                raise DocumentError(f"no document with id {document_id!r}.")
            info = self.vault.open_document(doc)
            spaces = spaces_of(doc.collection)
            children = list(s.scalars(select(Document.id).where(Document.parent_id == document_id)))
        for child in children if attachments else ():  # an e-mail's attachments go with it
            self.delete_document_locked(child, reason)
        # Logged first, with the real reason: a crash below cannot turn the deletion
        # into a superseded leftover that a restore would bring back.
        keys = self.vault.announce(document_id, reason)
        with self.db.session() as s:
            s.execute(delete(Chunk).where(Chunk.document_id == document_id))
            s.execute(delete(Document).where(Document.id == document_id))
            s.execute(
                update(Collection)
                .where(Collection.id == info.collection_id)
                .values(revision=Collection.revision + 1)
            )
        for space in spaces:
            self.index.delete_document(space, document_id)
        self.vault.delete_original(document_id)
        self.vault.keyring.shred_keys(keys, reason, logged=True)
        self.privacy.registry.drop_orphan_identifiers(reason)
        return info

    def recover(self, blocking: bool = True) -> int:
        """Roll back interrupted ingestions. Non-blocking: skip if an ingester is running
        (it recovers first itself), so readers never wait for a long ingestion."""
        with self.exclusive(blocking) as taken:
            return self._recover_locked() if taken else 0

    def _recover_locked(self) -> int:
        """Roll back interrupted ingestions; drop vectors of documents that are gone."""
        removed = 0
        with self.db.session() as s:
            pending = [
                (doc_id, spaces_of(col))
                for doc_id, col in s.execute(
                    select(Document.id, Collection)
                    .join(Collection)
                    .where(Document.status == DocumentStatus.PENDING)
                ).all()
            ]
            known = {
                name: set(ids)
                for name, ids in _group(
                    s.execute(select(Collection.name, Document.id).join(Document)).all()
                ).items()
            }
            names = [(c.name, spaces_of(c)) for c in s.scalars(select(Collection))]
        for doc_id, doc_spaces in pending:
            for space in doc_spaces:
                self.index.delete_document(space, doc_id)
            with self.db.session() as s:
                s.execute(delete(Chunk).where(Chunk.document_id == doc_id))
                s.execute(delete(Document).where(Document.id == doc_id))
            self.vault.destroy(doc_id, SUPERSEDED)
            removed += 1
        removed += self.privacy.registry.drop_orphan_identifiers(SUPERSEDED)
        removed += self._drop_orphan_secrets()
        for name, col_spaces in names:
            alive = known.get(name, set()) - {d for d, _ in pending}
            for space in col_spaces:
                try:
                    orphans = self.index.document_ids(space) - alive
                except Exception as exc:  # one bad collection must not lock everyone out
                    log.warning("recovery skipped collection %r: %s", name, exc)
                    continue
                for orphan in orphans:
                    self.index.delete_document(space, orphan)
                    removed += 1
        return removed

    # -- changing embedder ---------------------------------------------------

    def reembed(
        self,
        name: str,
        target: str,
        on_document: Callable[[int, int], None] | None = None,
    ) -> ReembedResult:
        """Move collection ``name`` to the embedder ``target``.

        Every ready document's chunks are opened from the vault and embedded into
        ``target``'s vector space, one document at a time, under the ingestion lock
        (ingestion waits). A document whose vectors are all there already (from an
        interrupted run) is skipped, so running it again continues where a killed run
        stopped. When all are done the collection switches to ``target`` (one
        transaction; its revision is bumped) and the old space is dropped. Until
        then questions use the old embedder and space. ``on_document(done, total)``
        is called after each document.

        Raises :class:`CollectionNotFound`, :class:`ModelError` (unknown embedder or
        not installed: `appliance models install`)."""
        check_embedder_name(target)
        with self.exclusive():
            col = self.get_collection(name)
            before = embedder_of(col)
            if col.reembed_to and col.reembed_to != target:
                # An interrupted move to a third embedder: its partial space goes.
                self.index.drop(vector_space(name, col.reembed_to))
            if before == target:
                with self.db.session() as s:
                    s.execute(
                        update(Collection).where(Collection.id == col.id).values(reembed_to=None)
                    )
                return ReembedResult(name, before, target, 0, 0, 0)
            embedder = self.embedder_named(target)  # fails here if it is not installed
            if col.reembed_to != target:
                # A new move starts from an empty space (a failed drop may have left one).
                self.index.drop(vector_space(name, target))
            with self.db.session() as s:
                s.execute(
                    update(Collection).where(Collection.id == col.id).values(reembed_to=target)
                )
                docs = list(
                    s.scalars(
                        select(Document)
                        .where(
                            Document.collection_id == col.id,
                            Document.status == DocumentStatus.READY,
                        )
                        .order_by(Document.created_at, Document.id)
                    )
                )
            space = vector_space(name, target)
            present = self.index.chunk_counts(space)
            embedded = resumed = chunks = 0
            for n, doc in enumerate(docs, 1):
                if present.get(doc.id) == doc.chunk_count:
                    resumed += 1
                else:
                    chunks += self._reembed_document(col.id, doc, embedder, space)
                    embedded += 1
                    crash_point("reembed-document")
                if on_document is not None:
                    on_document(n, len(docs))
            with self.db.session() as s:
                s.execute(
                    update(Collection)
                    .where(Collection.id == col.id)
                    .values(embedder=target, reembed_to=None, revision=Collection.revision + 1)
                )
            self.index.drop(vector_space(name, before))
            return ReembedResult(name, before, target, embedded, resumed, chunks)

    def _reembed_document(
        self, collection_id: int, doc: Document, embedder: Embedder, space: str
    ) -> int:
        """Embed one document's sealed chunks, as ingestion did (title and section
        before the text), into ``space``; returns the number of chunks."""
        title = self.vault.open_document(doc).title
        with self.db.session() as s:
            rows = list(
                s.scalars(select(Chunk).where(Chunk.document_id == doc.id).order_by(Chunk.ordinal))
            )
        drafts = [
            ChunkDraft(c.ordinal, c.page, *self.vault.open_chunk(c, collection_id)) for c in rows
        ]
        self.index.delete_document(space, doc.id)  # a partial set from a killed run
        vectors = embedder.embed([d.context_text(title) for d in drafts])
        metadatas: list[dict[str, object]] = [
            {"document_id": doc.id, "page": d.page if d.page is not None else -1} for d in drafts
        ]
        self.index.add(space, [c.id for c in rows], vectors, metadatas)
        return len(rows)

    def _drop_orphan_secrets(self) -> int:
        """Sealed files and document keys left by an ingestion killed before its
        document was recorded."""
        with self.db.session() as s:
            alive = set(s.scalars(select(Document.id)))
        removed = 0
        for doc_id in self.vault.blob_ids() - alive:
            self.vault.delete_original(doc_id)
            removed += 1
        orphan_keys = [
            k
            for scope in (DOCUMENT_SCOPE, ORIGINAL_SCOPE)
            for k in self.vault.keyring.keys_in_scope(scope)
            if k.owner not in alive
        ]
        with self.db.session() as s:
            identifiers = set(s.scalars(select(Identifier.id)))
        orphan_keys += [
            k for k in self.vault.keyring.keys_in_scope(SUBJECT_SCOPE) if k.owner not in identifiers
        ]
        if orphan_keys:
            self.vault.keyring.shred_keys(orphan_keys, SUPERSEDED)
        return removed + len(orphan_keys)


@dataclass(frozen=True)
class _Pending:
    """A file recorded as ``pending`` whose chunks wait for their vectors."""

    result: IngestResult  # what the file becomes once ready: "added" or "replaced"
    source_mac: str
    content_mac: str
    chunk_ids: list[str]
    texts: list[str]  # what is embedded, one per chunk
    metadatas: list[dict[str, object]]
    replaces: str | None  # the ready version this one replaces


class _EmbeddingPool:
    """The outcomes of one ingestion call's files, in input order, until the pending
    ones among them are stored.

    :meth:`add` queues an outcome; once the pending files hold ``max_chunks`` chunks
    (or files), :meth:`flush` embeds all their chunks in one call, writes the
    vectors, marks the files ready, then reports every queued result in order.
    Results with nothing pending before them are reported at once.
    """

    def __init__(
        self,
        library: DocumentLibrary,
        col: Collection,
        on_result: Callable[[IngestResult], None] | None,
        max_chunks: int,
    ) -> None:
        self._library = library
        self._col = col
        self._on_result = on_result
        self._max = max(1, max_chunks)
        self._queue: list[IngestResult | _Pending] = []
        self._files = 0
        self._chunks = 0
        self._macs: set[str] = set()
        self.results: list[IngestResult] = []

    def add(self, item: IngestResult | _Pending) -> None:
        self._queue.append(item)
        if isinstance(item, _Pending):
            self._files += 1
            self._chunks += len(item.chunk_ids)
            self._macs.update((item.source_mac, item.content_mac))
        if not self._files or self._chunks >= self._max or self._files >= self._max:
            self.flush()

    def holds(self, source_mac: str, content_mac: str) -> bool:
        """Whether a pending file has this name or this content."""
        return source_mac in self._macs or content_mac in self._macs

    def flush(self) -> None:
        """Store the pending files and report the queued results. The queue is
        emptied first: a failure here leaves the files pending, for recovery."""
        queue, self._queue = self._queue, []
        self._files, self._chunks, self._macs = 0, 0, set()
        pending = [item for item in queue if isinstance(item, _Pending)]
        if pending:
            self._library._make_ready(self._col, pending)
        for item in queue:
            result = item.result if isinstance(item, _Pending) else item
            self.results.append(result)
            if self._on_result:
                self._on_result(result)


def _group(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in rows:
        out.setdefault(key, []).append(value)
    return out
