"""Dependencies of the web channel's routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends

from agent.channel import OutputChannel
from agent.errors import ConfigurationError
from agent.provided import OutputsDep
from channels.web.output import CHANNEL, WebOutput


def web_output(outputs: Mapping[str, OutputChannel]) -> WebOutput:
    """The runtime's web output (its sockets and the replies given live)."""
    output = outputs.get(CHANNEL)
    if not isinstance(output, WebOutput):
        raise ConfigurationError("the web channel's output is not registered in the runtime")
    return output


def get_web_output(outputs: OutputsDep) -> WebOutput:
    """The web output of the running product."""
    return web_output(outputs)


WebOutputDep = Annotated[WebOutput, Depends(get_web_output)]
