"""Writes one parsed file into the record store, inside the caller's transaction (one transaction per file).

Merge, not replace: a file adds to what the record holds (an XML 130 file is one visit; FHIR bundles are often
partial). Each row is matched on its natural key (``Provenance.key``): a new key is inserted, a known key with
new content is updated, a known key with the same content is left alone. So importing the same file twice changes
nothing, a corrected resubmission of a visit updates its rows, and the patient's ``record_version`` moves only when
something did change (pending checks do not go stale for nothing).

The table layouts here are shared with ``DuckDBRecordStore`` (which loads these rows into ``PatientRecord``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
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
from rxsafe.ehr.imported import Demographics, ParsedFile, PatientImport, Provenance, content_hash

LOINC_WEIGHT = "29463-7"
LOINC_HEIGHT = "8302-2"


@dataclass(frozen=True)
class Table:
    """A record table: its name, the columns after ``patient_id`` and the values of a model for them."""

    name: str
    columns: tuple[str, ...]
    values: Callable[[Any], list[Any]]


def _allergy(a: Allergy) -> list[Any]:
    return [a.allergen, a.reaction, a.severity, a.recorded_date, a.allergy_type, a.verification_status]


def _medication(m: Medication) -> list[Any]:
    return [
        m.text,
        m.start_date,
        m.days,
        m.end_date,
        m.dose_text,
        m.national_drug_code,
        m.registration_number,
        m.strength,
        m.quantity,
        m.unit,
        m.route,
        m.prescriber,
        m.order_time,
        m.follow_up_date,
    ]


def _condition(c: Condition) -> list[Any]:
    return [c.code, c.text, c.onset_date, c.place, c.role, c.clinical_status]


def _vaccination(v: Vaccination) -> list[Any]:
    return [v.vaccine, v.antigen, v.dose_number, v.given_date]


def _visit(v: Visit) -> list[Any]:
    return [
        v.id,
        v.facility,
        v.admitted,
        v.discharged,
        v.visit_type,
        v.reason,
        v.result,
        v.discharge_diagnosis,
        v.blood_group,
        v.height_cm,
        v.weight_kg,
        ";".join(v.procedures),
        v.follow_up,
    ]


def _observation(o: Observation) -> list[Any]:
    return [o.code, o.name, o.value_text, o.value, o.unit, o.effective, o.conclusion]


ALLERGIES = Table(
    "allergies",
    ("allergen", "reaction", "severity", "recorded_date", "allergy_type", "verification_status"),
    _allergy,
)
MEDICATIONS = Table(
    "medications",
    (
        "text",
        "start_date",
        "days",
        "end_date",
        "dose_text",
        "national_drug_code",
        "registration_number",
        "strength",
        "quantity",
        "unit",
        "route",
        "prescriber",
        "order_time",
        "follow_up_date",
    ),
    _medication,
)
CONDITIONS = Table("conditions", ("code", "text", "onset_date", "place", "role", "clinical_status"), _condition)
VACCINATIONS = Table("vaccinations", ("vaccine", "antigen", "dose_number", "given_date"), _vaccination)
VISITS = Table(
    "visits",
    (
        "visit_key",
        "facility",
        "admitted",
        "discharged",
        "visit_type",
        "reason",
        "result",
        "discharge_diagnosis",
        "blood_group",
        "height_cm",
        "weight_kg",
        "procedures",
        "follow_up",
    ),
    _visit,
)
OBSERVATIONS = Table(
    "observations", ("code", "name", "value_text", "value", "unit", "effective", "conclusion"), _observation
)
_PROVENANCE_COLUMNS = ("source", "source_file", "source_table", "source_row", "import_key", "content_hash")


@dataclass
class Counts:
    """Rows added, updated and unchanged, per table, over one file."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    patients_new: int = 0
    patients_changed: int = 0

    def bump(self, bucket: dict[str, int], table: str, n: int = 1) -> None:
        if n:
            bucket[table] = bucket.get(table, 0) + n


_column_types: dict[tuple[str, str], dict[str, str]] = {}


