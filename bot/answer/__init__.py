"""The answer pipeline: from a question to a structured, cited answer."""
