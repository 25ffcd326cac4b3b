"""The code-signing certificate: the configured one, else a self-signed test one made
once in the data directory (private key 0600) with the code-signing usage."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from guruconnect.server.config import ConfigError, Settings, load_settings
from guruconnect.server.installers.windows import codesign


def test_a_test_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = codesign.signer_for(settings)
    assert first.test and first.cert.parent == tmp_path / codesign.TEST_DIR
    assert first.key.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(first.cert.read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CODE_SIGNING in usage
    pem = first.cert.read_bytes()
    assert codesign.signer_for(settings).cert.read_bytes() == pem


def test_a_configured_certificate_is_used_and_must_come_with_its_key(tmp_path: Path) -> None:
    made = codesign.make_test_certificate(tmp_path / "elsewhere")
    settings = Settings(data_dir=tmp_path, codesign_cert_file=str(made.cert),
                        codesign_key_file=str(made.key))  # fmt: skip
    signer = codesign.signer_for(settings)
    assert not signer.test and signer.cert == made.cert
    assert not (tmp_path / codesign.TEST_DIR).exists()
    with pytest.raises(ConfigError, match="codesign_key_file"):
        load_settings(environ={"GURU_CODESIGN_CERT_FILE": str(made.cert)})
