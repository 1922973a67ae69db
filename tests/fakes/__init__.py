"""Test doubles for what cannot run inside a test: careerbot's own interfaces implemented
cheaply (``encoder``), and local stand-ins for outside services (``fake_slack``,
``fake_openai``, ``pg``, ``chroma_server``), plus the web helpers (``webapp``)."""
