"""The advisors' commands on Telegram."""
