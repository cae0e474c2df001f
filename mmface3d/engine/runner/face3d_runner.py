"""mmengine's Runner with a console a new user can read."""
import datetime
import logging

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch.nn.parallel import DistributedDataParallel

from mmface3d.registry import MODEL_WRAPPERS, RUNNERS

# Starts of mmengine's long start-up records: the environment and config
# dump and the hook table (about 230 lines before the first result).
FILE_ONLY = ('\n' + '-' * 60 + '\nSystem environment:', 'Config:\n',
             'Hooks will be executed in the following order:')


class _FileOnly(logging.Filter):
    """Keeps the start-up dumps off the console (the log file has them)."""

    def __init__(self, handler: logging.Handler, log_file: str) -> None:
        super().__init__()
        self.handler = handler
        self.log_file = log_file
        self.announced = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(FILE_ONLY):
            return True
        if not self.announced:
            self.announced = True
            # A copy: the record itself goes on, unchanged, to the file
            # handler (filters run per handler on the one shared record).
            note = logging.makeLogRecord(record.__dict__)
            note.msg, note.args = (
                f'environment, config and hooks: see {self.log_file}', ())
            self.handler.handle(note)
        return False


@RUNNERS.register_module()
class Face3DRunner(Runner):
    """A :class:`mmengine.runner.Runner` whose console shows progress and
    results: the environment / config dump and the hook table go to the log
    file only, with one console line saying where. Configs select it with
    ``runner_type = 'Face3DRunner'`` (``configs/_base_/default_runtime.py``);
    the tools build runners through ``RUNNERS``.

    It also trains on several processes of a CPU-only machine
    (``tools/dist_train.sh CONFIG N`` without a GPU), which mmengine's own
    set-up cannot: its ``pytorch`` launcher calls ``torch.cuda.set_device``
    and its DDP wrappers get ``device_ids=[LOCAL_RANK]``, which DDP refuses
    for a CPU module. Without CUDA the runner starts the process group
    itself with ``gloo`` (whatever ``env_cfg.dist_cfg.backend`` says) and
    wraps the model with ``device_ids=None``.
    """

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed() and \
                not torch.cuda.is_available():
            timeout = env_cfg.get('dist_cfg', {}).get('timeout')
            kwargs = {} if timeout is None else dict(
                timeout=datetime.timedelta(seconds=timeout))
            torch_dist.init_process_group(backend='gloo', **kwargs)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed and not torch.cuda.is_available() and \
                not is_model_wrapper(model):
            if model_wrapper_cfg is None:
                # mmengine's default wrapper, as Runner.wrap_model builds it
                model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel',
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get(
                        'find_unused_parameters', False))
            model_wrapper_cfg = dict(model_wrapper_cfg)
            wrapper = MODEL_WRAPPERS.get(
                model_wrapper_cfg.get('type', 'MMDistributedDataParallel'))
            if isinstance(wrapper, type) and issubclass(
                    wrapper, DistributedDataParallel):
                model_wrapper_cfg.setdefault('device_ids', None)
        return super().wrap_model(model_wrapper_cfg, model)

    def build_logger(self, log_level='INFO', log_file=None,
                     **kwargs) -> MMLogger:
        logger = super().build_logger(log_level, log_file, **kwargs)
        log_file = next((h.baseFilename for h in logger.handlers
                         if isinstance(h, logging.FileHandler)),
                        'the log file')
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and not any(
                    isinstance(f, _FileOnly) for f in handler.filters):
                handler.addFilter(_FileOnly(handler, log_file))
        return logger
