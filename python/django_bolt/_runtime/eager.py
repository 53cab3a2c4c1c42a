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

__all__ = ["start", "lane_spec"]


if sys.version_info >= (3, 12):

    def start(coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        return asyncio.Task(coro, loop=loop, context=contextvars.copy_context(), eager_start=True)

    def lane_spec() -> tuple:
        """What the lane's step in C (pyhost/lane.c) builds its tasks with."""
        return (asyncio.Task,)

else:
    import inspect

    _counter = tasks._task_name_counter  # type: ignore[attr-defined]
    _PENDING = futures._PENDING  # type: ignore[attr-defined]
    _FINISHED = futures._FINISHED  # type: ignore[attr-defined]
    _Future = futures._PyFuture  # type: ignore[attr-defined]
    _enter_task = tasks._enter_task  # type: ignore[attr-defined]
    _leave_task = tasks._leave_task  # type: ignore[attr-defined]
    _register_task = tasks._register_task  # type: ignore[attr-defined]
    _current_tasks = tasks._current_tasks  # type: ignore[attr-defined]

    class _EagerTask(tasks._PyTask):  # type: ignore[name-defined,misc]
        """A pure-Python Task built without ``__init__``: ``start`` fills it in and runs
        its first step. Per-task state that ``Task.__init__`` would set lives here as
        class-level defaults, so a task that finishes at once costs a few attributes."""

        _num_cancels_requested = 0
        _must_cancel = False
        _fut_waiter = None

        def get_name(self) -> str:
            name = self._name
            if name.__class__ is int:
                # Named on first use: most tasks never are.
                name = self._name = f"Task-{name}"
            return name

        def __del__(self) -> None:
            # Task.__del__ and Future.__del__ (which it calls) report a task destroyed
            # pending or an exception nobody retrieved; a task that returned a value
            # has neither, and most of ours did: one test instead of two calls.
            if self._state is not _FINISHED or self._Future__log_traceback:
                tasks._PyTask.__del__(self)

    def start(coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        if _current_tasks.get(loop) is not None:
            # Called from inside a task (3.11 cannot nest task steps): start normally.
            return loop.create_task(coro)
        task = object.__new__(_EagerTask)
        task._loop = loop
        task._callbacks = []
        task._name = _counter()  # get_name formats it
        task._coro = coro
        task._context = ctx = contextvars.copy_context()
        # The first step, as Task.__step takes it, inside the request's own context.
        _enter_task(loop, task)
        try:
            result = ctx.run(coro.send, None)
        except StopIteration as exc:
            returned(task, exc.value)
            return task
        except BaseException as exc:
            raised(task, exc)
            return task
        finally:
            _leave_task(loop, task)
        suspended(task, result)
        return task

    # What follows the first step, by its outcome: also called by the lane's step in C
    # (pyhost/lane.c), which takes the same first step itself.

    def lane_spec() -> tuple:
        """What the lane's step in C builds and finishes its tasks with."""
        return (_EagerTask, _counter, _enter_task, _leave_task, returned, raised, suspended, _FINISHED)

    def returned(task: Any, value: Any) -> None:
        """The coroutine returned ``value``."""
        if task._must_cancel:
            # The handler cancelled its own task just before returning.
            task._must_cancel = False
            _Future.cancel(task, msg=task._cancel_message)
        elif task._callbacks:
            _Future.set_result(task, value)
        else:
            # What set_result does when no callback subscribed: most handlers.
            task._result = value
            task._state = _FINISHED

    def raised(task: Any, exc: BaseException) -> None:
        """The coroutine raised ``exc``; KeyboardInterrupt and SystemExit go on up."""
        if isinstance(exc, asyncio.CancelledError):
            task._cancelled_exc = exc
            _Future.cancel(task)
        else:
            _Future.set_exception(task, exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise exc

    def suspended(task: Any, result: Any) -> None:
        """The coroutine yielded ``result``: the task waits on it, registered with the loop."""
        _hand_over(task, result)
        _register_task(task)

    def _hand_over(task: Any, result: Any) -> None:
        """What Task.__step does with the value a suspending coroutine yielded."""
        loop, ctx, step = task._loop, task._context, task._Task__step
        blocking = getattr(result, "_asyncio_future_blocking", None)
        if blocking is not None:
            if futures._get_loop(result) is not loop:
                error = RuntimeError(f"Task {task!r} got Future {result!r} attached to a different loop")
                loop.call_soon(step, error, context=ctx)
            elif blocking:
                if result is task:
                    loop.call_soon(step, RuntimeError(f"Task cannot await on itself: {task!r}"), context=ctx)
                else:
                    result._asyncio_future_blocking = False
                    result.add_done_callback(task._Task__wakeup, context=ctx)
                    task._fut_waiter = result
                    if task._must_cancel and result.cancel(msg=task._cancel_message):
                        task._must_cancel = False
            else:
                error = RuntimeError(f"yield was used instead of yield from in task {task!r} with {result!r}")
                loop.call_soon(step, error, context=ctx)
        elif result is None:
            # A bare yield gives up one loop iteration.
            loop.call_soon(step, context=ctx)
        elif inspect.isgenerator(result):
            error = RuntimeError(f"yield was used instead of yield from for generator in task {task!r} with {result!r}")
            loop.call_soon(step, error, context=ctx)
        else:
            loop.call_soon(step, RuntimeError(f"Task got bad yield: {result!r}"), context=ctx)
