"""Fetch a file from a URL with a SHA-256 check, a progress bar and an
atomic rename, so that a destination path only ever holds verified bytes."""
import hashlib
import http.client
import os
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional, Sequence, Union

from tqdm import tqdm

_CHUNK = 1 << 20


class ChecksumError(ValueError):
    """Downloaded bytes do not have any of the expected SHA-256 digests.

    Attributes:
        name (str): The file (destination name) that failed.
        expected (tuple[str]): The accepted hex digests.
        actual (str): The hex digest of the bytes received.
    """

    def __init__(self, name: str, expected: Sequence[str], actual: str):
        self.name = name
        self.expected = tuple(expected)
        self.actual = actual
        super().__init__(f'{name}: SHA-256 mismatch, expected '
                         f'{" or ".join(self.expected)}, got {actual}; '
                         'the download was discarded')


class DownloadError(OSError):
    """The source URL could not be read (offline, unreachable, missing).

    Attributes:
        url (str): The URL that failed.
    """

    def __init__(self, url: str, reason: object):
        self.url = url
        super().__init__(f'cannot read {url}: {reason}')


def file_sha256(path: Union[str, Path]) -> str:
    """Hex SHA-256 digest of a file, read in chunks.

    Args:
        path (str | Path): The file.

    Returns:
        str: 64 lowercase hex characters.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str,
                  dst: Union[str, Path],
                  sha256: Union[str, Sequence[str]],
                  size: Optional[int] = None,
                  timeout: float = 60.,
                  progress: bool = True) -> Path:
    """Download ``url`` to ``dst`` and verify its SHA-256 digest.

    The bytes go to a hidden temporary file next to ``dst`` and are hashed
    while they stream; only a verified file is renamed onto ``dst`` (an
    atomic ``os.replace``), so an interrupted or corrupted transfer never
    leaves a partial file and never clobbers an existing ``dst``. Any URL
    that :mod:`urllib` opens works, ``file://`` included.

    Args:
        url (str): Source URL (``https://``, ``http://``, ``file://``).
        dst (str | Path): Destination file; its folder is created.
        sha256 (str | Sequence[str]): Accepted hex digest(s).
        size (int, optional): Expected size in bytes, used for the
            progress bar when the server sends no ``Content-Length``.
            Defaults to None.
        timeout (float): Socket timeout in seconds. Defaults to 60.
        progress (bool): Show a tqdm progress bar (on terminals only).
            Defaults to True.

    Returns:
        Path: ``dst``.

    Raises:
        DownloadError: If the URL cannot be opened or read.
        ChecksumError: If the digest is not one of ``sha256``.
    """
    expected = (sha256, ) if isinstance(sha256, str) else tuple(sha256)
    expected = tuple(e.lower() for e in expected)
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    # A hidden, unique name in dst's folder keeps os.replace atomic (same
    # file system); open(..., 'xb') honours the umask, unlike mkstemp.
    tmp = dst.with_name(f'.{dst.name}.{secrets.token_hex(8)}.part')
    digest = hashlib.sha256()
    out = open(tmp, 'xb')
    try:
        with out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    total = int(resp.headers.get('Content-Length') or 0)
                    with tqdm(
                            total=total or size,
                            desc=dst.name,
                            unit='B',
                            unit_scale=True,
                            unit_divisor=1024,
                            disable=None if progress else True) as bar:
                        for chunk in iter(lambda: resp.read(_CHUNK), b''):
                            digest.update(chunk)
                            out.write(chunk)
                            bar.update(len(chunk))
            except urllib.error.HTTPError as exc:
                raise DownloadError(url, exc) from exc
            except (urllib.error.URLError, http.client.HTTPException,
                    TimeoutError, ConnectionError) as exc:
                raise DownloadError(url, getattr(exc, 'reason', exc)) from exc
        actual = digest.hexdigest()
        if actual not in expected:
            raise ChecksumError(dst.name, expected, actual)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dst
