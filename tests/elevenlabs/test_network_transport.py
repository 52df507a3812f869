"""The network backend sends every request on a socket with TCP_NODELAY, keeping httpx's keep-alive pooling."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from agentform.elevenlabs import ElevenLabsClient, core
from agentform.emulator import DEV_API_KEY


def test_the_network_transport_opens_sockets_with_tcp_nodelay(emulator: str) -> None:
    async def nodelay_of_the_socket_used() -> list[int]:
        async with httpx.AsyncClient(base_url=emulator, transport=core.network_transport(2)) as http:
            flags = []
            for _ in range(2):
                async with http.stream("GET", "/v1/convai/agents", headers={"xi-api-key": DEV_API_KEY}) as response:
                    sock = response.extensions["network_stream"].get_extra_info("socket")
                    flags.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            return flags

    assert all(flag != 0 for flag in asyncio.run(nodelay_of_the_socket_used()))


def test_a_client_without_a_transport_uses_the_network_transport_sized_to_its_parallelism(
    monkeypatch: pytest.MonkeyPatch, emulator: str
) -> None:
    made: list[int] = []
    real = core.network_transport

    def spy(parallelism: int) -> httpx.AsyncHTTPTransport:
        made.append(parallelism)
        return real(parallelism)

    monkeypatch.setattr(core, "network_transport", spy)

    async def one_patch() -> str:
        async with ElevenLabsClient(emulator, DEV_API_KEY, parallelism=3) as client:
            agent_id = await client.create_agent({"name": "Nagle", "conversation_config": {}})
            return (await client.update_agent(agent_id, {"name": "No Nagle"}))["name"]

    assert asyncio.run(one_patch()) == "No Nagle"
    assert made == [3]


def test_a_given_transport_is_used_as_is() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"agent_id": "a"})

    async def read() -> dict:
        async with ElevenLabsClient("https://api.test", "k", transport=httpx.MockTransport(handler)) as client:
            return await client.get_agent("a")

    assert asyncio.run(read()) == {"agent_id": "a"}
    assert seen == ["/v1/convai/agents/a"]
