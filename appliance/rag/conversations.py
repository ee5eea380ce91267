"""Conversation history, sealed.

Each conversation has its own data key (scope ``conversation``): its title and
messages are AES-GCM sealed under it, and deleting the conversation (by its
owner, or by expiry after ``conversation_retention_days``) shreds the key. What
is kept is what the model saw: questions and answers with placeholders, never
values a privileged user had revealed.

Each message also keeps, sealed with it, what its placeholders stood for as
*keyed hashes* (``pseudonyms``: placeholder -> type, value keys, name-word keys;
never the values), so a subject request can find the conversations that mention
a person and erasure can cut the link (:mod:`appliance.gdpr.rights`). Words of a
name the detector found that are left elsewhere in the text ("<PERSON_1>
Thistlewood's" where "Ada Thistlewood" was found) are replaced too, so a title
never keeps a value the detector found.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appliance.crypto import Keyring
from appliance.errors import NotAllowed, StoreError
from appliance.store.database import Database
from appliance.store.schema import Collection, Conversation, Message

SCOPE = "conversation"
_TITLE_CHARS = 80


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    collection: str
    updated_at: datetime


@dataclass
class StoredConversation:
    """A conversation as a subject request reads it (any owner)."""

    id: str
    user_id: int
    collection: str
    title: str
    updated_at: datetime
    messages: list[dict[str, Any]]  # sender, text, pseudonyms, ...


_NAME_WORD = r"[^\W\d_]+(?:[-'’][^\W\d_]+)*"


def name_words(value: str) -> list[str]:
    """The words of a name worth hiding on their own: 3 letters or more, not a title
    such as "Mrs" or "Prof" (the titles the name detector knows)."""
    from appliance.privacy.entities import TITLES

    return [
        w
        for w in re.findall(_NAME_WORD, value)
        if len(w) >= 3 and w.casefold().rstrip(".") not in TITLES
    ]


def name_word_pattern(word: str) -> re.Pattern[str]:
    """A name's word as a whole word, as written, capitalised or in capitals (never
    lower case: "Will" the name, not "will" the verb); a possessive still matches."""
    forms = sorted({word, word.capitalize(), word.upper()}, key=len, reverse=True)
    return re.compile(rf"(?<![\w<])(?:{'|'.join(re.escape(f) for f in forms)})(?!\w)")


def conceal_name_words(text: str, names: dict[str, str]) -> str:
    """Replace whole words of detected names (``names``: value -> placeholder) still left
    in ``text``, possessives included ("Thistlewood's" -> "<PERSON_1>'s")."""
    for value, placeholder in names.items():
        for word in sorted(set(name_words(value)), key=len, reverse=True):
            text = name_word_pattern(word).sub(placeholder, text)
    return text


def history_pseudonyms(
    texts: list[str],
    by_placeholder: dict[str, Any],
    spellings: dict[str, tuple[str, str]],
    by_key: dict[str, Any],
    term_keys: Callable[[str, str], list[str]],
) -> dict[str, dict[str, Any]]:
    """What the placeholders used in ``texts`` stand for, as keyed hashes only:
    placeholder -> {"type", "keys": value keys of every spelling, "terms": name-word keys}.
    ``by_placeholder``/``spellings``/``by_key`` are a :class:`PseudonymScope`'s tables."""
    from appliance.privacy import PLACEHOLDER

    used = {m.group(0) for text in texts for m in PLACEHOLDER.finditer(text)}
    out: dict[str, dict[str, Any]] = {}
    for placeholder in sorted(used):
        pseudonym = by_placeholder.get(placeholder)
        if pseudonym is None:
            continue
        keys = sorted(k for k, p in by_key.items() if p is pseudonym)
        terms = sorted({t for k in keys if k in spellings for t in term_keys(*spellings[k])})
        out[placeholder] = {"type": pseudonym.type, "keys": keys, "terms": terms}
    return out


