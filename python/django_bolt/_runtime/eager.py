"""Start a handler coroutine eagerly: run its first step now, make a Task only if it suspends.

Most handlers finish without ever waiting on I/O. Creating a Task for each of them costs
several microseconds and two loop iterations; stepping the coroutine right away inside a
real Task object costs under one. The semantics stay those of a Task: each request runs
in its own copy of the context, ``asyncio.current_task()`` is the task that later
continues the coroutine (so ``asyncio.timeout()`` and cancellation work), and only
still-pending tasks are registered with the loop.

Python 3.12+ has this built in (``Task(..., eager_start=True)``). On 3.11 we subclass the
pure-Python Task, whose step function we can call directly; such a task is not an
instance of ``asyncio.Task`` (it is duck-typed as a future), a documented difference.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from asyncio import futures, tasks
from typing import Any, Coroutine

__all__ = ["start"]


if sys.version_info >= (3, 12):

    def start(coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        return asyncio.Task(coro, loop=loop, context=contextvars.copy_context(), eager_start=True)

else:
    _counter = tasks._task_name_counter  # type: ignore[attr-defined]

    class _EagerTask(tasks._PyTask):  # type: ignore[name-defined,misc]
        """A pure-Python Task whose first step runs in the constructor."""

        def __init__(self, coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> None:
            futures._PyFuture.__init__(self, loop=loop)  # type: ignore[attr-defined]
            self._name = f"Task-{_counter()}"
            self._num_cancels_requested = 0
            self._must_cancel = False
            self._fut_waiter = None
            self._coro = coro
            self._context = contextvars.copy_context()
            # The step enters and leaves the task itself, inside the request's context.
            self._context.run(self._Task__step)
            if not self.done():
                tasks._register_task(self)

    def start(coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        if tasks._current_tasks.get(loop) is not None:  # type: ignore[attr-defined]
            # Called from inside a task (3.11 cannot nest task steps): start normally.
            return loop.create_task(coro)
        return _EagerTask(coro, loop)
