"""The advisors' side: what they do (desk, requests, agenda), and their Telegram commands (commands)."""
