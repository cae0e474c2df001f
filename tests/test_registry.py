"""Config ``type=`` names resolve through the registries' ``locations``."""
import subprocess
import sys


def test_type_names_resolve_without_manual_imports(data_root):
    # A fresh interpreter imports nothing of mmface3d.models by hand.
    code = (
        'import sys\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmface3d.registry import MODELS\n'
        "init_default_scope('mmface3d')\n"
        "assert 'mmface3d.models' not in sys.modules\n"
        "model = MODELS.build(dict(type='MorphableModel'))\n"
        "print(type(model).__module__)\n")
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == 'mmface3d.morphable.morphable_model'


def test_registries_are_children_of_mmengine():
    from mmengine.registry import MODELS as ROOT_MODELS

    from mmface3d.registry import MODELS, TRANSFORMS
    assert MODELS.parent is ROOT_MODELS
    assert MODELS.scope == 'mmface3d'
    assert TRANSFORMS.scope == 'mmface3d'
