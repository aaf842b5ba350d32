"""The outside world: configuration, CLI, channels (terminal, Telegram), delivery and scheduling."""
