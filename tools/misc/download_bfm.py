"""Install the Basel Face Model (BFM) arrays that mmface3d reads.

The files, their release URLs, SHA-256 digests, sizes and licences are
listed in ``bfm_manifest.json`` next to this tool. Files with a public
release URL are downloaded; the others must be fetched by hand and installed
with ``--from``. Every file is checked against its digest, and a file
already present with the right digest is kept.

Examples::

    python tools/misc/download_bfm.py
    python tools/misc/download_bfm.py --files bfm_noneck_v3.pkl tri.pkl
    python tools/misc/download_bfm.py --from ~/Downloads/bfm

Exit status: 0 every requested file is installed and verified; 1 a SHA-256
mismatch; 2 a usage error; 3 a source could not be read (offline, missing
file); 4 a file has no public URL and was not found under ``--from``.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmface3d.utils import get_data_root
from mmface3d.utils.download import (ChecksumError, DownloadError,
                                     download_file, file_sha256)

EXIT_OK = 0
EXIT_CHECKSUM = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_MANUAL = 4

MANIFEST_FILE = Path(__file__).with_name('bfm_manifest.json')

LICENCE_NOTICE = """\
Licence: these arrays are derived from the Basel Face Model 2009 (University
of Basel, https://faces.dmi.unibas.ch/bfm/) and may be used for
non-commercial academic research only. Installing them means you have
registered for and accepted the BFM licence; commercial use needs a
commercial licence from the University of Basel."""


class BFMFile(NamedTuple):
    """One released array, as listed in ``bfm_manifest.json``.

    Attributes:
        name (str): File name under the BFM folder.
        url (str | None): Public release URL; None when the file is only
            distributed inside an archive or through a cloud drive.
        sha256 (tuple[str]): Accepted hex SHA-256 digests.
        size (int): Size in bytes of the released file.
        licence (str): Licence of the file.
        source (str): Where to fetch it by hand when ``url`` is None.
        note (str): Remarks on the digests.
    """
    name: str
    url: Optional[str]
    sha256: Tuple[str, ...]
    size: int
    licence: str
    source: str = ''
    note: str = ''


def load_manifest(path: Path = MANIFEST_FILE) -> Dict[str, BFMFile]:
    """Read the manifest: a JSON list of objects with the BFMFile fields.

    Args:
        path (Path): The manifest. Defaults to ``bfm_manifest.json`` next
            to this tool.

    Returns:
        dict[str, BFMFile]: Entries by file name, in manifest order.
    """
    with open(path, encoding='utf-8') as f:
        rows = json.load(f)
    return {
        row['name']: BFMFile(**dict(row, sha256=tuple(row['sha256'])))
        for row in rows
    }


FILES = load_manifest()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    manual = ', '.join(f.name for f in FILES.values() if f.url is None)
    parser = argparse.ArgumentParser(
        description='Download the BFM arrays with SHA-256 checks, or '
        'install them from a local copy.',
        epilog=f'Files without a public URL ({manual}) must be fetched by '
        'hand and installed with --from.')
    parser.add_argument(
        '--out',
        type=Path,
        help='destination folder (default: <data root>/bfm, the data root '
        'being $MMFACE3D_DATA or <repo>/data)')
    parser.add_argument(
        '--from',
        dest='from_dir',
        type=Path,
        metavar='DIR',
        help='install the files found in DIR from there (verified like '
        'downloads); the others are downloaded')
    parser.add_argument(
        '--files',
        nargs='+',
        choices=list(FILES),
        metavar='NAME',
        help=f'only these files (default: all): {", ".join(FILES)}')
    parser.add_argument(
        '--base-url',
        help='fetch every file as BASE_URL/NAME instead of its release URL '
        '(a mirror, or a file:// folder)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='fetch again even when a verified copy is present')
    return parser.parse_args(argv)


def _source_url(entry: BFMFile, from_dir: Optional[Path],
                base_url: Optional[str]) -> Optional[str]:
    """The URL to install ``entry`` from, or None when there is none."""
    if from_dir is not None:
        local = from_dir / entry.name
        if local.is_file():
            return local.resolve().as_uri()
        print(f'{entry.name}: not in {from_dir}')
    if base_url:
        return f'{base_url.rstrip("/")}/{entry.name}'
    return entry.url


def install(entry: BFMFile,
            out_dir: Path,
            from_dir: Optional[Path] = None,
            base_url: Optional[str] = None,
            force: bool = False) -> int:
    """Install one file into ``out_dir`` unless a verified copy is there.

    Args:
        entry (BFMFile): The manifest entry.
        out_dir (Path): Destination folder.
        from_dir (Path, optional): Local folder to take the file from.
        base_url (str, optional): Mirror replacing the release URL.
        force (bool): Fetch even if a verified copy is present.

    Returns:
        int: An exit status (``EXIT_OK``, ``EXIT_CHECKSUM``,
        ``EXIT_UNREACHABLE`` or ``EXIT_MANUAL``).
    """
    dst = out_dir / entry.name
    if dst.is_file() and not force:
        if file_sha256(dst) in entry.sha256:
            print(f'{entry.name}: already present, SHA-256 verified')
            return EXIT_OK
        print(f'{entry.name}: present with a wrong SHA-256, fetching again')
    url = _source_url(entry, from_dir, base_url)
    if url is None:
        print(
            f'{entry.name}: no public download URL. Fetch it by hand from '
            f'{entry.source}, then run this tool with --from DIR (the folder '
            'holding it).',
            file=sys.stderr)
        return EXIT_MANUAL
    print(f'{entry.name}: fetching {url}')
    try:
        download_file(url, dst, entry.sha256, size=entry.size)
    except ChecksumError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return EXIT_CHECKSUM
    except DownloadError as exc:
        print(
            f'error: {entry.name}: {exc}. If this machine is offline or the '
            'URL is unreachable, fetch the file elsewhere and install it with '
            '--from DIR.',
            file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f'{entry.name}: installed, SHA-256 verified')
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the tool; returns the exit status (see the module docstring)."""
    args = parse_args(argv)
    out_dir = args.out if args.out is not None else get_data_root() / 'bfm'
    if args.from_dir is not None and not args.from_dir.is_dir():
        print(f'error: --from {args.from_dir}: not a folder', file=sys.stderr)
        return EXIT_USAGE
    entries = [FILES[n] for n in dict.fromkeys(args.files or FILES)]
    print(LICENCE_NOTICE)
    print(f'Installing {len(entries)} file(s) into {out_dir}')
    failed: List[Tuple[str, int]] = []
    for entry in entries:
        status = install(entry, out_dir, args.from_dir, args.base_url,
                         args.force)
        if status != EXIT_OK:
            failed.append((entry.name, status))
    if not failed:
        print(f'Done: {len(entries)} file(s) verified in {out_dir}')
        return EXIT_OK
    print(
        f'{len(failed)} of {len(entries)} file(s) not installed: '
        f'{", ".join(name for name, _ in failed)}',
        file=sys.stderr)
    # 1 (corrupt data) outranks 3 (unreachable), which outranks 4 (manual).
    return min(status for _, status in failed)


if __name__ == '__main__':
    sys.exit(main())
