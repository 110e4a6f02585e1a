"""The engine's one exception type; the CLI prints its message and exits non-zero."""


class DrillError(Exception):
    """A problem the user can act on (unknown drill, bad workspace, damaged store...).

    `hint` is an optional next step shown under the message.
    """

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 2):
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code
