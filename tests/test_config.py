"""Settings: defaults, environment, instance file, the generated secret key."""

import os
import stat

import pytest

from lms.config import load_config


def test_defaults_use_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'praxis.sqlite3'}"
    assert config["DEFAULT_LOCALE"] == "zh_CN"
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    second = load_config(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_SECRET_KEY", "from-environment")
    monkeypatch.setenv("LMS_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("LMS_MAX_CONTENT_LENGTH", "1024")
    config = load_config(tmp_path)
    assert config["SECRET_KEY"] == "from-environment"
    assert config["DEFAULT_LOCALE"] == "en" and config["MAX_CONTENT_LENGTH"] == 1024
    assert not (tmp_path / "secret_key").exists()


def test_instance_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_COMPANY_NAME", raising=False)
    (tmp_path / "config.py").write_text('COMPANY_NAME = "上海示例贸易有限公司"\n', encoding="utf-8")
    assert load_config(tmp_path)["COMPANY_NAME"] == "上海示例贸易有限公司"


def test_unknown_lms_variable_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_DATABSE_URL", "typo")
    with pytest.warns(RuntimeWarning, match="LMS_DATABSE_URL"):
        load_config(tmp_path)


def test_workers_starting_together_share_one_secret_key(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from lms.config import _secret_key_from_instance

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: _secret_key_from_instance(tmp_path), range(16)))
    assert len(set(keys)) == 1 and keys[0]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
