"""The phases of a turn, run in order under the conversation's lock by `agent.engine.TurnEngine`."""
