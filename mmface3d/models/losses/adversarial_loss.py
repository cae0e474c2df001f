"""Adversarial loss of the 2DASL self-critic (``L_sc``)."""
import torch.nn.functional as F
from torch import Tensor, nn

from mmface3d.registry import MODELS

FORMS = ('paper', 'bce')


@MODELS.register_module()
class AdversarialLoss(nn.Module):
    """GAN loss on critic logits, ``D = sigmoid(logits)``.

    Critics return logits; the sigmoid is applied here, through
    ``softplus`` (``-log sigmoid(l) = softplus(-l)``,
    ``-log(1 - sigmoid(l)) = softplus(l)``), which stays finite for any
    logit.

    - Critic side (``for_critic=True``, both forms): binary cross entropy,
      ``-log D`` on real pairs and ``-log(1 - D)`` on fake ones, i.e. the
      critic maximises ``log D(real) + log(1 - D(fake))``.
    - Regressor side (``for_critic=False``), scored on its fake pairs with
      ``target_is_real=True`` (the regressor wants them judged real):

      - ``form='paper'`` (REFERENCE.md section 5, the minimax objective):
        minimise ``log(1 - D(fake))``, the opposite of the critic's fake
        term. It saturates: its gradient in the logit is ``-D``, which
        vanishes while the critic confidently rejects the fakes (early in
        training), and it is unbounded below.
      - ``form='bce'`` (the released code): minimise
        ``BCE(D(fake), 1) = -log D(fake)``, the non-saturating form: its
        gradient ``D - 1`` is largest exactly when the critic rejects the
        fakes. Same fixed point, different dynamics.

    Every form takes the mean over the samples.

    Args:
        loss_weight (float): Scale of the loss. Defaults to 1.0.
        form (str): ``'paper'`` or ``'bce'``. Defaults to ``'paper'``.
    """

    def __init__(self, loss_weight: float = 1.0, form: str = 'paper') -> None:
        super().__init__()
        if form not in FORMS:
            raise ValueError(f"form must be 'paper' or 'bce', got {form!r}")
        self.loss_weight = loss_weight
        self.form = form

    def forward(self, logits: Tensor, target_is_real: bool,
                for_critic: bool) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (B,) critic logits.
            target_is_real (bool): For the critic, whether ``logits`` score
                real pairs. For the regressor it must be True (its fakes
                are to be judged real).
            for_critic (bool): True for the critic's loss, False for the
                regressor's.

        Returns:
            Tensor: Scalar loss.
        """
        if logits.ndim != 1:
            raise ValueError('AdversarialLoss: logits must be (B,), got '
                             f'{tuple(logits.shape)}')
        if for_critic:
            loss = F.softplus(-logits if target_is_real else logits)
        elif not target_is_real:
            raise ValueError(
                'AdversarialLoss: the regressor side scores its fakes '
                'against the real target: pass target_is_real=True with '
                'for_critic=False')
        elif self.form == 'paper':
            loss = -F.softplus(logits)
        else:
            loss = F.softplus(-logits)
        return self.loss_weight * loss.mean()

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, form={self.form!r}'
