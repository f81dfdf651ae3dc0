"""XML 130/4750 import: what is read, what is rejected (and then nothing changes), idempotence, provenance."""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path

import pytest

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.ehr import import_writer
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.importer import import_file, import_paths
from rxsafe.ehr.xml130 import parse_xml130
from tests.ehr import synthetic as s
from tests.ehr.conftest import CountRows, RawQuery

TABLES = ("patients", "allergies", "medications", "conditions", "visits", "observations", "import_files")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _snapshot(store: DuckDBRecordStore, count_rows: CountRows) -> dict[str, int]:
    return {t: count_rows(store, t) for t in TABLES}


def test_envelope_is_read_into_the_four_groups() -> None:
    parsed = parse_xml130(s.envelope(s.visit_a()), "visit.xml")
    assert not parsed.fatal and not parsed.rejections
    patient = parsed.patients[s.PATIENT_A]
    demo = patient.demographics
    assert (demo.name, demo.birth_date, demo.sex) == ("BỆNH NHÂN THỬ MỘT", date(1950, 3, 2), Sex.FEMALE)
    assert (demo.insurance_card, demo.blood_group) == ("HT4010123456789", "O+")
    assert patient.allergy_status is None  # XML 130 has no allergy field: it says nothing either way
    [(med, prov)] = patient.medications
    assert med.text == "Warfarin 5mg"  # TEN_THUOC + HAM_LUONG, CDATA unwrapped
    assert med.dose_text.endswith("* 30 ngày [1 viên/ngày]")
    assert (med.quantity, med.unit, med.route, med.prescriber) == (30.0, "Viên", "1.01", "000123/HN-CCHN")
    assert med.order_time == datetime(2026, 11, 1, 9, 30)
    assert med.start_date == date(2026, 11, 1)
    assert med.follow_up_date == date(2026, 12, 1)
    assert (prov.file, prov.table, prov.row, prov.key) == ("visit.xml", "HOSO 1/XML2", 1, f"xml130:{s.VISIT_A}:XML2:1")
    assert [(c.code, c.role) for c, _ in patient.conditions] == [
        ("I48", "principal"),
        ("I10", "secondary"),
        ("E11.9", "secondary"),  # E119 as XML writes it, with its dot restored
    ]
    [(visit, _)] = patient.visits
    assert (visit.id, visit.facility, visit.visit_type, visit.result) == (s.VISIT_A, "79088", "01", "2")
    assert {o.code: o.value for o, _ in patient.observations} == {"29463-7": 48.5, "INR": 2.4}


def test_import_writes_the_record_with_provenance(store: DuckDBRecordStore, tmp_path: Path, raw: RawQuery) -> None:
    result = import_file(store, _write(tmp_path, "visit.xml", s.envelope(s.visit_a())))
    assert result.outcome == "imported", result
    record = store.get_patient(s.PATIENT_A)
    assert record is not None
    assert record.allergy_status is AllergyStatus.NOT_RECORDED
    assert record.weight_kg == 48.5
    assert [m.text for m in record.medications] == ["Warfarin 5mg"]
    assert len(record.conditions) == 3 and len(record.visits) == 1 and len(record.observations) == 2
    assert raw(store, "SELECT source_file, source_table, source_row, import_key FROM medications") == [
        ("visit.xml", "HOSO 1/XML2", 1, f"xml130:{s.VISIT_A}:XML2:1")
    ]
    assert store.provenance(s.PATIENT_A)[record.medications[0].id] == ("visit.xml", "HOSO 1/XML2", 1)


