"""WhatsApp through Twilio: signed webhooks in, the REST API out (from the outbox)."""
