"""The cross-document boilerplate memory: which line keys each group (site) of documents
holds, bounded by a retention rule.

A group's memory is a window: the line keys of the documents recorded in its last
``keep`` recordings (``boilerplate_docs``, one row per document), counted per key
(``boilerplate_keys.docs``). When a document leaves the window its keys are counted out,
except that a key which had recurred (was in at least ``recurring`` documents, gone ones
included) keeps the documents gone in ``past``: a site's chrome is not forgotten because
its old pages are. Such a key goes once ``absent`` recordings in a row have lacked it (a
menu the site dropped). So the memory of a group never holds more than ``keep`` documents'
keys plus its recurring keys, however many documents it has had; within the window the
counts are exact, as they were before there was a window.

A recording is one statement (a trigger on ``boilerplate_docs`` counts its keys in); a
document recorded again (its file changed) first has its old keys counted out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .database import Database


class BoilerplateTables(Database):
    """The methods of the boilerplate memory (see the module)."""

    def record_boilerplate(
        self, group: str, doc: str, keys: Iterable[str], *, first: bool = False
    ) -> None:
        """Remember which line keys document ``doc`` of ``group`` contains (replacing what
        was remembered of it): the group's newest recording.

        ``first`` says the store has never recorded ``doc``: there is nothing to replace.
        """
        if not first:
            self._forget_document(doc)
        self.db.execute(
            "INSERT INTO boilerplate_docs (doc, grp, seq, keys) VALUES (?1, ?2, "
            "ifnull((SELECT docs FROM boilerplate_groups WHERE grp = ?2), 0) + 1, ?3)",
            (doc, group, json.dumps(list(keys))),
        )

    def _forget_document(self, doc: str) -> None:
        """Count out the keys of ``doc`` when it is in its group's window (not when it left:
        what it left behind is the counts of recurring keys, kept on purpose)."""
        row = self.db.execute(
            "SELECT grp, keys FROM boilerplate_docs WHERE doc = ?", (doc,)
        ).fetchone()
        if row is None:
            return
        group, keys = row
        self.db.execute(
            "UPDATE boilerplate_keys SET docs = docs - 1 "
            "WHERE grp = ? AND key IN (SELECT value FROM json_each(?))",
            (group, keys),
        )
        self.db.execute(
            "DELETE FROM boilerplate_keys WHERE grp = ? AND docs = 0 AND past = 0 "
            "AND key IN (SELECT value FROM json_each(?))",
            (group, keys),
        )
        self.db.execute("DELETE FROM boilerplate_docs WHERE doc = ?", (doc,))

    def recurring_keys(self, group: str, *, min_docs: int = 2) -> dict[str, int]:
        """Keys seen in at least ``min_docs`` (2 or more) documents of ``group``, with their
        counts (the documents in the window, and those gone for a recurring key)."""
        if min_docs < 2:
            raise ValueError("min_docs must be at least 2: single sightings are not indexed")
        rows = self.db.execute(
            "SELECT key, docs + past FROM boilerplate_keys "
            "WHERE grp = ? AND docs + past >= 2 AND docs + past >= ?",
            (group, min_docs),
        )
        return {key: count for key, count in rows}

    def forget_boilerplate(self, group: str, *, keep: int, recurring: int, absent: int) -> int:
        """Apply the retention rule to ``group`` (see the module): documents recorded before
        its last ``keep`` recordings leave the window, keys that had been in at least
        ``recurring`` documents keep those gone in their count, and those no document of
        the last ``absent`` recordings held are forgotten. Returns the documents that left."""
        row = self.db.execute(
            "SELECT docs FROM boilerplate_groups WHERE grp = ?", (group,)
        ).fetchone()
        if row is None:
            return 0
        last = int(row[0])
        cutoff = last - keep
        gone = self.db.execute(
            "SELECT COUNT(*) FROM boilerplate_docs WHERE grp = ? AND seq <= ?", (group, cutoff)
        ).fetchone()[0]
        if gone:
            self.db.execute(
                "WITH gone (key, n) AS ("
                "SELECT j.value, COUNT(*) FROM boilerplate_docs AS d, json_each(d.keys) AS j "
                "WHERE d.grp = ?1 AND d.seq <= ?2 GROUP BY j.value) "
                "UPDATE boilerplate_keys SET docs = docs - gone.n, "
                "past = CASE WHEN docs + past >= ?3 THEN past + gone.n ELSE past END "
                "FROM gone WHERE boilerplate_keys.grp = ?1 AND boilerplate_keys.key = gone.key",
                (group, cutoff, recurring),
            )
            self.db.execute(
                "DELETE FROM boilerplate_docs WHERE grp = ? AND seq <= ?", (group, cutoff)
            )
        self.db.execute(
            "DELETE FROM boilerplate_keys WHERE grp = ? AND docs = 0 AND (past = 0 OR seen <= ?)",
            (group, last - absent),
        )
        return int(gone)

    def boilerplate_groups(self) -> list[str]:
        """Every group the memory has recorded a document of."""
        return [row[0] for row in self.db.execute("SELECT grp FROM boilerplate_groups")]
