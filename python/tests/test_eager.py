"""Eager task start: the first step runs at once, and the semantics stay a Task's."""

import asyncio
import contextvars
import gc

import pytest

from django_bolt._runtime.eager import start

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def run_in_callback(loop, coro):
    """Start coro from a plain loop callback, as the server's drain does; return its task."""
    box = {}
    loop.call_soon(lambda: box.setdefault("task", start(coro, loop)))
    loop.run_until_complete(asyncio.sleep(0))
    return box["task"]


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    errors = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield loop
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.close()
    assert errors == [], "nothing may reach the loop's exception handler"


def finish(loop, task):
    return loop.run_until_complete(asyncio.wait_for(asyncio.shield(task), 5))


def test_a_handler_that_never_suspends_is_done_at_once(loop):
    async def handler():
        return "done"

    task = run_in_callback(loop, handler())
    assert task.done() and task.result() == "done"
    assert task not in asyncio.all_tasks(loop)


def test_a_callback_subscribed_during_the_first_step_runs(loop):
    called = []

    async def handler():
        asyncio.current_task().add_done_callback(lambda t: called.append(t.result()))
        return "done"

    task = run_in_callback(loop, handler())
    assert task.done() and task.result() == "done"
    loop.run_until_complete(asyncio.sleep(0))
    assert called == ["done"]


def test_current_task_is_the_task_that_continues_the_coroutine(loop):
    seen = []

    async def handler():
        seen.append(asyncio.current_task())
        await asyncio.sleep(0.001)
        seen.append(asyncio.current_task())
        return True

    task = run_in_callback(loop, handler())
    assert finish(loop, task) is True
    assert seen[0] is task and seen[1] is task


def test_timeout_cancels_a_suspended_handler_which_can_catch_it(loop):
    async def handler():
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(1)
        except TimeoutError:
            return "timed out", asyncio.current_task().cancelling()
        return "not timed out", None

    task = run_in_callback(loop, handler())
    assert finish(loop, task) == ("timed out", 0)


def test_timeout_of_zero_is_honoured(loop):
    async def handler():
        try:
            async with asyncio.timeout(0):
                await asyncio.sleep(1)
        except TimeoutError:
            return "timed out"

    assert finish(loop, run_in_callback(loop, handler())) == "timed out"


def test_each_request_has_its_own_context(loop):
    async def handler(value, suspend):
        before = request_id.get()
        request_id.set(value)
        if suspend:
            await asyncio.sleep(0.001)
        return before, request_id.get()

    tasks = [run_in_callback(loop, handler(f"r{i}", i % 2 == 0)) for i in range(6)]
    results = [finish(loop, t) for t in tasks]
    assert results == [("unset", f"r{i}") for i in range(6)]
    assert request_id.get() == "unset"


def test_cancelling_itself_during_the_first_step_runs_its_finally(loop):
    events = []

    async def handler():
        asyncio.current_task().cancel()
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            events.append("finally")

    task = run_in_callback(loop, handler())
    with pytest.raises(asyncio.CancelledError):
        finish(loop, task)
    assert events == ["cancelled", "finally"]


def test_an_external_cancel_reaches_a_suspended_handler(loop):
    events = []

    async def handler():
        try:
            await asyncio.sleep(10)
        finally:
            events.append("finally")

    task = run_in_callback(loop, handler())
    loop.run_until_complete(asyncio.sleep(0.01))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        finish(loop, task)
    assert events == ["finally"]


@pytest.mark.parametrize("suspend", [False, True])
def test_exceptions_are_captured_and_retrievable(loop, suspend):
    async def handler():
        if suspend:
            await asyncio.sleep(0)
        raise ValueError("boom")

    task = run_in_callback(loop, handler())
    with pytest.raises(ValueError, match="boom"):
        finish(loop, task)


def test_gather_and_create_task_inside_a_handler(loop):
    async def sub(n):
        await asyncio.sleep(0.001)
        return n

    async def handler():
        inner = asyncio.create_task(sub(3))
        return sum(await asyncio.gather(sub(1), sub(2))) + await inner

    assert finish(loop, run_in_callback(loop, handler())) == 6


def test_no_task_is_left_behind(loop):
    async def handler(suspend):
        if suspend:
            await asyncio.sleep(0.001)
        return 1

    tasks = [run_in_callback(loop, handler(i % 2 == 0)) for i in range(10)]
    for t in tasks:
        finish(loop, t)
    del tasks
    gc.collect()
    assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []


def test_starting_from_inside_a_task_still_works(loop):
    async def child():
        await asyncio.sleep(0)
        return "child"

    async def parent():
        return await start(child(), asyncio.get_running_loop())

    assert loop.run_until_complete(parent()) == "child"


def test_each_task_has_its_own_name(loop):
    async def handler():
        return asyncio.current_task().get_name()

    first, second = (run_in_callback(loop, handler()) for _ in range(2))
    assert first.result().startswith("Task-") and second.result().startswith("Task-")
    assert first.result() != second.result()
    assert first.get_name() == first.result() and f"name={first.result()!r}" in repr(first)
    second.set_name("renamed")
    assert second.get_name() == "renamed"


@pytest.mark.parametrize("suspend", [False, True])
def test_an_exception_nobody_retrieved_is_reported_when_the_task_goes(suspend):
    loop = asyncio.new_event_loop()
    reported = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context["message"]))

    async def handler():
        if suspend:
            await asyncio.sleep(0)
        raise ValueError("boom")

    async def fine():
        return "fine"

    try:
        run_in_callback(loop, fine())
        task = run_in_callback(loop, handler())
        loop.run_until_complete(asyncio.sleep(0.01))
        assert task.done()
        del task
        gc.collect()
        assert len(reported) == 1 and reported[0].endswith("exception was never retrieved"), reported
    finally:
        loop.close()
