"""What apply writes is what the files say: each kind of document and the tool config, read back from the API."""

from __future__ import annotations

from tests.apply.helpers import agent, converge, desired, document, in_emulator, source, tool

from agentform.model import DesiredDocument

PDF = b"%PDF-1.4\n% price list\n"


def documents() -> list[DesiredDocument]:
    return [
        document("faq", "We open at nine.\n"),
        DesiredDocument(
            key="prices", kind="url", name="Prices", url="https://clinic.example/prices", source=source("k/prices.url")
        ),
        DesiredDocument(
            key="leaflet",
            kind="file",
            name="Leaflet",
            data=PDF,
            filename="leaflet.pdf",
            source=source("knowledge/leaflet.pdf"),
        ),
    ]


def test_each_kind_of_document_and_the_tool_are_created_with_the_files_content():
    want = desired(
        agents=[agent("receptionist", knowledge=["faq", "prices", "leaflet"], tools=["book"])],
        documents=documents(),
        tools=[tool("book", description="Books a visit")],
    )

    async def scenario(app, client):
        _, result = await converge(client, want)
        assert result.ok
        ids = result.ids
        assert await client.get_document_content(ids["document.faq"]) == "We open at nine.\n"
        prices = await client.get_document(ids["document.prices"])
        assert (prices["type"], prices["url"]) == ("url", "https://clinic.example/prices")
        leaflet = await client.get_document(ids["document.leaflet"])
        assert (leaflet["type"], leaflet["filename"]) == ("file", "leaflet.pdf")
        live_tool = (await client.get_tool(ids["tool.book"]))["tool_config"]
        assert (live_tool["name"], live_tool["description"]) == ("book", "Books a visit")

    in_emulator(scenario)
