"""The national e-prescription body (gui-don-thuoc) as a check request; errors name the JSON path."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.errors import InvalidRequest
from rxsafe.ehr.eprescription import eprescription_to_check_request
from tests.ehr import synthetic as s


def body(**overrides: Any) -> dict[str, Any]:
    """An invented gui-don-thuoc body."""
    base: dict[str, Any] = {
        "loai_don_thuoc": "c",
        "ma_don_thuoc": "79088a1b2c3d-c",
        "ho_ten_benh_nhan": "BỆNH NHÂN THỬ HAI",
        "ma_dinh_danh_y_te": "",
        "ma_dinh_danh_cong_dan": s.PATIENT_B,
        "ngay_sinh_benh_nhan": "15/06/1985",
        "can_nang": 71.5,
        "gioi_tinh": 2,
        "ma_so_the_bao_hiem_y_te": "DN4790123456789",
        "chan_doan": [{"ma_chan_doan": "J18.9", "ten_chan_doan": "Viêm phổi", "ket_luan": ""}],
        "thong_tin_don_thuoc": [
            {
                "ma_thuoc": "",
                "biet_duoc": "Augmentin 625mg",
                "ten_thuoc": "Amoxicilin + Acid clavulanic",
                "don_vi_tinh": "Viên",
                "so_luong": 14,
                "cach_dung": "Uống 1 viên/lần x 2 lần/ngày, sau ăn",
            },
            {"ma_thuoc": "40.229", "ten_thuoc": "Levofloxacin 500mg", "so_luong": "7", "cach_dung": "1 viên/ngày"},
        ],
        "ngay_gio_ke_don": "2026-11-15 09:30:00",
    }
    base.update(overrides)
    return base


def test_body_becomes_an_inline_check() -> None:
    request = eprescription_to_check_request(body())
    assert request.patient_id is None and request.patient is not None
    patient = request.patient
    assert (patient.patient_id, patient.birth_date, patient.weight_kg) == (s.PATIENT_B, date(1985, 6, 15), 71.5)
    assert patient.allergy_status is AllergyStatus.NOT_RECORDED  # the body has no allergy field
    assert patient.sex is Sex.UNSPECIFIED  # numeric gioi_tinh is ambiguous between conventions
    assert [c.code for c in patient.conditions] == ["J18.9"]
    first, second = request.prescription.lines
    assert first.text == "Amoxicilin + Acid clavulanic (Augmentin 625mg)"
    assert (first.quantity, first.dose_text) == (14.0, "Uống 1 viên/lần x 2 lần/ngày, sau ăn")
    assert (second.text, second.quantity, second.national_drug_code) == ("Levofloxacin 500mg", 7.0, "40.229")


def test_stored_patient_is_used_when_asked() -> None:
    request = eprescription_to_check_request(body(), stored_patient=True)
    assert request.patient_id == s.PATIENT_B and request.patient is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"thong_tin_don_thuoc": []}, "thong_tin_don_thuoc"),
        ({"thong_tin_don_thuoc": [{"so_luong": 1}]}, "thong_tin_don_thuoc[0].ten_thuoc"),
        ({"thong_tin_don_thuoc": [{"ten_thuoc": "X", "so_luong": "nhiều"}]}, "thong_tin_don_thuoc[0].so_luong"),
        ({"thong_tin_don_thuoc": [{"ten_thuoc": "X" * 501}]}, "thong_tin_don_thuoc[0].ten_thuoc"),
        ({"thong_tin_don_thuoc": [{"ten_thuoc": ["X"]}]}, "thong_tin_don_thuoc[0].ten_thuoc"),
        ({"ma_dinh_danh_cong_dan": "12345"}, "ma_dinh_danh_cong_dan"),
        ({"can_nang": 900}, "can_nang"),
        ({"ngay_sinh_benh_nhan": "1985/15/06"}, "ngay_sinh_benh_nhan"),
        ({"loai_don_thuoc": "x"}, "loai_don_thuoc"),
        ({"ma_don_thuoc": "short"}, "ma_don_thuoc"),
        ({"chan_doan": [{"ma_chan_doan": "not-icd"}]}, "chan_doan[0].ma_chan_doan"),
        ({"ma_so_the_bao_hiem_y_te": "ABC"}, "ma_so_the_bao_hiem_y_te"),
        ({"gioi_tinh": 9}, "gioi_tinh"),
    ],
)
def test_errors_name_the_json_path(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        eprescription_to_check_request(body(**overrides))
    assert caught.value.field == field
