"""Without SECRET_KEY, every process on the host shares one key kept under the var dir."""

from __future__ import annotations

import stat

from kommune_ikt.core.config import Settings


def test_processes_without_secret_key_share_one_kept_key(tmp_path, monkeypatch):
    monkeypatch.setenv("KOMMUNE_IKT_VAR_DIR", str(tmp_path))
    first = Settings.from_env({})
    second = Settings.from_env({})
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) == 64
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_a_given_secret_key_is_used_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("KOMMUNE_IKT_VAR_DIR", str(tmp_path))
    assert Settings.from_env({"SECRET_KEY": "given"}).secret_key == "given"
    assert not (tmp_path / "secret_key").exists()