def test_importing_twice_changes_nothing(store: DuckDBRecordStore, tmp_path: Path, count_rows: CountRows) -> None:
    first = import_file(store, _write(tmp_path, "a.xml", s.envelope(s.visit_a())))
    assert first.outcome == "imported"
    before = _snapshot(store, count_rows)
    version = store.get_patient(s.PATIENT_A).record_version  # type: ignore[union-attr]
    # The same file again: recognised by its hash.
    assert import_file(store, _write(tmp_path, "a.xml", s.envelope(s.visit_a()))).outcome == "already imported"
    # The same rows in a different file (another NGAYLAP): matched row by row, nothing written but the file log.
    again = import_file(store, _write(tmp_path, "a2.xml", s.envelope(s.visit_a(), made="20261102")))
    assert again.outcome == "unchanged"
    after = _snapshot(store, count_rows)
    assert after == {**before, "import_files": before["import_files"] + 1}
    assert store.get_patient(s.PATIENT_A).record_version == version  # type: ignore[union-attr]


def test_a_corrected_resubmission_updates_the_row(store: DuckDBRecordStore, tmp_path: Path) -> None:
    import_file(store, _write(tmp_path, "a.xml", s.envelope(s.visit_a())))
    corrected = s.visit_a(medications=[s.xml2(1, LIEU_DUNG="1 viên/lần * 1 lần/ngày * 14 ngày")])
    result = import_file(store, _write(tmp_path, "a-fixed.xml", s.envelope(corrected)))
    assert result.outcome == "imported"
    assert result.counts.updated == {"medications": 1}
    record = store.get_patient(s.PATIENT_A)
    assert record is not None
    assert [m.dose_text for m in record.medications] == ["1 viên/lần * 1 lần/ngày * 14 ngày"]
    assert record.record_version == 2


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(lambda: s.envelope({"XML1": "not*base64!", "XML2": s.table("XML2", [s.xml2(1)])}), "Base64"),
        pytest.param(lambda: b"<GIAMDINHHS><THONGTINHOSO>", "not well-formed"),
        pytest.param(lambda: b'{"resourceType": "Patient"}', "not a FHIR Bundle"),
        pytest.param(lambda: b"<OTHER/>", "expected <GIAMDINHHS>"),
        pytest.param(
            lambda: (
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                b"<GIAMDINHHS>&lol2;</GIAMDINHHS>"
            ),
            "forbidden XML construct",
        ),
        pytest.param(
            lambda: s.envelope(
                {
                    "XML1": b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    b"<TONG_HOP><MA_LK>&x;</MA_LK></TONG_HOP>"
                }
            ),
            "forbidden XML construct",
        ),
        pytest.param(
            lambda: s.envelope(
                {"XML2": b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><CHITIEU_CHITIET_THUOC/>'}
            ),
            "DTDForbidden",
        ),
    ],
    ids=["bad-base64", "truncated", "wrong-json", "wrong-root", "billion-laughs", "external-entity", "inner-dtd"],
)
def test_malformed_files_are_rejected_and_change_nothing(
    store: DuckDBRecordStore, tmp_path: Path, count_rows: CountRows, make: object, expected: str
) -> None:
    import_file(store, _write(tmp_path, "good.xml", s.envelope(s.visit_a())))
    before = _snapshot(store, count_rows)
    data = make()  # type: ignore[operator]
    result = import_file(store, _write(tmp_path, "bad.xml", data))
    assert result.outcome == "rejected"
    assert expected in result.reason
    assert _snapshot(store, count_rows) == before


def test_wrong_types_and_oversize_fields_name_file_row_and_field(
    store: DuckDBRecordStore, tmp_path: Path, count_rows: CountRows
) -> None:
    rows = [s.xml2(1), s.xml2(2, SO_LUONG="mười"), s.xml2(3, TEN_THUOC="W" * 1025), s.xml2(4, NGAY_YL="2026-11-01")]
    path = _write(tmp_path, "typed.xml", s.envelope(s.visit_a(medications=rows)))
    result = import_file(store, path)
    assert result.outcome == "rejected"
    found = {(r.file, r.table, r.row, r.field) for r in result.rejections}
    assert found == {
        ("typed.xml", "HOSO 1/XML2", 2, "SO_LUONG"),
        ("typed.xml", "HOSO 1/XML2", 3, "TEN_THUOC"),
        ("typed.xml", "HOSO 1/XML2", 4, "NGAY_YL"),
    }
    assert "mười" not in " ".join(str(r) for r in result.rejections)  # values are never quoted back
    assert count_rows(store, "medications") == 0 and count_rows(store, "patients") == 0
    # --allow-partial: the valid rows go in, the rejected ones are still listed.
    partial = import_file(store, path, allow_partial=True)
    assert partial.outcome == "imported" and len(partial.rejections) == 3
    assert count_rows(store, "medications") == 1


