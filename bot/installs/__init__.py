"""Installations of the app: one workspace by token, or many installed with OAuth."""
