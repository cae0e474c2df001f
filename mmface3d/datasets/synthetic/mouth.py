"""The mouth cavity of rendered BFM faces: the mesh is open between the lips,
so a dark cone of triangles closes the opening."""
from typing import Tuple

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mmface3d.morphable import MorphableModel

# Depth behind the lips (BFM units, micrometres) and BGR colour.
MOUTH_DEPTH = 15000.0
MOUTH_COLOR = (35.0, 35.0, 70.0)


def mouth_boundary(model: MorphableModel) -> np.ndarray:
    """(R, 2) boundary edges of the mesh's mouth opening.

    Boundary edges belong to one triangle only; they form the outer rim of
    the mesh and the mouth opening. The mouth is the boundary loop whose
    centre lies nearest to the inner-lip landmarks (60-67) of the mean face.
    """
    tri = model.tri.cpu().numpy()
    edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    _, first, counts = np.unique(
        np.sort(edges, 1), axis=0, return_index=True, return_counts=True)
    boundary = edges[first[counts == 1]]
    num = model.num_vertices
    graph = coo_matrix((np.ones(len(boundary)), tuple(boundary.T)),
                       shape=(num, num))
    _, labels = connected_components(graph, directed=False)
    mean = model.u.cpu().numpy().reshape(-1, 3)
    lips = mean[model.keypoints[60:68].cpu().numpy()].mean(0)
    loops = np.unique(labels[boundary[:, 0]])
    centres = np.stack(
        [mean[boundary[labels[boundary[:, 0]] == k, 0]].mean(0)
         for k in loops])
    mouth = loops[np.linalg.norm(centres - lips, axis=1).argmin()]
    return boundary[labels[boundary[:, 0]] == mouth]


def close_mouth(tri: torch.Tensor, edges: torch.Tensor, params: torch.Tensor,
                vertices: torch.Tensor, colors: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Add a fan of triangles from the mouth rim to a point ``MOUTH_DEPTH``
    model units behind it, along the face's backward axis.

    Args:
        tri (Tensor): (M, 3) triangles of the mesh.
        edges (Tensor): (R, 2) rim edges from :func:`mouth_boundary`.
        params (Tensor): (B, P) raw params of the faces.
        vertices (Tensor): (B, 3, N) projected vertices.
        colors (Tensor): (B, N, 3) vertex colours.

    Returns:
        tuple[Tensor, Tensor, Tensor]: vertices (B, 3, N + 1), triangles
        (M + R, 3) and colours (B, N + 1, 3).
    """
    rim = vertices[:, :, edges[:, 0]].mean(2)
    backward = -MOUTH_DEPTH * params[:, [2, 6, 10]]  # f R (0, 0, -d)
    backward[:, 1] = -backward[:, 1]  # the image-row flip
    tip = colors.shape[1]
    fan = torch.cat([edges.new_full((len(edges), 1), tip), edges], 1)
    cavity = colors.new_tensor(MOUTH_COLOR).expand(len(colors), 1, 3)
    return (torch.cat([vertices, (rim + backward)[..., None]], 2),
            torch.cat([tri, fan]), torch.cat([colors, cavity], 1))
