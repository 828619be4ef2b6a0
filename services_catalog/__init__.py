"""The Portrait services library and each medspa's services, consents, standing orders, care messages
and retail products."""
