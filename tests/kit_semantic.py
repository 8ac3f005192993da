"""Test kit for semantic search: a fake embedding model that counts what it embeds.

Real embeddings are slow (about ten listings a second); most tests only need to know *that*
and *what* was embedded. ``install_fake`` makes every SearchService of the test use a
``FakeEmbedder``; its vectors are a hashed bag of words, so texts that share words are similar.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIM = 32


class FakeEmbedder:
    name = "fake-bag-of-words"
    dim = DIM

    def __init__(self, constant: bool = False) -> None:
        #: Every vector the same: everything is maximally similar (the worst case for gating).
        self.constant = constant
        self.passages: list[str] = []
        self.queries: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(DIM, dtype=np.float32)
        if self.constant:
            vector[0] = 1.0
            return vector
        for word in re.findall(r"\w+", text.lower()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self._vector(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM))


def install_fake(monkeypatch, fake: FakeEmbedder | None = None,
                 with_phrases: bool = False) -> FakeEmbedder:
    """Use ``fake`` as the model for every SearchService made after this call. Without
    ``with_phrases`` the thesaurus phrases are left out (thousands of them)."""
    import sociale_kaart.search as search_package
    from sociale_kaart.search import semantic

    fake = fake or FakeEmbedder()
    monkeypatch.setattr(search_package, "load_embedder", lambda: fake)
    if not with_phrases:
        monkeypatch.setattr(semantic, "thesaurus_phrases", lambda folders: [])
    return fake


def add_two_listings(app) -> None:
    """A food bank and a debt-help listing of one organisation (semantic pages and tests)."""
    from kit_accounts import add_organization, add_service, db_of

    with db_of(app).session() as session:
        organization = add_organization(session, "Stichting Welzijn")
        add_service(session, organization, "Voedselbank Altena",
                    description="Voedselpakketten voor gezinnen met een laag inkomen.")
        add_service(session, organization, "Taalcafé", description="Samen Nederlands praten.")
