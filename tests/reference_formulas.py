"""Independent numpy write-ups of REFERENCE.md formulas, for tests to
compare the package against (never the package's own code)."""
import numpy as np


def rotation_matrices(pitch, yaw, roll):
    """``Rx(pitch) @ Ry(yaw) @ Rz(roll)`` of REFERENCE.md section 3, angles in
    radians: (3, 3) for scalars, (B, 3, 3) for (B,) arrays."""
    one, zero = np.ones_like(pitch), np.zeros_like(pitch)

    def mat(*rows):
        return np.stack([np.stack(r, -1) for r in rows], -2)

    ca, sa = np.cos(pitch), np.sin(pitch)
    cb, sb = np.cos(yaw), np.sin(yaw)
    cc, sc = np.cos(roll), np.sin(roll)
    rx = mat((one, zero, zero), (zero, ca, sa), (zero, -sa, ca))
    ry = mat((cb, zero, -sb), (zero, one, zero), (sb, zero, cb))
    rz = mat((cc, sc, zero), (-sc, cc, zero), (zero, zero, one))
    return rx @ ry @ rz
