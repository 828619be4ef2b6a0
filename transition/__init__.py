"""Coordinator billing, integration deprovisioning (OpenPhone, TigerConnect, Acuity) and monthly bills."""
