"""download_file / file_sha256 on file:// URLs, against the published
SHA-256 test vectors (FIPS 180-2: "abc", and the empty message)."""
import pytest

from mmface3d.utils.download import (ChecksumError, DownloadError,
                                     download_file, file_sha256)

SHA_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
SHA_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'


@pytest.fixture
def source(tmp_path):
    """A served file holding b'abc'."""
    src = tmp_path / 'served' / 'abc.bin'
    src.parent.mkdir()
    src.write_bytes(b'abc')
    return src


def test_file_sha256_known_vectors(tmp_path):
    (tmp_path / 'abc').write_bytes(b'abc')
    (tmp_path / 'empty').write_bytes(b'')
    assert file_sha256(tmp_path / 'abc') == SHA_ABC
    assert file_sha256(tmp_path / 'empty') == SHA_EMPTY


def test_download_verifies_and_creates_folders(source, tmp_path):
    dst = tmp_path / 'out' / 'nested' / 'abc.bin'
    assert download_file(source.as_uri(), dst, SHA_ABC, progress=False) == dst
    assert dst.read_bytes() == b'abc'
    assert sorted(p.name for p in dst.parent.iterdir()) == ['abc.bin']


def test_download_accepts_any_listed_digest(source, tmp_path):
    dst = tmp_path / 'abc.bin'
    download_file(
        source.as_uri(), dst, [SHA_EMPTY, SHA_ABC.upper()], progress=False)
    assert dst.read_bytes() == b'abc'


def test_checksum_mismatch_discards_and_keeps_old_file(source, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    dst = out / 'abc.bin'
    dst.write_bytes(b'old')
    with pytest.raises(ChecksumError) as info:
        download_file(source.as_uri(), dst, SHA_EMPTY, progress=False)
    err = info.value
    assert (err.name, err.expected, err.actual) == ('abc.bin', (SHA_EMPTY, ),
                                                    SHA_ABC)
    assert 'abc.bin' in str(err) and SHA_EMPTY in str(err) \
        and SHA_ABC in str(err)
    # The previous file is untouched and no temporary file is left.
    assert dst.read_bytes() == b'old'
    assert [p.name for p in out.iterdir()] == ['abc.bin']


def test_unreadable_url_names_it(tmp_path):
    url = (tmp_path / 'missing.bin').as_uri()
    with pytest.raises(DownloadError, match='missing.bin') as info:
        download_file(url, tmp_path / 'out' / 'x.bin', SHA_ABC, progress=False)
    assert info.value.url == url
    assert isinstance(info.value, OSError)
    assert list((tmp_path / 'out').iterdir()) == []
