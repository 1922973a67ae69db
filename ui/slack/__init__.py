"""careerbot in Slack: the bolt app (app.py), its Block Kit rendering (format.py), the
assessment modal (assess.py) and the transports (server.py)."""

from ui.slack.app import SlackCareerbot, build_app, user_key

__all__ = ["SlackCareerbot", "build_app", "user_key"]
