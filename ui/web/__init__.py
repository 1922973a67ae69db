"""The Gradio web app: layout and wiring (app.py, tabs.py) over the chat's and the plan's
rules (chat.py, plan.py), which are free of gradio."""

from ui.web.app import build_app, free_port, launch, port_in_use, running

__all__ = ["build_app", "free_port", "launch", "port_in_use", "running"]
