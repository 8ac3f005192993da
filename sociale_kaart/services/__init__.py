"""Service functions: plain-argument operations shared by the CLI, the web views and the tests."""
