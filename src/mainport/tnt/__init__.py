"""DCSA Track & Trace push feeds: event subscriptions whose callbacks deliver events as they happen."""
