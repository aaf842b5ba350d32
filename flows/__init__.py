"""The conversation: engine, steps, global intents, and the script of each capability.

Channel-neutral: ``Event`` in, outbox rows out. Never imports ``telegram``.
"""
