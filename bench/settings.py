"""Settings of the web process bench/http.py starts: the app's own settings, plus the bare view's URL.

The bare view exists only here (ROOT_URLCONF = "bench.urls"), never in the app's URLs."""

from safetrack.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
