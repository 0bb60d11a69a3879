"""The wiring: the app factory, the runtime that builds every part from the settings, the CLI.

On top of the layers: it imports the core (`agent`) and the edges (channels, domains, console,
shop API, reports, storage, figures); nothing below imports it (`lint-imports` checks)."""
