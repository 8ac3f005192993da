"""Taxonomies, their terms, and the attributes that attach a term to any object (HSDS 3).

Our own classifications (levensgebied, thema, soort, toegang, kosten, doelgroep) are terms of
our own taxonomies, attached to a service by an attribute whose ``link_type`` is the facet name.
That is exactly how they travel in HSDS, so nothing is lost on export.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ID, Base, HasId


class Taxonomy(HasId, Base):
    __tablename__ = "taxonomy"

    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[str | None] = mapped_column(String(100))
    #: Extension: the facet this taxonomy serves (levensgebied, soort, ...) for our own ones.
    facet: Mapped[str | None] = mapped_column(String(50), index=True)

    terms: Mapped[list[TaxonomyTerm]] = relationship(back_populates="taxonomy_detail")


class TaxonomyTerm(HasId, Base):
    __tablename__ = "taxonomy_term"

    code: Mapped[str | None] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(ID)
    taxonomy: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(20))
    taxonomy_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy.id"), index=True)
    term_uri: Mapped[str | None] = mapped_column(String(2000))
    #: Extension: English label for the UI's second language.
    name_en: Mapped[str | None] = mapped_column(String(500))

    taxonomy_detail: Mapped[Taxonomy | None] = relationship(back_populates="terms")


class Attribute(HasId, Base):
    """Applies a taxonomy term to any object.

    ``link_entity`` names the table and ``link_id`` the row.
    """

    __tablename__ = "attribute"
    __table_args__ = (Index("ix_attribute_link", "link_entity", "link_id"),)

    link_id: Mapped[str] = mapped_column(ID)
    link_entity: Mapped[str] = mapped_column(String(50))
    link_type: Mapped[str | None] = mapped_column(String(100))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id"), index=True)
    value: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(500))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship(lazy="joined")
