from billing.models.bills import Bill, BillLine, PlanPeriod

__all__ = ["Bill", "BillLine", "PlanPeriod"]
