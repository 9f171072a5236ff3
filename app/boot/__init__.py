"""What ``app.main`` imports before "Sign in" works: all of static/app.zip."""
