"""Data files (the plan, playbooks, frameworks, drill scripts) read from YAML with line numbers.

Outside the core on purpose: the core gets validated models and never touches a file.
"""
