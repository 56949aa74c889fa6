"""Attachments on tickets and comments: content-addressed blobs, virus scanning, visibility."""