def _types(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column → SQL type, read once from the catalogue (the schema is fixed for a given migration level).

    Kept per engine (the cursor's class): DuckDB and PostgreSQL name the same types differently.
    """
    key = (type(cur).__name__, table)
    if key not in _column_types:
        rows = cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = current_schema()",
            [table],
        ).fetchall()
        _column_types[key] = dict(rows)
    return _column_types[key]


def insert_rows(cur: duckdb.DuckDBPyConnection, table: Table, rows: Sequence[list[Any]], extra: Sequence[str]) -> None:
    """Inserts rows of ``patient_id, *table.columns, *extra`` in one statement, bound column by column.

    One typed list per column, unnested in SQL: DuckDB binds a list as one parameter, so 100,000 rows cost one
    statement (~1 s) where ``executemany`` or a multi-row VALUES list cost one plan per row or per chunk.
    """
    if not rows:
        return
    columns = ("patient_id", *table.columns, *extra)
    types = _types(cur, table.name)
    select = ", ".join(f"unnest(${n}::{types[c]}[])" for n, c in enumerate(columns, start=1))
    # Table and column names are this module's constants; every value is a bound parameter.
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {select}"
    cur.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def write_file(cur: duckdb.DuckDBPyConnection, parsed: ParsedFile, *, now: str) -> Counts:
    """Writes every patient of ``parsed`` (the caller holds the transaction); returns what changed.

    Set-at-a-time: one query per table for what the store already holds of these patients, one insert per table,
    one update per changed row. A file of 1,000 visits is a few dozen statements, not tens of thousands.
    """
    counts = Counts()
    source = f"import {parsed.format} {parsed.name}"
    ids = list(parsed.patients)
    changes: dict[str, list[str]] = {pid: [] for pid in ids}
    versions = _write_patients(cur, parsed=parsed, ids=ids, source=source, changes=changes, counts=counts)
    observed: set[str] = set()
    for table, rows_of in _TABLES:
        changed = _merge_table(
            cur, table=table, parsed=parsed, ids=ids, rows_of=rows_of, source=source, changes=changes, counts=counts
        )
        if table is OBSERVATIONS:
            observed = changed
    _refresh_indicators(cur, sorted(observed))
    bumped = [pid for pid in ids if changes[pid]]
    if bumped:
        cur.execute(
            "UPDATE patients SET record_version = record_version + 1 "
            "WHERE patient_id IN (SELECT unnest($1::VARCHAR[]))",
            [bumped],
        )
        cur.execute(
            "INSERT INTO record_changes (patient_id, version, what, changed_at) "
            "SELECT unnest($1::VARCHAR[]), unnest($2::BIGINT[]), unnest($3::VARCHAR[]), $4",
            [
                bumped,
                [versions.get(pid, 0) + 1 for pid in bumped],
                [f"record updated ({source}): " + "; ".join(changes[pid]) for pid in bumped],
                now,
            ],
        )
        counts.patients_changed = sum(1 for pid in bumped if pid in versions)
    summary = {"added": counts.added, "updated": counts.updated, "unchanged": counts.unchanged}
    cur.execute(
        "INSERT INTO import_files (sha256, file_name, format, imported_at, summary) VALUES (?, ?, ?, ?, ?)",
        [parsed.sha256, parsed.name, parsed.format, now, json.dumps(summary, sort_keys=True)],
    )
    return counts


def already_imported(cur: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return cur.execute("SELECT 1 FROM import_files WHERE sha256 = ?", [sha256]).fetchone() is not None


_TABLES: tuple[tuple[Table, Callable[[PatientImport], Sequence[tuple[BaseModel, Provenance]]]], ...] = (
    (ALLERGIES, lambda p: p.allergies),
    (MEDICATIONS, lambda p: p.medications),
    (CONDITIONS, lambda p: p.conditions),
    (VACCINATIONS, lambda p: p.vaccinations),
    (VISITS, lambda p: p.visits),
    (OBSERVATIONS, lambda p: p.observations),
)


def _write_patients(
    cur: duckdb.DuckDBPyConnection,
    *,
    parsed: ParsedFile,
    ids: list[str],
    source: str,
    changes: dict[str, list[str]],
    counts: Counts,
) -> dict[str, int]:
    """Inserts new patients (version 0, bumped with the rest) and updates changed demographics.

    Returns the stored version of each patient that existed before this file.
    """
    existing = {
        row[0]: row[1:]
        for row in cur.execute(
            """
            SELECT patient_id, record_version, name, birth_date, sex, allergy_status, weight_kg, insurance_card,
                   address, blood_group, height_cm, legal_rep_json
            FROM patients WHERE patient_id IN (SELECT unnest($1::VARCHAR[]))
            """,
            [ids],
        ).fetchall()
    }
    new_rows: list[list[Any]] = []
    for pid in ids:
        patient = parsed.patients[pid]
        demo = patient.demographics
        row = existing.get(pid)
        if row is None:
            status = patient.allergy_status or AllergyStatus.NOT_RECORDED
            new_rows.append(
                [
                    pid,
                    demo.name,
                    demo.birth_date,
                    demo.sex.value,
                    status.value,
                    demo.weight_kg,
                    0,
                    source,
                    demo.insurance_card,
                    demo.address,
                    _rep_json(demo.legal_representative),
                    demo.blood_group,
                    demo.height_cm,
                ]
            )
            changes[pid].append("new patient record")
            counts.patients_new += 1
            continue
        old = _demographics_of(row)
        merged = _merge(old, demo)
        status = AllergyStatus(row[4])
        if patient.allergy_status is not None and patient.allergy_status is not status:
            changes[pid].append(f"allergy status {status.value} → {patient.allergy_status.value}")
            status = patient.allergy_status
        if merged != old:
            changes[pid].append("demographics changed")
        if changes[pid]:
            cur.execute(
                """
                UPDATE patients SET name = ?, birth_date = ?, sex = ?, allergy_status = ?, weight_kg = ?,
                                    insurance_card = ?, address = ?, legal_rep_json = ?, blood_group = ?,
                                    height_cm = ?, source = ?
                WHERE patient_id = ?
                """,
                [
                    merged.name,
                    merged.birth_date,
                    merged.sex.value,
                    status.value,
                    merged.weight_kg,
                    merged.insurance_card,
                    merged.address,
                    _rep_json(merged.legal_representative),
                    merged.blood_group,
                    merged.height_cm,
                    source,
                    pid,
                ],
            )
    if new_rows:
        columns = (
            "patient_id, name, birth_date, sex, allergy_status, weight_kg, record_version, source, insurance_card, "
            "address, legal_rep_json, blood_group, height_cm"
        )
        types = (
            *("VARCHAR", "VARCHAR", "DATE", "VARCHAR", "VARCHAR", "DOUBLE", "BIGINT", "VARCHAR", "VARCHAR"),
            *("VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE"),
        )
        select = ", ".join(f"unnest(${n}::{t}[])" for n, t in enumerate(types, start=1))
        cur.execute(
            f"INSERT INTO patients ({columns}) SELECT {select}",
            [list(column) for column in zip(*new_rows, strict=True)],
        )
    return {pid: int(row[0]) for pid, row in existing.items()}


def _merge_table(
    cur: duckdb.DuckDBPyConnection,
    *,
    table: Table,
    parsed: ParsedFile,
    ids: list[str],
    rows_of: Callable[[PatientImport], Sequence[tuple[BaseModel, Provenance]]],
    source: str,
    changes: dict[str, list[str]],
    counts: Counts,
) -> set[str]:
    """Inserts new keys, updates changed ones, for every patient of the file; returns the patients changed."""
    with_rows = [pid for pid in ids if rows_of(parsed.patients[pid])]
    if not with_rows:
        return set()
    existing = {
        (pid, key): (row_id, digest)
        for pid, key, row_id, digest in cur.execute(
            f"SELECT patient_id, import_key, id, content_hash FROM {table.name} "  # noqa: S608 -- constant name
            "WHERE patient_id IN (SELECT unnest($1::VARCHAR[])) AND import_key IS NOT NULL",
            [with_rows],
        ).fetchall()
    }
    inserts: list[list[Any]] = []
    changed: set[str] = set()
    assignments = ", ".join(f"{c} = ?" for c in (*table.columns, *_PROVENANCE_COLUMNS))
    for pid in with_rows:
        # The same key twice in one file: the later row is the correction, so it wins.
        latest: dict[str, tuple[BaseModel, Provenance]] = {}
        for model, prov in rows_of(parsed.patients[pid]):
            latest[prov.key] = (model, prov)
        added = updated = 0
        for key, (model, prov) in latest.items():
            digest = content_hash(model)
            found = existing.get((pid, key))
            if found is not None and found[1] == digest:
                counts.bump(counts.unchanged, table.name)
                continue
            values = [*table.values(model), source, prov.file, prov.table, prov.row, key, digest]
            if found is None:
                inserts.append([pid, *values])
                added += 1
            else:
                cur.execute(f"UPDATE {table.name} SET {assignments} WHERE id = ?", [*values, found[0]])  # noqa: S608
                updated += 1
        if added or updated:
            changed.add(pid)
            changes[pid].append(f"{table.name}: {added} added, {updated} changed")
            counts.bump(counts.added, table.name, added)
            counts.bump(counts.updated, table.name, updated)
    insert_rows(cur, table, inserts, _PROVENANCE_COLUMNS)
    return changed


def _refresh_indicators(cur: duckdb.DuckDBPyConnection, patient_ids: list[str]) -> None:
    """Weight and height on the patient row are the latest observed ones, whichever file they came from."""
    if not patient_ids:
        return
    for code, column in ((LOINC_WEIGHT, "weight_kg"), (LOINC_HEIGHT, "height_cm")):
        cur.execute(
            f"""
            UPDATE patients SET {column} = latest.value
            FROM (
                SELECT patient_id, value FROM (
                    SELECT patient_id, value,
                           row_number() OVER (PARTITION BY patient_id ORDER BY effective DESC NULLS LAST, id DESC) AS n
                    FROM observations
                    WHERE patient_id IN (SELECT unnest($1::VARCHAR[])) AND code = $2 AND value IS NOT NULL
                ) AS ranked WHERE n = 1
            ) AS latest
            WHERE patients.patient_id = latest.patient_id
            """,  # noqa: S608 -- the column is one of two constants
            [patient_ids, code],
        )


def _rep_json(rep: LegalRepresentative | None) -> str | None:
    return rep.model_dump_json() if rep is not None else None


def load_rep(text: str | None) -> LegalRepresentative | None:
    return LegalRepresentative.model_validate_json(text) if text else None


def _demographics_of(row: tuple[Any, ...]) -> Demographics:
    _, name, birth_date, sex, _, weight_kg, card, address, blood_group, height_cm, rep = row
    return Demographics(
        name=name,
        birth_date=birth_date,
        sex=Sex(sex),
        insurance_card=card,
        address=address,
        blood_group=blood_group,
        height_cm=height_cm,
        weight_kg=weight_kg,
        legal_representative=load_rep(rep),
    )


def _merge(old: Demographics, new: Demographics) -> Demographics:
    """What the file states replaces what the store had; what it leaves empty keeps the stored value."""

    def pick_text(a: str, b: str) -> str:
        return b or a

    def pick_date(a: date | None, b: date | None) -> date | None:
        return b if b is not None else a

    def pick_float(a: float | None, b: float | None) -> float | None:
        return b if b is not None else a

    return Demographics(
        name=pick_text(old.name, new.name),
        birth_date=pick_date(old.birth_date, new.birth_date),
        sex=new.sex if new.sex is not Sex.UNSPECIFIED else old.sex,
        insurance_card=pick_text(old.insurance_card, new.insurance_card),
        address=pick_text(old.address, new.address),
        blood_group=pick_text(old.blood_group, new.blood_group),
        height_cm=pick_float(old.height_cm, new.height_cm),
        weight_kg=pick_float(old.weight_kg, new.weight_kg),
        legal_representative=new.legal_representative or old.legal_representative,
    )
