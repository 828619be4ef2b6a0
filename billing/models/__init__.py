from billing.models.bills import Bill, BillLine, PlanPeriod
from billing.models.charges import BillCharge

__all__ = ["Bill", "BillCharge", "BillLine", "PlanPeriod"]