def test_rows_that_cannot_be_tied_to_a_patient_are_rejected() -> None:
    record = {
        "XML1": s.table("XML1", [s.xml1(SO_CCCD="012345678")]),  # an old 9-digit ID cannot key the record
        "XML2": s.table("XML2", [s.xml2(1)]),
    }
    other = {"XML1": s.table("XML1", [s.xml1(MA_LK=s.VISIT_B, SO_CCCD=s.PATIENT_B, GIOI_TINH="1")])}
    orphan = {**other, "XML2": s.table("XML2", [s.xml2(1, MA_LK="no-such-visit")])}
    parsed = parse_xml130(s.envelope(record, orphan), "x.xml")
    fields = [(r.table, r.field, r.reason) for r in parsed.rejections]
    assert ("HOSO 1/XML1", "SO_CCCD", "not a 12-digit personal ID; patient not imported") in fields
    assert ("HOSO 1/XML2", "MA_LK", "matches no valid XML1 visit in this record") in fields
    assert ("HOSO 2/XML2", "MA_LK", "matches no valid XML1 visit in this record") in fields


def test_personal_id_disagreements_warn_but_import(store: DuckDBRecordStore, tmp_path: Path) -> None:
    # Patient A's ID says female, born 1950; the row says male, born 1951.
    visit = {"XML1": s.table("XML1", [s.xml1(GIOI_TINH="1", NGAY_SINH="195103020000")])}
    result = import_file(store, _write(tmp_path, "w.xml", s.envelope(visit)))
    assert result.outcome == "imported"
    joined = " ".join(result.warnings)
    assert "personal ID says female, the record says male" in joined
    assert "personal ID says born 1950, the record says 1951" in joined
    assert s.PATIENT_A not in joined  # warnings never carry the number


def test_one_transaction_per_file(
    store: DuckDBRecordStore, tmp_path: Path, count_rows: CountRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _write(tmp_path, "1-good.xml", s.envelope(s.visit_a()))
    second = {"XML1": s.table("XML1", [s.xml1(MA_LK=s.VISIT_B, SO_CCCD=s.PATIENT_B, GIOI_TINH="1")])}
    doomed = _write(tmp_path, "2-doomed.xml", s.envelope(second))
    summary = import_paths(store, [good])
    assert not summary.failed
    before = _snapshot(store, count_rows)

    def fail(*_: object) -> None:
        raise RuntimeError("disk full (simulated)")

    # A failure after rows were written inside the transaction: all of the file's writes roll back.
    monkeypatch.setattr(import_writer, "_refresh_indicators", fail)
    with pytest.raises(RuntimeError):
        import_file(store, doomed)
    assert _snapshot(store, count_rows) == before
    assert store.get_patient(s.PATIENT_B) is None


def test_summary_counts_and_lists_rejections(store: DuckDBRecordStore, tmp_path: Path) -> None:
    good = _write(tmp_path, "good.xml", s.envelope(s.visit_a(results=[s.xml4(1), s.xml4(2, MA_CHI_SO="K")])))
    bad = _write(tmp_path, "bad.xml", s.envelope({"XML1": base64.b64encode(b"<TONG_HOP>").decode()}))
    summary = import_paths(store, [good, bad])
    assert summary.failed
    assert (summary.patients, summary.total("medications"), summary.total("observations")) == (1, 1, 3)
    text = "\n".join(summary.lines())
    assert "good.xml [xml130]: imported" in text
    assert "bad.xml [xml130]: rejected — bad.xml HOSO 1/XML1: not well-formed XML" in text
