"""The profile: its fields declared once (question, values, how a message is read for them), and how it is said."""
