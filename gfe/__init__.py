"""Good Faith Exam routing, requests, clearances per service and the clearer workflow."""
