"""The batch's kernel client: ready as soon as the kernel is (issue 13)."""

from __future__ import annotations

import asyncio
from queue import Empty
from typing import Any

import pytest

from cdrp_lib.batch.kernels import forking_kernel_manager_class, ready_kernel_client_class


class _Channel:
    """A channel holding queued messages; records the timeout of every read."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = list(messages)
        self.timeouts: list[float | None] = []

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        self.timeouts.append(timeout)
        if not self.messages:
            raise Empty
        return self.messages.pop(0)


def _client(shell: list[dict[str, Any]], iopub: list[dict[str, Any]],
            alive: bool = True) -> Any:
    client = ready_kernel_client_class()()
    client.kernel_info = lambda: "request"
    client._shell_channel = _Channel(shell)
    client._iopub_channel = _Channel(iopub)

    async def is_alive() -> bool:
        return alive

    client._async_is_alive = is_alive
    client._handle_kernel_info_reply = lambda msg: setattr(client, "handled", msg)
    return client


def _status(state: str) -> dict[str, Any]:
    return {"msg_type": "status", "content": {"execution_state": state}}


def test_the_wait_ends_once_what_has_arrived_is_read_not_after_silence() -> None:
    reply = {"msg_type": "kernel_info_reply", "content": {}}
    client = _client([reply], [_status("busy"), _status("idle"), _status("idle")])
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.handled is reply
    iopub = client.iopub_channel
    assert iopub.messages == []  # drained
    # the connection check may wait for the first status; the drain never waits
    assert iopub.timeouts[0] == 0.2
    assert iopub.timeouts[1:] == [0, 0, 0]


def test_a_kernel_that_dies_before_replying_is_said_so() -> None:
    client = _client([], [], alive=False)
    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(client.wait_for_ready(timeout=5))


def test_a_kernel_that_never_replies_times_out() -> None:
    client = _client([{"msg_type": "other"}], [])
    with pytest.raises(RuntimeError, match="didn't respond in 0 seconds"):
        asyncio.run(client.wait_for_ready(timeout=0))


def test_the_forking_manager_hands_out_the_ready_client() -> None:
    manager = forking_kernel_manager_class()(kernel_name="python3")
    assert isinstance(manager.client(), ready_kernel_client_class())
