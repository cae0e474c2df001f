"""mmengine's Runner with a console a new user can read."""
import logging

from mmengine.logging import MMLogger
from mmengine.runner import Runner

from mmface3d.registry import RUNNERS

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
    """

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
