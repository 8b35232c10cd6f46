"""One module per page of the main window: archive, voice, draft, evaluate, settings."""
