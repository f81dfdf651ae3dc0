"""ReloadConfiguration reads the facility policy file again: new tier rules and suppressions apply, audited."""

from __future__ import annotations

from pathlib import Path

from rxsafe.app.actor import Actor
from rxsafe.bootstrap import build_service
from rxsafe.ehr.audit import AuditAction
from rxsafe.service.access import AccessFile
from rxsafe.service.interceptors import AccessInterceptor
from rxsafe.service.server import Reloader

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "policy.example.toml"


def test_reload_reads_the_policy_file_again_and_audits_the_change(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    service = build_service(db=tmp_path / "store.duckdb", seed=False, policy=policy_file)
    store = service.store
    assert store is not None
    try:
        reloader = Reloader(service, AccessInterceptor(AccessFile()), None, None, policy_file)
        admin = Actor(client="ops", user="admin-1", roles=("admin",), purpose="administration")
        reloader(admin)  # the same file: nothing changed, no policy row
        text = policy_file.read_text(encoding="utf-8").replace(
            "[suppressions]\nversion = 1", "[suppressions]\nversion = 2"
        )
        policy_file.write_text(text, encoding="utf-8")
        reloader(admin)
        assert service.policy.suppressions.version == 2
        rows = [r for r in store.audit_events() if r.action == AuditAction.RELOAD.value and r.subject == "policy"]
        assert len(rows) == 1
        assert rows[0].user == "admin-1"
        assert "suppressions v1" in rows[0].outcome.split(" -> ")[0]
        assert "suppressions v2" in rows[0].outcome.split(" -> ")[1]
    finally:
        store.close()
