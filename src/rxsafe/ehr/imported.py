"""What an importer produces from one file: patients' rows with their provenance, rejected rows, warnings.

Importers (``xml130``, ``fhir_io``) parse and validate only; ``import_writer`` writes one file's batch in one
transaction. Every row carries ``Provenance``: the file, the table (``XML2``, ``AllergyIntolerance``), the row
number in that table, and a natural ``key`` that makes a re-import of the same row an update (or nothing), never
a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.models import (
    Allergy,
    Condition,
    LegalRepresentative,
    Medication,
    Observation,
    Vaccination,
    Visit,
)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row came from: ``file`` (its name), ``table``, 1-based ``row`` in that table, natural ``key``."""

    file: str
    table: str
    row: int
    key: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row (or a whole file, ``row`` 0) that was not imported, and why. Never quotes the value itself."""

    file: str
    table: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} {self.table}" + (f" row {self.row}" if self.row else "")
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Demographics:
    """Administrative fields a file states about a patient; empty/None means "the file does not say"."""

    name: str = ""
    birth_date: date | None = None
    sex: Sex = Sex.UNSPECIFIED
    insurance_card: str = ""
    address: str = ""
    blood_group: str = ""
    height_cm: float | None = None
    weight_kg: float | None = None
    legal_representative: LegalRepresentative | None = None


@dataclass
class PatientImport:
    """One patient's rows from one file. ``allergy_status`` is None when the file says nothing about allergies."""

    patient_id: str
    demographics: Demographics = field(default_factory=Demographics)
    allergy_status: AllergyStatus | None = None
    allergies: list[tuple[Allergy, Provenance]] = field(default_factory=list)
    medications: list[tuple[Medication, Provenance]] = field(default_factory=list)
    conditions: list[tuple[Condition, Provenance]] = field(default_factory=list)
    vaccinations: list[tuple[Vaccination, Provenance]] = field(default_factory=list)
    visits: list[tuple[Visit, Provenance]] = field(default_factory=list)
    observations: list[tuple[Observation, Provenance]] = field(default_factory=list)

    def row_count(self) -> int:
        return sum(
            len(rows)
            for rows in (
                self.allergies,
                self.medications,
                self.conditions,
                self.vaccinations,
                self.visits,
                self.observations,
            )
        )


@dataclass
class ParsedFile:
    """One file, parsed: its patients, rejected rows and warnings. ``fatal`` set means nothing may be written."""

    name: str
    sha256: str
    format: str
    patients: dict[str, PatientImport] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fatal: str = ""

    def patient(self, patient_id: str) -> PatientImport:
        """The patient's import, created on first use (a file may list a patient in several places)."""
        found = self.patients.get(patient_id)
        if found is None:
            found = self.patients[patient_id] = PatientImport(patient_id=patient_id)
        return found


def content_hash(model: BaseModel) -> str:
    """A stable hash of a row's content without its id: equal content, equal hash, across runs."""
    data = model.model_dump(mode="json", exclude={"id"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
