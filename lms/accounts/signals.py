"""Signals other domains listen to, so accounts need not know who cares about a user."""

from blinker import Namespace

_signals = Namespace()

# Sent with the user after it is created or its profile, job roles or roles change (flushed,
# not committed): the catalog enrols the person in the courses assigned to them.
user_saved = _signals.signal("user-saved")
