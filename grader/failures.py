"""Why a call into the user's code did not give a gradable answer.

Raised by the impl proxies (grader.impl) during a property; the runner turns each into a
readable verdict. No heavy imports here.
"""
from __future__ import annotations


class GradingFailure(Exception):
    """Base: a property failed because of what the user's code did (not a grader bug)."""

    status = "fail"
    code = "failure"

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class Mismatch(GradingFailure):
    """An output differs from what the property expects (values, shape, dtype, type)."""
    code = "mismatch"


class PropertyViolated(GradingFailure):
    """A metamorphic property does not hold (e.g. rows do not sum to 1)."""
    code = "property"


class UserRaised(GradingFailure):
    """The user's function raised an exception."""
    code = "exception"

    def __init__(self, exc_type: str, message: str, traceback: str = "", entry: str = ""):
        super().__init__(f"{entry or 'your code'} raised {exc_type}: {message}".rstrip(": "), traceback)
        self.exc_type = exc_type
        self.entry = entry


class NotImplementedYet(GradingFailure):
    code = "not_implemented"

    def __init__(self, entry: str):
        super().__init__(f"{entry} is not implemented yet (it raises NotImplementedError)")
        self.entry = entry


class InputMutated(GradingFailure):
    code = "mutated_input"


class WrongDevice(GradingFailure):
    code = "wrong_device"


class BadOutput(GradingFailure):
    """Returned something that cannot be graded (None, a Tensor subclass, ...)."""
    code = "bad_output"


class Fatal(GradingFailure):
    """The run cannot go on with this child: it was killed, crashed, exited or cheated."""

    status = "error"
    code = "fatal"

    def __init__(self, message: str, detail: str = "", reason: str = "crash"):
        super().__init__(message, detail)
        self.reason = reason  # timeout | memory | crash | exit | output | forbidden | import


class ForbiddenUsed(Fatal):
    code = "forbidden"

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message, detail, reason="forbidden")
