"""Generates the protobuf and gRPC code into src/rxsafe/gen/ (a package of its own, out of lint).

protoc names the generated modules after the proto path (``rxsafe/v1/...``), which would shadow our own
``rxsafe`` package; the files are therefore generated into a temporary folder, moved flat into
``rxsafe.gen`` and their one cross-import rewritten.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "src" / "rxsafe" / "gen"


def _typed_grpc_stubs(out: str) -> list[str]:
    """Type stubs for the gRPC module (mypy-protobuf), when the dev tools are installed; the service runs without."""
    plugin = Path(sys.executable).with_name("protoc-gen-mypy_grpc")
    if not plugin.exists():
        return []
    return [f"--plugin=protoc-gen-mypy_grpc={plugin}", f"--mypy_grpc_out={out}"]


def main() -> int:
    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *_typed_grpc_stubs(tmp),
            *protos,
        ]
        if protoc.main(args) != 0:
            print("protoc failed", file=sys.stderr)
            return 1
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        (OUT / "__init__.py").write_text(
            '"""Generated protobuf and gRPC code; do not edit (scripts/gen_proto.py)."""\n'
        )
        for generated in sorted(Path(tmp).rglob("*.py*")):
            text = generated.read_text(encoding="utf-8")
            text = text.replace("from rxsafe.v1 import", "from rxsafe.gen import")
            (OUT / generated.name).write_text(text, encoding="utf-8")
    print(f"generated {len(list(OUT.glob('*.py')))} modules into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
