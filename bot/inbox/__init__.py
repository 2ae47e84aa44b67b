"""The durable inbox: Events API deliveries stored before the ack, handled after it."""
