"""The provider's working day: patients, service-visit charting, retail checkout, earnings and to-do."""
