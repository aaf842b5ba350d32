"""The rules of the conversation as the operator sets them in ``config.yml``.

The configuration (bot.config) is built from these sections, so each rule is declared once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Section(BaseModel):
    """A block of ``config.yml``: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def clock_time(value: Any) -> dt.time:
    """Read "18:00" (or YAML 1.1's base-60 integer for it) as a time of day."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int):
        return dt.time(value // 60, value % 60)
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError("expected a time of day like 18:00") from exc


class QuietHoursSettings(Section):
    """When nothing non-urgent is sent."""

    start: dt.time = dt.time(20, 0)
    end: dt.time = dt.time(9, 0)
    sundays: bool = True
    public_holidays: bool = True

    _parse = field_validator("start", "end", mode="before")(clock_time)


class ReminderSettings(Section):
    """When appointment reminders go out."""

    days_before: int = Field(7, ge=1)
    day_before_at: dt.time = dt.time(18, 0)
    same_day_at: dt.time = dt.time(8, 30)
    follow_up_after_hours: float = Field(2.0, ge=0)

    _parse = field_validator("day_before_at", "same_day_at", mode="before")(clock_time)


class NudgeSettings(Section):
    """How often the assistant writes first to someone who went quiet."""

    max_per_week: int = Field(2, ge=0)
    onboarding_after_days: list[int] = [1, 3]
    inactive_after_days: int = Field(7, ge=1)


class BookingSettings(Section):
    """Limits on moving and cancelling appointments."""

    move_until_hours: float = Field(48, ge=0)
    cancel_until_hours: float = Field(4, ge=0)
    slots_shown: int = Field(4, ge=3, le=5)


class RetentionSettings(Section):
    """How long personal data is kept."""

    message_text_days: int = Field(90, ge=1)
    profile_months: int = Field(24, ge=1)
    processed_updates_days: int = Field(7, ge=1)


class PrivacySettings(Section):
    """What the privacy notice names."""

    notice_version: str = "2026-11-27"
    controller: str = "Département des Hauts-de-Seine"
    dpo_contact: str = "dpo@exemple.fr (exemple, à remplacer)"


class ReportSettings(Section):
    """The Département's report (report/, docs/rapport.md)."""

    # Counts from 1 to min_count - 1 are shown as "< min_count" (Insee's rule for statistics about persons: 11).
    min_count: int = Field(11, ge=2)
    # How long the report's pseudonymous events are kept (storage/report_events.py; docs/privacy.md says why).
    keep_months: int = Field(72, ge=13)


class ConversationSettings(BaseModel):
    """Everything the conversation needs from the configuration."""

    model_config = ConfigDict(frozen=True)

    timezone: str = "Europe/Paris"
    nlu_threshold: float = 0.5
    quiet_hours: QuietHoursSettings = QuietHoursSettings()
    reminders: ReminderSettings = ReminderSettings()
    nudges: NudgeSettings = NudgeSettings()
    booking: BookingSettings = BookingSettings()
    retention: RetentionSettings = RetentionSettings()
    privacy: PrivacySettings = PrivacySettings()
    report: ReportSettings = ReportSettings()  # for the desk's report page

    @property
    def tz(self) -> ZoneInfo:
        """The time zone dates are spoken in."""
        return ZoneInfo(self.timezone)
