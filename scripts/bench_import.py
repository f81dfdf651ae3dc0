"""Import throughput for XML 130 medication rows (XML2): parse + validate, then write, rows per second.

    .venv/bin/python scripts/bench_import.py [--rows 100000] [--per-visit 100]

Builds one synthetic GIAMDINHHS envelope in memory (every value invented: personal IDs 0000xxxxxxxx, whose
province code 000 no province has), with ``rows / per-visit`` visits, one patient each, and times
``parse_xml130`` and ``DuckDBRecordStore.import_file`` on a fresh DuckDB file. Then re-imports the same
content under another file hash to time the idempotent path (every row matched, nothing written).
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from pathlib import Path

from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.xml130 import parse_xml130


def _xml1(visit: str, personal_id: str) -> bytes:
    return (
        f"<TONG_HOP><MA_LK>{visit}</MA_LK><STT>1</STT><HO_TEN><![CDATA[BENH NHAN THU]]></HO_TEN>"
        f"<SO_CCCD>{personal_id}</SO_CCCD><NGAY_SINH>196001010000</NGAY_SINH><GIOI_TINH>1</GIOI_TINH>"
        "<MA_BENH_CHINH>I10</MA_BENH_CHINH><NGAY_VAO>202611010800</NGAY_VAO><MA_CSKCB>79088</MA_CSKCB>"
        "<CAN_NANG>60.00</CAN_NANG></TONG_HOP>"
    ).encode()


_DRUGS = ("Amlodipin", "Metformin", "Atorvastatin", "Bisoprolol", "Paracetamol")


def _xml2(visit: str, rows: int) -> bytes:
    body = "".join(
        "<CHI_TIET_THUOC>"
        f"<MA_LK>{visit}</MA_LK><STT>{i}</STT><MA_THUOC>40.{i}</MA_THUOC><MA_NHOM>4</MA_NHOM>"
        f"<TEN_THUOC><![CDATA[{_DRUGS[i % len(_DRUGS)]}]]></TEN_THUOC><DON_VI_TINH>Viên</DON_VI_TINH>"
        "<HAM_LUONG>5mg</HAM_LUONG><DUONG_DUNG>1.01</DUONG_DUNG><DANG_BAO_CHE>Viên nén</DANG_BAO_CHE>"
        "<LIEU_DUNG><![CDATA[1 viên/lần * 1 lần/ngày * 30 ngày [1 viên/ngày]]]></LIEU_DUNG>"
        "<CACH_DUNG><![CDATA[Uống sau ăn]]></CACH_DUNG><SO_DANG_KY>VD-00000-00</SO_DANG_KY>"
        "<TT_THAU>0/QĐ-TEST;G1;N1;2026</TT_THAU><PHAM_VI>1</PHAM_VI><TYLE_TT_BH>100</TYLE_TT_BH>"
        "<SO_LUONG>30.000</SO_LUONG><DON_GIA>1500.000</DON_GIA><THANH_TIEN_BV>45000.000</THANH_TIEN_BV>"
        "<THANH_TIEN_BH>45000.000</THANH_TIEN_BH><MUC_HUONG>80</MUC_HUONG><MA_KHOA>K01</MA_KHOA>"
        f"<MA_BAC_SI>000000/TEST-CCHN</MA_BAC_SI><NGAY_YL>2026110{1 + i % 9}0930</NGAY_YL>"
        "<MA_PTTT>1</MA_PTTT><NGUON_CTRA>1</NGUON_CTRA>"
        "</CHI_TIET_THUOC>"
        for i in range(1, rows + 1)
    )
    return (
        f"<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC>{body}</DSACH_CHI_TIET_THUOC></CHITIEU_CHITIET_THUOC>".encode()
    )


def build(rows: int, per_visit: int, made: str) -> bytes:
    hoso = []
    for v in range(rows // per_visit):
        visit, personal_id = f"00000-2026-{v:06d}", f"0000{v:08d}"
        files = (
            f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>{base64.b64encode(doc).decode()}</NOIDUNGFILE></FILEHOSO>"
            for kind, doc in (("XML1", _xml1(visit, personal_id)), ("XML2", _xml2(visit, per_visit)))
        )
        hoso.append(f"<HOSO>{''.join(files)}</HOSO>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><GIAMDINHHS><THONGTINDONVI><MACSKCB>00000</MACSKCB></THONGTINDONVI>'
        f"<THONGTINHOSO><NGAYLAP>{made}</NGAYLAP><SOLUONGHOSO>{len(hoso)}</SOLUONGHOSO>"
        f"<DANHSACHHOSO>{''.join(hoso)}</DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-visit", type=int, default=100)
    args = parser.parse_args()
    data = build(args.rows, args.per_visit, "20261101")
    print(f"envelope: {len(data) / 1e6:.1f} MB, {args.rows} XML2 rows in {args.rows // args.per_visit} visits")
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBRecordStore(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        parsed = parse_xml130(data, "bench.xml")
        t1 = time.perf_counter()
        counts = store.import_file(parsed)
        t2 = time.perf_counter()
        assert not parsed.fatal and not parsed.rejections, (parsed.fatal, parsed.rejections[:3])
        assert counts is not None and counts.added.get("medications") == args.rows
        parse_s, write_s = t1 - t0, t2 - t1
        print(f"parse+validate: {parse_s:.2f} s ({args.rows / parse_s:,.0f} rows/s)")
        print(f"write (one transaction): {write_s:.2f} s ({args.rows / write_s:,.0f} rows/s)")
        print(f"total first import: {parse_s + write_s:.2f} s ({args.rows / (parse_s + write_s):,.0f} rows/s)")
        again = parse_xml130(build(args.rows, args.per_visit, "20261102"), "bench-again.xml")
        t3 = time.perf_counter()
        unchanged = store.import_file(again)
        t4 = time.perf_counter()
        assert unchanged is not None and not unchanged.added and not unchanged.updated
        print(f"re-import, same rows (nothing written): {t4 - t3:.2f} s ({args.rows / (t4 - t3):,.0f} rows/s)")
        store.close()


if __name__ == "__main__":
    main()