class ConversationStore:
    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def start(self, user_id: int, collection: str, first_question: str) -> str:
        conv_id = uuid.uuid4().hex
        key = self.keyring.data_key(SCOPE, conv_id)
        title = " ".join(first_question.split())[:_TITLE_CHARS] or "(empty)"
        with self.db.session() as s:
            col_id = s.scalar(select(Collection.id).where(Collection.name == collection))
            s.add(
                Conversation(
                    id=conv_id,
                    user_id=user_id,
                    collection_id=col_id,
                    title_sealed=key.seal(title, SCOPE, conv_id, "title"),
                )
            )
        return conv_id

    def all_ids(self) -> list[str]:
        """Every conversation's id, oldest first (subject requests read them all)."""
        with self.db.session() as s:
            return list(s.scalars(select(Conversation.id).order_by(Conversation.created_at)))

    def read_any(self, conv_id: str) -> StoredConversation:
        """A conversation whoever owns it: for subject requests, never for browsing."""
        with self.db.session() as s:
            conv = s.get(Conversation, conv_id)
            if conv is None:
                raise StoreError(f"no conversation {conv_id}.")
            collection = s.scalar(
                select(Collection.name).where(Collection.id == conv.collection_id)
            )
            rows = list(
                s.scalars(
                    select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
                )
            )
            key = self.keyring.data_key(SCOPE, conv_id, create=False)
            return StoredConversation(
                conv.id,
                conv.user_id,
                collection or "",
                key.open_text(conv.title_sealed, SCOPE, conv.id, "title"),
                _aware(conv.updated_at),
                [
                    {
                        "sender": m.sender,
                        **json.loads(
                            key.open_text(m.body_sealed, SCOPE, conv_id, "message", str(m.seq))
                        ),
                    }
                    for m in rows
                ],
            )

    def rewrite(self, stored: StoredConversation, reason: str) -> str:
        """Replace a conversation by a rewritten copy under a new id and a new data key,
        then shred the old key (erasure: the old ciphertext can never be read again).
        Returns the new id; the owner, collection and times are kept."""
        new_id = uuid.uuid4().hex
        key = self.keyring.data_key(SCOPE, new_id)
        with self.db.session() as s:
            old = s.get(Conversation, stored.id)
            if old is None:
                raise StoreError(f"no conversation {stored.id}.")
            s.add(
                Conversation(
                    id=new_id,
                    user_id=old.user_id,
                    collection_id=old.collection_id,
                    title_sealed=key.seal(stored.title, SCOPE, new_id, "title"),
                    created_at=old.created_at,
                    updated_at=old.updated_at,
                )
            )
            s.flush()
            for seq, message in enumerate(stored.messages, 1):
                body = {k: v for k, v in message.items() if k != "sender"}
                s.add(
                    Message(
                        conversation_id=new_id,
                        seq=seq,
                        sender=message["sender"],
                        body_sealed=key.seal(
                            json.dumps(body, ensure_ascii=False), SCOPE, new_id, "message", str(seq)
                        ),
                    )
                )
        self._destroy([stored.id], reason)
        return new_id

    def _owned(self, s: Session, conv_id: str, user_id: int) -> Conversation:
        conv = s.get(Conversation, conv_id)
        if conv is None or conv.user_id != user_id:
            # The same answer for someone else's conversation and a missing one.
            raise NotAllowed("no such conversation.")
        return conv

    def add(self, conv_id: str, user_id: int, sender: str, body: dict[str, Any]) -> None:
        key = self.keyring.data_key(SCOPE, conv_id, create=False)
        data = json.dumps(body, ensure_ascii=False)
        for _attempt in range(5):  # two answers of one conversation ending together
            try:
                with self.db.session() as s:
                    conv = self._owned(s, conv_id, user_id)
                    last = s.scalar(
                        select(func.max(Message.seq)).where(Message.conversation_id == conv_id)
                    )
                    seq = (last or 0) + 1
                    s.add(
                        Message(
                            conversation_id=conv_id,
                            seq=seq,
                            sender=sender,
                            body_sealed=key.seal(data, SCOPE, conv_id, "message", str(seq)),
                        )
                    )
                    conv.updated_at = datetime.now(UTC)
                return
            except IntegrityError:
                continue
        raise StoreError("the conversation could not be saved (constant contention); ask again.")

    def list_for(self, user_id: int, limit: int = 50) -> list[ConversationInfo]:
        with self.db.session() as s:
            rows = s.execute(
                select(Conversation, Collection.name)
                .join(Collection, Collection.id == Conversation.collection_id)
                .where(Conversation.user_id == user_id)
                .order_by(Conversation.updated_at.desc())
                .limit(limit)
            ).all()
        out = []
        for conv, collection in rows:
            key = self.keyring.data_key(SCOPE, conv.id, create=False)
            title = key.open_text(conv.title_sealed, SCOPE, conv.id, "title")
            out.append(ConversationInfo(conv.id, title, collection, _aware(conv.updated_at)))
        return out

    def messages(self, conv_id: str, user_id: int) -> tuple[ConversationInfo, list[dict[str, Any]]]:
        with self.db.session() as s:
            conv = self._owned(s, conv_id, user_id)
            collection = s.scalar(
                select(Collection.name).where(Collection.id == conv.collection_id)
            )
            rows = list(
                s.scalars(
                    select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
                )
            )
            key = self.keyring.data_key(SCOPE, conv_id, create=False)
            info = ConversationInfo(
                conv.id,
                key.open_text(conv.title_sealed, SCOPE, conv.id, "title"),
                collection or "",
                _aware(conv.updated_at),
            )
            messages = [
                {
                    "sender": m.sender,
                    **json.loads(
                        key.open_text(m.body_sealed, SCOPE, conv_id, "message", str(m.seq))
                    ),
                }
                for m in rows
            ]
        return info, messages

    def delete(self, conv_id: str, user_id: int) -> None:
        with self.db.session() as s:
            self._owned(s, conv_id, user_id)
        self._destroy([conv_id], "deleted")

    def expire(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete conversations untouched for ``older_than_days``; returns how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
        with self.db.session() as s:
            ids = list(s.scalars(select(Conversation.id).where(Conversation.updated_at < cutoff)))
        self._destroy(ids, "expired")
        return len(ids)

    def _destroy(self, ids: list[str], reason: str) -> None:
        if not ids:
            return
        # The keys go first: rows a crash leaves behind can no longer be read.
        wrapped = self.keyring.keys_in_scope(SCOPE, ids)
        if wrapped:
            self.keyring.shred_keys(wrapped, reason)
        with self.db.session() as s:
            for conv_id in ids:
                conv = s.get(Conversation, conv_id)
                if conv is not None:
                    s.delete(conv)
