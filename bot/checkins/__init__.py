"""Check-ins: the planner (cheap gates, exactly once), the scheduler (APScheduler), `aiki checkins`."""
