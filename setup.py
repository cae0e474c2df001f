from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


def read_requirements(name: str) -> list:
    lines = (ROOT / 'requirements' / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip()
            and not line.startswith('#')]


def read_version() -> str:
    scope = {}
    exec((ROOT / 'mmface3d' / 'version.py').read_text(), scope)
    return scope['__version__']


setup(
    name='mmface3d',
    version=read_version(),
    description='OpenMMLab-style toolbox for single-image 3D face '
    'reconstruction and dense face alignment',
    long_description=(ROOT / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)
