"""The staff console (`/console`): sales staff see who waits, take over, reply, hand back."""
