"""The e-mail channel: mail in becomes tickets and comments (intake), with a quarantine."""
