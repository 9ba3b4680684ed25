"""todos."""
