"""Reads first (decision 130): while a read is served, commands wait before they use the event
loop, and never longer than the longest wait."""

from __future__ import annotations

import asyncio

from partia_registry.api.priority import ReadsFirst


async def _settled(task: asyncio.Task[None]) -> bool:
    for _ in range(5):  # let the loop run whatever is ready
        await asyncio.sleep(0)
    return task.done()


def test_a_command_waits_while_a_read_is_served_and_goes_on_when_it_ends() -> None:
    async def scenario() -> None:
        gate = ReadsFirst(longest_wait=3600)
        gate.read_started()
        command = asyncio.create_task(gate.commands_wait())
        assert not await _settled(command)
        gate.read_finished()
        assert await _settled(command)

    asyncio.run(scenario())


def test_a_command_waits_until_the_last_of_overlapping_reads_ends() -> None:
    async def scenario() -> None:
        gate = ReadsFirst(longest_wait=3600)
        gate.read_started()
        gate.read_started()
        command = asyncio.create_task(gate.commands_wait())
        gate.read_finished()
        assert not await _settled(command)
        gate.read_finished()
        assert await _settled(command)

    asyncio.run(scenario())


def test_a_command_does_not_wait_when_no_read_is_served() -> None:
    async def scenario() -> None:
        gate = ReadsFirst(longest_wait=3600)
        gate.read_started()
        gate.read_finished()
        assert await _settled(asyncio.create_task(gate.commands_wait()))

    asyncio.run(scenario())


def test_a_read_that_never_ends_holds_commands_back_only_for_the_longest_wait() -> None:
    async def scenario() -> None:
        gate = ReadsFirst(longest_wait=0.01)
        gate.read_started()
        # finishes only because the longest wait ends it (a hang here fails the test run)
        await asyncio.wait_for(gate.commands_wait(), timeout=30)

    asyncio.run(scenario())


def test_a_command_that_gives_up_waiting_does_not_release_the_others() -> None:
    async def scenario() -> None:
        gate = ReadsFirst(longest_wait=3600)
        gate.read_started()
        leaving = asyncio.create_task(gate.commands_wait())
        staying = asyncio.create_task(gate.commands_wait())
        await asyncio.sleep(0)
        leaving.cancel()
        assert not await _settled(staying)
        gate.read_finished()
        assert await _settled(staying)

    asyncio.run(scenario())
