"""Exceptions for samples that cannot be used, so datasets can skip them by
policy instead of guessing from a message."""
from typing import Optional


class FaceDataError(ValueError):
    """A sample whose image or annotation cannot be used.

    Args:
        path (str, optional): The file the sample comes from (``img_path``).
        reason (str): What is wrong with it.

    Attributes:
        path (str | None): As given.
        reason (str): As given.
    """

    def __init__(self, path: Optional[str], reason: str) -> None:
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(f'{self.path or "<unknown file>"}: {reason}')

    def __reduce__(self):
        # Exceptions travel between dataloader worker processes by pickling;
        # the default would call __init__ with the formatted message only.
        return type(self), (self.path, self.reason)


class FaceImageError(FaceDataError):
    """An image file that is missing, unreadable, corrupt or truncated."""
